package ai.intercom.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.daemon.Letter;
import ai.intercom.mission.Mission;
import ai.intercom.protocol.AgentId;
import ai.intercom.protocol.MissionStatus;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OutcomeNoteTest {

  static final Instant CREATED = Instant.parse("2026-11-21T10:00:00Z");

  private static Mission.Summary ended(
      String from,
      Mission.Kind kind,
      MissionStatus status,
      long notifyAfterSeconds,
      long tookSeconds,
      String result,
      String reason) {
    return new Mission.Summary(
        "m-1",
        from,
        "laptop/web",
        kind,
        "t-1",
        "s-1",
        notifyAfterSeconds,
        status,
        CREATED,
        CREATED.plusSeconds(tookSeconds),
        null,
        reason,
        null,
        result,
        null,
        null,
        "",
        null);
  }

  @Test
  void aCompletedMissionTellsItsResultAndHowToContinue() {
    assertEquals(
        "Mission m-1 (start_agent) completed. Result:\nall green\n"
            + "A reply to this thread continues the same agent conversation.",
        OutcomeNote.text(
            ended(
                "desk/api",
                Mission.Kind.START_AGENT,
                MissionStatus.COMPLETED,
                0,
                5,
                "all green",
                null)));
    assertTrue(
        OutcomeNote.text(
                ended("desk/api", Mission.Kind.ASK, MissionStatus.STOPPED, 0, 5, null, "by alice"))
            .startsWith("Mission m-1 (ask) was stopped (by alice)."));
  }

  @Test
  void aLongResultIsCutAndPointsToIntercomStatus() {
    String text =
        OutcomeNote.text(
            ended(
                "desk/api",
                Mission.Kind.START_AGENT,
                MissionStatus.COMPLETED,
                0,
                5,
                "x".repeat(OutcomeNote.NOTICE_CHARS * 2),
                null));
    assertTrue(text.contains("\n[cut: intercom_status(\"m-1\") has it all]\n"), text);
    assertTrue(text.length() < OutcomeNote.NOTICE_CHARS + 200);
  }

  @Test
  void theRequesterIsToldOnlyOnceTheMissionIsOverAndItStoppedWaiting() {
    assertEquals(
        Optional.of(new AgentId("desk", "api")),
        OutcomeNote.recipient(
            ended("desk/api", Mission.Kind.ASK, MissionStatus.FAILED, 60, 61, null, "boom")));
    assertEquals(
        Optional.empty(),
        OutcomeNote.recipient(
            ended("desk/api", Mission.Kind.ASK, MissionStatus.COMPLETED, 60, 59, "ok", null)),
        "the asker still waited for the answer");
    assertEquals(
        Optional.empty(),
        OutcomeNote.recipient(
            ended("desk/api", Mission.Kind.START_AGENT, MissionStatus.RUNNING, 0, 5, null, null)));
    assertEquals(
        Optional.empty(),
        OutcomeNote.recipient(
            ended("human", Mission.Kind.START_AGENT, MissionStatus.COMPLETED, 0, 5, "ok", null)));
    assertEquals(
        Optional.empty(),
        OutcomeNote.recipient(
            ended(
                "not an agent",
                Mission.Kind.START_AGENT,
                MissionStatus.COMPLETED,
                0,
                5,
                "ok",
                null)));
  }

  @Test
  void theLetterOfAnEndIsNamedByThatEndSoACopyIsRecognised() {
    Mission.Summary state =
        ended("desk/api", Mission.Kind.START_AGENT, MissionStatus.COMPLETED, 0, 5, "ok", null);
    Instant now = Instant.parse("2026-11-21T11:00:00Z");
    Letter letter = OutcomeNote.letter(state, now);
    assertEquals("m-1:end:" + CREATED.plusSeconds(5).toEpochMilli(), letter.letterId());
    assertEquals(OutcomeNote.letter(state, now.plusSeconds(9)).letterId(), letter.letterId());
    assertEquals("m-1", letter.threadId());
    assertEquals("laptop/web", letter.from());
    assertEquals(OutcomeNote.text(state), letter.text());
  }
}
