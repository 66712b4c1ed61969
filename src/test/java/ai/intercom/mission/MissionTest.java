package ai.intercom.mission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.mission.Mission.Kind;
import ai.intercom.mission.Mission.State;
import ai.intercom.protocol.Ids;
import ai.intercom.protocol.MissionStatus;
import ai.intercom.testing.EntityTestBase;
import ai.intercom.testing.TestIds;
import java.util.List;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;

class MissionTest extends EntityTestBase<Mission.Command, Mission.Event, State> {

  private static final String ID = "m-20261121-abc123";

  MissionTest() {
    super(Mission.create(ID));
  }

  private Mission.Summary create() {
    var result =
        kit.<StatusReply<Mission.Summary>>runCommand(
            r -> new Mission.Create("alpha/api", "beta/web", Kind.ASK, "run the tests", r));
    return result.reply().getValue();
  }

  @Test
  void createdMissionWaitsForApprovalWithThePromptInItsTranscript() {
    var result =
        kit.<StatusReply<Mission.Summary>>runCommand(
            r -> new Mission.Create("alpha/api", "beta/web", Kind.ASK, "run the tests", r));
    assertInstanceOf(Mission.Created.class, result.event());
    Mission.Summary state = result.reply().getValue();
    assertEquals(MissionStatus.PENDING_APPROVAL, state.status());
    assertEquals(Kind.ASK, state.kind());
    assertEquals(
        List.of("run the tests"),
        kit.getState().transcript().stream().map(Mission.Entry::text).toList());
    assertEquals("alpha/api", kit.getState().transcript().get(0).author());
  }

  @Test
  void approvedMissionRunsReportsProgressAndCompletesWithItsResult() {
    create();
    assertEquals(
        MissionStatus.APPROVED,
        kit.<StatusReply<Mission.Summary>>runCommand(r -> new Mission.Approve("human", r))
            .reply()
            .getValue()
            .status());
    assertEquals(
        MissionStatus.RUNNING,
        kit.<StatusReply<Mission.Summary>>runCommand(Mission.Start::new)
            .reply()
            .getValue()
            .status());
    kit.<StatusReply<Mission.Summary>>runCommand(
        r -> new Mission.ReportProgress(List.of("Read src/App.java"), "sess-1", r));
    Mission.Summary done =
        kit.<StatusReply<Mission.Summary>>runCommand(
                r -> new Mission.Complete("all 42 tests pass", null, 0.12, 5400L, r))
            .reply()
            .getValue();

    assertEquals(MissionStatus.COMPLETED, done.status());
    assertEquals("all 42 tests pass", done.result());
    assertEquals("sess-1", done.agentSessionId());
    assertEquals(0.12, done.costUsd());
    assertEquals(5400L, done.durationMs());
    assertEquals("Read src/App.java", done.latestProgress());
    assertEquals("beta/web", kit.getState().transcript().get(1).author());
    assertEquals("human", done.decidedBy());
  }

  @Test
  void deniedMissionIsFinishedAndCannotStart() {
    create();
    Mission.Summary denied =
        kit.<StatusReply<Mission.Summary>>runCommand(r -> new Mission.Deny("human", "", r))
            .reply()
            .getValue();
    assertEquals(MissionStatus.DENIED, denied.status());
    assertEquals("denied by human", denied.reason());

    var start = kit.<StatusReply<Mission.Summary>>runCommand(Mission.Start::new);
    assertTrue(start.reply().isError());
    assertTrue(start.hasNoEvents());
    assertEquals(
        "mission " + ID + " is denied: cannot start", start.reply().getError().getMessage());
  }

  @Test
  void aSecondDecisionIsRefusedAndChangesNothing() {
    create();
    kit.<StatusReply<Mission.Summary>>runCommand(r -> new Mission.Approve("human", r));
    var again =
        kit.<StatusReply<Mission.Summary>>runCommand(r -> new Mission.Deny("someone", "no", r));
    assertTrue(again.reply().isError());
    assertTrue(again.hasNoEvents());
    assertEquals(MissionStatus.APPROVED, again.state().status());
  }

