package ai.intercom.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.protocol.AgentId;
import ai.intercom.protocol.Ids;
import ai.intercom.registry.Session.State;
import ai.intercom.registry.Session.Status;
import ai.intercom.testing.EntityTestBase;
import java.util.List;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;

class SessionTest extends EntityTestBase<Session.Command, Session.Event, State> {

  private static final String ID = "5f0c2a9e-1111-4a2b-9c3d-0123456789ab";

  SessionTest() {
    super(Session.create(ID));
  }

  private StatusReply<State> register(String machine, long pid) {
    return kit.<StatusReply<State>>runCommand(r -> new Session.Register(machine, "api", pid, r))
        .reply();
  }

  @Test
  void registeredSessionIsActiveForItsProject() {
    State state = register("alpha", 4242).getValue();
    assertEquals(Status.ACTIVE, state.status());
    assertEquals(new AgentId("alpha", "api"), state.agent());
    assertEquals(4242, state.pid());
  }

  @Test
  void statusUpdatesKeepSummaryAndRecentActivity() {
    register("alpha", 1);
    kit.<StatusReply<State>>runCommand(
        r -> new Session.UpdateStatus(Status.WORKING, "fixing the login bug", "Edit auth.py", r));
    State state =
        kit.<StatusReply<State>>runCommand(
                r -> new Session.UpdateStatus(Status.IDLE, null, null, r))
            .reply()
            .getValue();
    assertEquals(Status.IDLE, state.status());
    assertEquals("fixing the login bug", state.summary());
    assertEquals(List.of("Edit auth.py"), state.recentActivity());
    for (int i = 0; i < Session.RECENT_ACTIVITY + 3; i++) {
      int n = i;
      kit.<StatusReply<State>>runCommand(
          r -> new Session.UpdateStatus(Status.WORKING, null, "tool " + n, r));
    }
    State busy = kit.<StatusReply<State>>runCommand(Session.Get::new).reply().getValue();
    assertEquals(Session.RECENT_ACTIVITY, busy.recentActivity().size());
    assertEquals(
        "tool " + (Session.RECENT_ACTIVITY + 2),
        busy.recentActivity().get(Session.RECENT_ACTIVITY - 1));
  }

  @Test
  void unregisteredSessionIsGoneAndTakesNoStatus() {
    register("alpha", 1);
    State gone =
        kit.<StatusReply<State>>runCommand(r -> new Session.Unregister("agent exited", r))
            .reply()
            .getValue();
    assertEquals(Status.GONE, gone.status());
    assertFalse(gone.isLive());
    var update =
        kit.<StatusReply<State>>runCommand(
            r -> new Session.UpdateStatus(Status.WORKING, null, null, r));
    assertTrue(update.reply().isError());
    assertTrue(update.hasNoEvents());
    // the agent resumes the same session later
    assertEquals(Status.ACTIVE, register("alpha", 2).getValue().status());
  }

  @Test
  void aSessionCannotMoveToAnotherMachine() {
    register("alpha", 1);
    var moved = kit.<StatusReply<State>>runCommand(r -> new Session.Register("beta", "api", 7, r));
    assertTrue(moved.reply().isError());
    assertTrue(moved.hasNoEvents());
  }

  @Test
  void goneIsNotAStatusUpdate() {
    register("alpha", 1);
    assertTrue(
        kit.<StatusReply<State>>runCommand(
                r -> new Session.UpdateStatus(Status.GONE, null, null, r))
            .reply()
            .isError());
  }

  @Test
  void unknownSessionIsReportedAsSuch() {
    assertEquals(
        "no session " + ID,
        kit.<StatusReply<State>>runCommand(Session.Get::new).reply().getError().getMessage());
  }

  @Test
  void stateSurvivesARestart() {
    register("alpha", 31337);
    kit.<StatusReply<State>>runCommand(
        r -> new Session.UpdateStatus(Status.WORKING, "reviewing", "Read a.py", r));
    State before = kit.<StatusReply<State>>runCommand(Session.Get::new).reply().getValue();
    assertEquals(before, kit.restart().state());
  }

  @Test
  void sessionIdsAreSafeFileNames() {
    assertTrue(Ids.isSessionId(ID));
    for (String bad : new String[] {"", "a/b", "../x", "a b", ".hidden", "x".repeat(129)}) {
      assertFalse(Ids.isSessionId(bad), bad);
    }
  }
}
