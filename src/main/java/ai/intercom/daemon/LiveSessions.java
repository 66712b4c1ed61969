package ai.intercom.daemon;

import ai.intercom.daemon.SessionDesk.LocalSession;
import ai.intercom.daemon.SessionDesk.Register;
import ai.intercom.protocol.AgentId;
import ai.intercom.protocol.Ids;
import ai.intercom.protocol.Refusal;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.LongPredicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * The agent sessions of this machine that are live now, each with its inbox: which registrations
 * are accepted, which sessions are known, and which are gone because their agent process ended.
 */
final class LiveSessions {

  /** A live session and the inbox its letters go to. */
  record Live(LocalSession session, ActorRef<Inbox.Command> inbox) {}

  private final Map<String, Live> sessions = new HashMap<>();

  /**
   * Why a registration is refused (a malformed id or name, implausible ancestors, no such process),
   * or empty if it is accepted.
   */
  static Optional<Refusal> refusal(Register cmd, LongPredicate alive) {
    if (!Ids.isSessionId(cmd.sessionId())) {
      return Optional.of(
          Refusal.invalid(
              "session id '" + cmd.sessionId() + "' must be 1-128 letters, digits, '_' or '-'"));
    }
    if (!AgentId.isValidPart(cmd.project())) {
      return Optional.of(
          Refusal.invalid(
              "project name '"
                  + cmd.project()
                  + "' must be 1-63 letters, digits, '.', '_' or '-'"));
    }
    if (!PidLinks.plausible(cmd.ancestors())) {
      return Optional.of(
          Refusal.invalid(
              "ancestors must be at most " + PidLinks.MAX_ANCESTORS + " process ids above 1"));
    }
    if (!alive.test(cmd.pid())) {
      return Optional.of(Refusal.invalid("no process " + cmd.pid() + " runs on this machine"));
    }
    return Optional.empty();
  }

  /** The live session with this id, or null. */
  Live get(String sessionId) {
    return sessions.get(sessionId);
  }

  boolean contains(String sessionId) {
    return sessions.containsKey(sessionId);
  }

  /** Adds the session, or replaces what a session of the same id registered before. */
  void put(LocalSession session, ActorRef<Inbox.Command> inbox) {
    sessions.put(session.sessionId(), new Live(session, inbox));
  }

  /** Takes the session out; null if it was not live. */
  Live remove(String sessionId) {
    return sessions.remove(sessionId);
  }

  Collection<Live> all() {
    return sessions.values();
  }

  /**
   * What the live session {@code sessionId} has, or an error saying there is no such session here.
   */
  <T> StatusReply<T> find(String sessionId, Function<Live, T> what) {
    Live live = sessions.get(sessionId);
    return live == null
        ? StatusReply.error(
            new Refusal(
                Refusal.Code.NO_SESSION,
                "no session " + sessionId + " on this machine (is its MCP server running?)"))
        : StatusReply.success(what.apply(live));
  }

  /** The live sessions, oldest registration first. */
  List<LocalSession> byRegistration() {
    return sessions.values().stream()
        .map(Live::session)
        .sorted(Comparator.comparing(LocalSession::registeredAt))
        .toList();
  }

  /** The sessions whose agent process no longer runs. */
  List<LocalSession> gone(LongPredicate alive) {
    return sessions.values().stream()
        .map(Live::session)
        .filter(session -> !alive.test(session.pid()))
        .toList();
  }
}
