package ai.intercom.http;

import ai.intercom.daemon.SessionDesk;
import ai.intercom.security.Callers;
import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operator actions (approvals, denials and grants, stopping others' missions, reloading the policy)
 * are refused to agents: to any process inside a registered agent session (the agent's process and
 * its descendants) and to the agents this node launched. Who calls is what the kernel says about
 * the connection's other end, never what the request claims; the local token alone, which an agent
 * with a shell can read, is not enough.
 */
final class OperatorCheck extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(OperatorCheck.class);

  /** Who is calling. */
  sealed interface Caller {}

  /** The operator: a process outside every agent session. */
  record Operator() implements Caller {}

  /**
   * An agent: {@code agent} ({@code machine/project}) of session {@code session}, or the agent a
   * mission runs ({@code mission}); {@code pid}: its process.
   */
  record Agent(String agent, String session, String mission, long pid) implements Caller {
    String describe() {
      return session != null
          ? "agent session " + session + " of " + agent + " (process " + pid + ")"
          : "the agent of mission " + mission + " (process " + pid + ")";
    }
  }

  /** The kernel did not say who it is. */
  record Unknown(String why) implements Caller {}

  /** A process of another user than the node's: never the operator. */
  record OtherUser(int uid) implements Caller {}

  private final ActorSystem<?> system;
  private final String machineId;
  private final Optional<ActorRef<SessionDesk.Command>> desk;
  private final Optional<Supplier<CompletionStage<Map<String, Long>>>> launched;
  private final Duration timeout;
  private final Executor blocking;

  OperatorCheck(
      ActorSystem<?> system,
      String machineId,
      Optional<ActorRef<SessionDesk.Command>> desk,
      Optional<Supplier<CompletionStage<Map<String, Long>>>> launched,
      Duration timeout) {
    this.system = system;
    this.machineId = machineId;
    this.desk = desk;
    this.launched = launched;
    this.timeout = timeout;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    if (!Callers.available() && (desk.isPresent() || launched.isPresent())) {
      log.warn(
          "this system has no /proc: operator actions cannot be told from agents' (see the"
              + " README's threat model)");
    }
  }

  /** {@code inner} for the operator; a clear 403 for an agent or a caller the kernel hides. */
  Route operatorOnly(String action, Supplier<Route> inner) {
    return withCaller(
        caller -> {
          if (caller instanceof Agent agent) {
            return forbidden(action, agent);
          }
          if (caller instanceof OtherUser other) {
            log.warn("refused: a process of user {} may not {}", other.uid(), action);
            return complete(
                StatusCodes.FORBIDDEN,
                new Json.Error(
                    "operator actions are refused to other users: this request comes from a"
                        + " process of uid "
                        + other.uid()
                        + ", this node runs as uid "
                        + Callers.ownUid()
                        + " (run it as that user, or answer in Telegram)",
                    null),
                Json.marshaller());
          }
          return inner.get();
        });
  }

  /** {@code inner} with who calls (the operator or an agent); an unknown caller is refused. */
  Route withCaller(Function<Caller, Route> inner) {
    return extractRequest(
        request ->
            onSuccess(
                identify(request),
                caller ->
                    caller instanceof Unknown unknown
                        ? unknown("this", unknown)
                        : inner.apply(caller)));
  }

  Route forbidden(String action, Agent agent) {
    log.warn("refused: {} may not {}", agent.describe(), action);
    return complete(
        StatusCodes.FORBIDDEN,
        new Json.Error(
            "operator actions are refused to agents: this request comes from "
                + agent.describe()
                + ", which may not "
                + action
                + " (run it from your own shell, or answer in Telegram)",
            null),
        Json.marshaller());
  }

  private Route unknown(String action, Unknown unknown) {
    log.warn("refused to {} for a caller the kernel does not name: {}", action, unknown.why());
    return complete(
        StatusCodes.FORBIDDEN,
        new Json.Error("cannot tell who asks to " + action + ": " + unknown.why(), null),
        Json.marshaller());
  }

  CompletionStage<Caller> identify(HttpRequest request) {
    if (desk.isEmpty() && launched.isEmpty()) {
      // a hub without agents: every local caller is the operator
      return CompletableFuture.completedFuture(new Operator());
    }
    if (!Callers.available()) {
      return CompletableFuture.completedFuture(new Operator());
    }
    Optional<RemoteAddress> remote = request.getAttribute(AttributeKeys.remoteAddress);
    Optional<InetAddress> address = remote.flatMap(RemoteAddress::getAddress);
    if (address.isEmpty() || remote.get().getPort() <= 0) {
      return CompletableFuture.completedFuture(new Unknown("the connection's address is unknown"));
    }
    if (!address.get().isLoopbackAddress()) {
      return CompletableFuture.completedFuture(
          new Unknown(
              "operator actions are taken on this node's machine, not from " + address.get()));
    }
    int port = remote.get().getPort();
    CompletionStage<Seen> seen =
        CompletableFuture.supplyAsync(
            () -> {
              int owner = Callers.ownerOf(address.get(), port);
              if (owner >= 0 && owner != Callers.ownUid()) {
                return new Seen(Set.of(), owner);
              }
              Set<Long> chain = new LinkedHashSet<>();
              Callers.holders(address.get(), port)
                  .forEach(pid -> chain.addAll(Callers.lineage(pid)));
              return new Seen(chain, owner);
            },
            blocking);
    return seen.thenCompose(
        caller -> {
          if (caller.owner() >= 0 && caller.owner() != Callers.ownUid()) {
            return CompletableFuture.completedFuture(new OtherUser(caller.owner()));
          }
          if (caller.chain().isEmpty()) {
            return CompletableFuture.completedFuture(
                new Unknown("the kernel names no process holding this connection"));
          }
          return sessions()
              .thenCombine(agents(), (sessions, agents) -> judge(caller.chain(), sessions, agents));
        });
  }

  /** The caller's processes and their ancestors, and the user owning its socket (-1: unknown). */
  private record Seen(Set<Long> chain, int owner) {}

  private Caller judge(
      Set<Long> chain, List<SessionDesk.LocalSession> sessions, Map<String, Long> agents) {
    for (SessionDesk.LocalSession session : sessions) {
      if (chain.contains(session.pid())) {
        return new Agent(
            machineId + "/" + session.project(), session.sessionId(), null, session.pid());
      }
    }
    for (Map.Entry<String, Long> run : agents.entrySet()) {
      if (chain.contains(run.getValue())) {
        return new Agent(null, null, run.getKey(), run.getValue());
      }
    }
    return new Operator();
  }

  private CompletionStage<List<SessionDesk.LocalSession>> sessions() {
    return desk.map(
            d ->
                AskPattern.<SessionDesk.Command, List<SessionDesk.LocalSession>>ask(
                    d, SessionDesk.ListSessions::new, timeout, system.scheduler()))
        .orElseGet(() -> CompletableFuture.completedFuture(List.of()));
  }

  private CompletionStage<Map<String, Long>> agents() {
    return launched.map(Supplier::get).orElseGet(() -> CompletableFuture.completedFuture(Map.of()));
  }
}
