package ai.intercom.launcher;

import ai.intercom.cluster.MachineServices;
import ai.intercom.daemon.Letter;
import ai.intercom.daemon.SessionDesk;
import ai.intercom.mission.Mission;
import ai.intercom.protocol.AgentId;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The letter that tells a requesting session how its mission ended: who gets one (always for
 * start_agent, for ask only when the asker stopped waiting, never a human) and what it says.
 */
final class OutcomeNote {

  /** Results longer than this reach the requester's inbox cut (intercom_status has them whole). */
  static final int NOTICE_CHARS = 8000;

  private OutcomeNote() {}

  /** The agent to tell about the mission's end, or empty when nobody is to be told (yet). */
  static Optional<AgentId> recipient(Mission.Summary state) {
    if (!state.status().isFinished() || state.from() == null || state.fromSession() == null) {
      return Optional.empty();
    }
    AgentId from;
    try {
      from = AgentId.parse(state.from());
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (from.isHuman()
        || Duration.between(state.createdAt(), state.updatedAt()).toSeconds()
            < state.notifyAfterSeconds()) {
      return Optional.empty();
    }
    return Optional.of(from);
  }

  /**
   * The note in the mission's thread; its id names the end it reports, so that a copy delivered
   * twice is recognised.
   */
  static Letter letter(Mission.Summary state, Instant now) {
    return new Letter(
        state.missionId() + ":end:" + state.updatedAt().toEpochMilli(),
        state.missionId(),
        state.missionId(),
        state.to(),
        text(state),
        now);
  }

  /**
   * Tells the mission's requester how it ended, in its session's inbox, if anyone is to be told.
   */
  static void tell(
      Mission.Summary state, MachineServices<SessionDesk.Command> desks, ActorSystem<?> system) {
    recipient(state)
        .ifPresent(
            from -> {
              Letter letter = letter(state, Instant.now());
              desks
                  .of(from.machine())
                  .thenAccept(
                      desk ->
                          desk.ifPresent(
                              d ->
                                  d.tell(
                                      new SessionDesk.DeliverToProject(
                                          from.project(),
                                          letter,
                                          state.fromSession(),
                                          system.ignoreRef()))));
            });
  }

  static String text(Mission.Summary state) {
    String head = "Mission " + state.missionId() + " (" + state.kind().name().toLowerCase() + ") ";
    String body =
        switch (state.status()) {
          case COMPLETED -> "completed. Result:\n" + state.result();
          case FAILED -> "failed: " + state.reason();
          case INTERRUPTED -> "was interrupted: " + state.reason();
          case STOPPED -> "was stopped (" + state.reason() + ").";
          default -> "is " + state.status().name().toLowerCase() + ".";
        };
    String text = head + body;
    if (text.length() > NOTICE_CHARS) {
      text =
          text.substring(0, NOTICE_CHARS)
              + "\n[cut: intercom_status(\""
              + state.missionId()
              + "\") has it all]";
    }
    return text + "\nA reply to this thread continues the same agent conversation.";
  }
}
