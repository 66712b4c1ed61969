package ai.intercom.mission;

import ai.intercom.daemon.Rosters;
import ai.intercom.daemon.SessionDesk;
import ai.intercom.protocol.AgentId;
import ai.intercom.protocol.Refusal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * A message to many agents at once: {@code *} (every agent with a running session but the sender),
 * {@code <machine>/*} (those of one machine) or {@code * /<project>} (one project on every
 * machine). Each target gets its own message, as if sent alone: its own thread and mission, and the
 * gate's decision for that pair.
 */
final class Broadcast {

  /** Whether {@code to} names several agents. */
  static boolean isPattern(String to) {
    return to != null && to.contains("*");
  }

  /** Which agents a pattern takes in; the pattern's machine or project part, checked. */
  record Pattern(String machine, String project) {

    /**
     * @throws IllegalArgumentException with what is wrong and what the forms are
     */
    static Pattern parse(String to) {
      int slash = to.indexOf('/');
      if (to.equals("*")) {
        return new Pattern(null, null);
      }
      if (slash < 0 || slash != to.lastIndexOf('/')) {
        throw invalid(to);
      }
      String machine = to.substring(0, slash);
      String project = to.substring(slash + 1);
      if (machine.equals("*") && project.equals("*")) {
        return new Pattern(null, null);
      }
      if (machine.equals("*") && AgentId.isValidPart(project)) {
        return new Pattern(null, project);
      }
      if (project.equals("*") && AgentId.isValidPart(machine)) {
        return new Pattern(machine, null);
      }
      throw invalid(to);
    }

    private static IllegalArgumentException invalid(String to) {
      return new IllegalArgumentException(
          "'"
              + to
              + "' is not an agent id (machine/project) nor a broadcast: use *, <machine>/* or"
              + " */<project>");
    }

    boolean matches(String machineId, String projectName) {
      return (machine == null || machine.equals(machineId))
          && (project == null || project.equals(projectName));
    }
  }

  private final ActorSystem<?> system;
  private final Duration timeout;

  Broadcast(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.timeout = timeout;
  }

  /**
   * The agents {@code to} takes in now, but {@code sender}: those with a running session, sorted.
   */
  CompletionStage<List<String>> targets(String to, String sender) {
    Pattern pattern;
    try {
      pattern = Pattern.parse(to);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(Refusal.invalid(e.getMessage()));
    }
    return Rosters.online(system, timeout)
        .thenApply(
            rosters -> {
              TreeSet<String> agents = new TreeSet<>();
              for (Map.Entry<String, SessionDesk.Roster> roster : rosters.entrySet()) {
                for (SessionDesk.LocalSession session : roster.getValue().sessions()) {
                  if (pattern.matches(roster.getKey(), session.project())) {
                    agents.add(roster.getKey() + "/" + session.project());
                  }
                }
              }
              agents.remove(sender);
              if (agents.isEmpty()) {
                throw Refusal.notFound(
                    "no agent with a running session matches '"
                        + to
                        + "' (see intercom_list_agents)");
              }
              return List.copyOf(agents);
            });
  }

  /**
   * Sends to each target with {@code one} and answers their outcomes in the targets' order; a
   * target that refused has its own outcome ({@code refused}, with why), the others go on.
   */
  static CompletionStage<Router.Outcome> each(
      String to, List<String> targets, Function<String, CompletionStage<Router.Outcome>> one) {
    List<CompletableFuture<Router.Outcome>> sent =
        targets.stream()
            .map(
                target ->
                    one.apply(target)
                        .exceptionally(
                            error ->
                                new Router.Outcome(
                                    "refused",
                                    null,
                                    null,
                                    target,
                                    null,
                                    null,
                                    Refusal.sentence(error)))
                        .toCompletableFuture())
            .toList();
    return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
        .thenApply(
            all -> {
              List<Router.Outcome> outcomes = sent.stream().map(CompletableFuture::join).toList();
              return new Router.Outcome(
                  "sent",
                  null,
                  null,
                  to,
                  null,
                  null,
                  outcomes.size() + " targets: each has its own thread and state",
                  null,
                  null,
                  outcomes);
            });
  }
}