  @Test
  void commandsToAnUnknownMissionAreRefused() {
    var get = kit.<StatusReply<State>>runCommand(Mission.Get::new);
    assertEquals("no mission " + ID, get.reply().getError().getMessage());
    var approve =
        kit.<StatusReply<Mission.Summary>>runCommand(r -> new Mission.Approve("human", r));
    assertTrue(approve.reply().isError());
    assertTrue(approve.hasNoEvents());
  }

  @Test
  void runningMissionCanFailBeInterruptedOrStopped() {
    create();
    kit.<StatusReply<Mission.Summary>>runCommand(r -> new Mission.Approve("human", r));
    kit.<StatusReply<Mission.Summary>>runCommand(Mission.Start::new);
    Mission.Summary interrupted =
        kit.<StatusReply<Mission.Summary>>runCommand(
                r -> new Mission.Interrupt("node restarted while the agent ran", r))
            .reply()
            .getValue();
    assertEquals(MissionStatus.INTERRUPTED, interrupted.status());
    assertEquals("node restarted while the agent ran", interrupted.reason());

    // a finished mission cannot start again by itself; a follow-up approves it again
    assertTrue(kit.<StatusReply<Mission.Summary>>runCommand(Mission.Start::new).reply().isError());
    Mission.Summary reopened =
        kit.<StatusReply<Mission.Summary>>runCommand(
                r -> new Mission.FollowUp("alpha/api", "go on", r))
            .reply()
            .getValue();
    assertEquals(MissionStatus.APPROVED, reopened.status());
    assertEquals(
        "go on", kit.getState().transcript().get(kit.getState().transcript().size() - 1).text());
    assertEquals(
        MissionStatus.RUNNING,
        kit.<StatusReply<Mission.Summary>>runCommand(Mission.Start::new)
            .reply()
            .getValue()
            .status());
    Mission.Summary failed =
        kit.<StatusReply<Mission.Summary>>runCommand(r -> new Mission.Fail("exit code 1", r))
            .reply()
            .getValue();
    assertEquals(MissionStatus.FAILED, failed.status());

    kit.<StatusReply<Mission.Summary>>runCommand(
        r -> new Mission.FollowUp("alpha/api", "once more", r));
    kit.<StatusReply<Mission.Summary>>runCommand(Mission.Start::new);
    Mission.Summary stopped =
        kit.<StatusReply<Mission.Summary>>runCommand(r -> new Mission.Stop("human", r))
            .reply()
            .getValue();
    assertEquals(MissionStatus.STOPPED, stopped.status());
    assertTrue(
        kit.<StatusReply<Mission.Summary>>runCommand(r -> new Mission.Stop("human", r))
            .reply()
            .isError());
  }

  @Test
  void progressOnlyWhileRunningAndKeepsTheRecentLines() {
    create();
    assertTrue(
        kit.<StatusReply<Mission.Summary>>runCommand(
                r -> new Mission.ReportProgress(List.of("x"), null, r))
            .reply()
            .isError());
    kit.<StatusReply<Mission.Summary>>runCommand(r -> new Mission.Approve("human", r));
    kit.<StatusReply<Mission.Summary>>runCommand(Mission.Start::new);
    for (int i = 1; i <= Mission.RECENT_PROGRESS + 5; i++) {
      int n = i;
      kit.<StatusReply<Mission.Summary>>runCommand(
          r -> new Mission.ReportProgress(List.of("step " + n), null, r));
    }
    State state = kit.<StatusReply<State>>runCommand(Mission.Get::new).reply().getValue();
    assertEquals(Mission.RECENT_PROGRESS, kit.getState().progress().size());
    assertEquals("step " + (Mission.RECENT_PROGRESS + 5), state.latestProgress());
    assertEquals("step 6", kit.getState().progress().get(0));
  }

  @Test
  void aFollowUpToARunningMissionOnlyJoinsItsTranscriptAndADeniedOneTakesNone() {
    create();
    assertTrue(
        kit.<StatusReply<Mission.Summary>>runCommand(r -> new Mission.FollowUp("alpha/api", "x", r))
            .reply()
            .isError());
    kit.<StatusReply<Mission.Summary>>runCommand(r -> new Mission.Approve("human", r));
    kit.<StatusReply<Mission.Summary>>runCommand(Mission.Start::new);
    var followUp =
        kit.<StatusReply<Mission.Summary>>runCommand(
            r -> new Mission.FollowUp("alpha/api", "also the docs", r));
    assertEquals(MissionStatus.RUNNING, followUp.reply().getValue().status());
    assertEquals(1, followUp.events().size());
  }

