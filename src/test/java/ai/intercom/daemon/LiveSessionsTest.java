package ai.intercom.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.daemon.SessionDesk.LocalSession;
import ai.intercom.daemon.SessionDesk.Register;
import ai.intercom.protocol.Refusal;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.LongPredicate;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;

class LiveSessionsTest {

  static final Instant AT = Instant.parse("2026-11-21T10:00:00Z");
  static final LongPredicate ALL_ALIVE = pid -> true;

  private static Register register(
      String sessionId, String project, long pid, List<Long> ancestors) {
    return new Register(sessionId, project, pid, ancestors, null, null);
  }

  private static LocalSession session(String id, long pid, int secondsAfter) {
    return new LocalSession(id, "web", pid, List.of(), AT.plusSeconds(secondsAfter), null);
  }

  private static String reason(Optional<Refusal> refusal) {
    assertTrue(refusal.isPresent());
    assertEquals(Refusal.Code.INVALID, refusal.get().code());
    return refusal.get().getMessage();
  }

  @Test
  void aWellFormedRegistrationOfARunningProcessIsAccepted() {
    assertEquals(
        Optional.empty(),
        LiveSessions.refusal(register("s-1", "web", 100, List.of(99L, 2L)), ALL_ALIVE));
  }

  @Test
  void aRegistrationIsRefusedForItsIdProjectAncestorsOrAMissingProcess() {
    assertTrue(
        reason(LiveSessions.refusal(register("s 1", "web", 100, List.of()), ALL_ALIVE))
            .startsWith("session id 's 1'"));
    assertTrue(
        reason(LiveSessions.refusal(register("s-1", "../web", 100, List.of()), ALL_ALIVE))
            .startsWith("project name '../web'"));
    assertTrue(
        reason(LiveSessions.refusal(register("s-1", "web", 100, List.of(99L, 1L)), ALL_ALIVE))
            .startsWith("ancestors must be at most 32"));
    assertTrue(
        reason(
                LiveSessions.refusal(
                    register("s-1", "web", 100, Collections.nCopies(33, 7L)), ALL_ALIVE))
            .startsWith("ancestors must be at most 32"));
    assertEquals(
        "no process 100 runs on this machine",
        reason(LiveSessions.refusal(register("s-1", "web", 100, List.of()), pid -> pid != 100)));
  }

  @Test
  void sessionsAreListedInTheOrderTheyRegisteredAndAReRegistrationReplacesTheOld() {
    LiveSessions sessions = new LiveSessions();
    sessions.put(session("late", 3, 30), null);
    sessions.put(session("early", 1, 10), null);
    sessions.put(session("middle", 2, 20), null);
    sessions.put(session("early", 1, 40), null);
    assertEquals(
        List.of("middle", "late", "early"),
        sessions.byRegistration().stream().map(LocalSession::sessionId).toList());
  }

  @Test
  void aSessionIsGoneOnceItsProcessNoLongerRuns() {
    LiveSessions sessions = new LiveSessions();
    sessions.put(session("s-1", 101, 0), null);
    sessions.put(session("s-2", 102, 1), null);
    assertEquals(
        List.of("s-2"),
        sessions.gone(pid -> pid != 102).stream().map(LocalSession::sessionId).toList());
    assertEquals(List.of(), sessions.gone(ALL_ALIVE));
  }

  @Test
  void findingAnUnknownSessionSaysThereIsNoSuchSessionHere() {
    LiveSessions sessions = new LiveSessions();
    sessions.put(session("s-1", 101, 0), null);
    StatusReply<LocalSession> found = sessions.find("s-1", LiveSessions.Live::session);
    assertEquals("s-1", found.getValue().sessionId());
    StatusReply<LocalSession> missing = sessions.find("s-9", LiveSessions.Live::session);
    Refusal refusal = assertInstanceOf(Refusal.class, missing.getError());
    assertEquals(Refusal.Code.NO_SESSION, refusal.code());
    assertTrue(refusal.getMessage().startsWith("no session s-9 on this machine"));
    assertTrue(sessions.contains("s-1"));
    assertEquals("s-1", sessions.remove("s-1").session().sessionId());
    assertFalse(sessions.contains("s-1"));
    assertNull(sessions.remove("s-1"));
  }
}