  @Test
  void aFollowUpCarriedOutTwiceCountsOnce() {
    create();
    kit.<StatusReply<Mission.Summary>>runCommand(r -> new Mission.Approve("human", r));
    kit.<StatusReply<Mission.Summary>>runCommand(Mission.Start::new);
    kit.<StatusReply<Mission.Summary>>runCommand(
        r -> new Mission.Complete("done", "s-1", null, null, r));
    var first =
        kit.<StatusReply<Mission.Summary>>runCommand(
            r -> new Mission.FollowUp("alpha/api", "more", "a-1", r));
    assertEquals(MissionStatus.APPROVED, first.reply().getValue().status());
    kit.<StatusReply<Mission.Summary>>runCommand(Mission.Start::new);
    var again =
        kit.<StatusReply<Mission.Summary>>runCommand(
            r -> new Mission.FollowUp("alpha/api", "more", "a-1", r));
    assertTrue(again.hasNoEvents());
    assertEquals(MissionStatus.RUNNING, again.reply().getValue().status());
    assertEquals(
        1, kit.getState().transcript().stream().filter(e -> e.text().equals("more")).count());
    // the same words under another key are another follow-up
    var other =
        kit.<StatusReply<Mission.Summary>>runCommand(
            r -> new Mission.FollowUp("alpha/api", "more", "a-2", r));
    assertEquals(1, other.events().size());
  }

  @Test
  void aLongRunKeepsItsPromptAndTheLatestTranscriptEntries() {
    create();
    kit.<StatusReply<Mission.Summary>>runCommand(r -> new Mission.Approve("human", r));
    kit.<StatusReply<Mission.Summary>>runCommand(Mission.Start::new);
    List<String> batch =
        java.util.stream.IntStream.range(0, 300).mapToObj(i -> "Read f" + i).toList();
    for (int i = 0; i < 5; i++) {
      kit.<StatusReply<Mission.Summary>>runCommand(r -> new Mission.ReportProgress(batch, null, r));
    }
    State state = kit.<StatusReply<State>>runCommand(Mission.Get::new).reply().getValue();
    assertEquals(Mission.KEPT_ENTRIES, kit.getState().transcript().size());
    assertEquals("run the tests", kit.getState().transcript().get(0).text());
    assertEquals("Read f299", kit.getState().transcript().get(Mission.KEPT_ENTRIES - 1).text());
  }

  @Test
  void messagesJoinTheTranscript() {
    create();
    Mission.Summary state =
        kit.<StatusReply<Mission.Summary>>runCommand(
                r -> new Mission.AddMessage("human", "also check the docs", r))
            .reply()
            .getValue();
    assertEquals("also check the docs", kit.getState().transcript().get(1).text());
    assertEquals("human", kit.getState().transcript().get(1).author());
  }

  @Test
  void stateSurvivesARestart() {
    create();
    kit.<StatusReply<Mission.Summary>>runCommand(r -> new Mission.Approve("human", r));
    kit.<StatusReply<Mission.Summary>>runCommand(Mission.Start::new);
    kit.<StatusReply<Mission.Summary>>runCommand(
        r -> new Mission.ReportProgress(List.of("Edit README.md"), "s-9", r));
    State before = kit.<StatusReply<State>>runCommand(Mission.Get::new).reply().getValue();

    State after = kit.restart().state();
    assertEquals(before, after);
    assertEquals(MissionStatus.RUNNING, after.status());
    assertEquals("s-9", after.agentSessionId());
    assertNull(after.result());
  }

  @Test
  void idsHaveTheDocumentedShape() {
    String id = TestIds.missionId();
    assertTrue(Ids.isMissionId(id), id);
    assertTrue(id.matches("m-\\d{8}-[0-9a-f]{6}"));
    assertTrue(!Ids.isMissionId("m-2026-abc") && !Ids.isMissionId("../m-20261121-abc123"));
  }
}
