package ai.intercom.directory;

import ai.intercom.daemon.Rosters;
import ai.intercom.daemon.SessionDesk;
import ai.intercom.protocol.AgentId;
import ai.intercom.registry.Feedback;
import ai.intercom.registry.Machine;
import ai.intercom.registry.MachineIndex;
import ai.intercom.registry.Project;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Who is there: every machine that registered (online or not), its projects with their profiles,
 * and the agent sessions running now. Put together at each question from the registry entities and
 * the online machines' session desks.
 */
public final class Directory {

  /** {@code missionId}: the mission of an agent launched for one (it takes no chats of its own). */
  /**
   * A session of an agent: {@code status} active, working, idle, stuck or gone (ended lately, at
   * {@code endedAt}); {@code since} when it registered, {@code lastActivity} when a hook last
   * reported.
   */
  public record SessionView(
      String sessionId,
      String status,
      Instant since,
      String missionId,
      Instant lastActivity,
      Instant endedAt) {

    static SessionView of(SessionDesk.LocalSession session) {
      return new SessionView(
          session.sessionId(),
          session.status().wire(),
          session.registeredAt(),
          session.missionId(),
          session.activeAt(),
          session.endedAt());
    }

    public boolean running() {
      return endedAt == null;
    }
  }

  public record AgentView(
      String agent,
      String machine,
      String project,
      String description,
      List<String> capabilities,
      List<String> tags,
      String path,
      boolean online,
      List<SessionView> sessions) {}

  /** {@code joinStatus}: pending, approved, denied or revoked (the operator's decision). */
  public record MachineView(
      String machineId,
      String displayName,
      String description,
      String joinStatus,
      boolean online,
      int projects,
      int sessions,
      Instant lastSeen) {}

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Duration timeout;

  public Directory(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
  }

  /** {@code filter}: {@code all}, {@code online} or {@code machine:<id>}. */
  public CompletionStage<List<AgentView>> agents(String filter) {
    String wanted = filter == null || filter.isBlank() ? "all" : filter.trim();
    if (!wanted.equals("all") && !wanted.equals("online") && !wanted.startsWith("machine:")) {
      return CompletableFuture.failedFuture(
          new IllegalArgumentException(
              "filter '" + filter + "' must be all, online or machine:<id>"));
    }
    return survey()
        .thenApply(
            survey -> {
              List<AgentView> agents = new ArrayList<>();
              survey
                  .machines()
                  .forEach(
                      (id, state) -> {
                        Optional<SessionDesk.Roster> roster =
                            Optional.ofNullable(survey.rosters().get(id));
                        TreeSet<String> names =
                            new TreeSet<>(state.map(s -> s.projects().keySet()).orElse(Set.of()));
                        roster.ifPresent(r -> names.addAll(r.projects()));
                        roster.ifPresent(r -> r.sessions().forEach(s -> names.add(s.project())));
                        for (String name : names) {
                          Project project = state.map(s -> s.projects().get(name)).orElse(null);
                          List<SessionView> sessions =
                              roster
                                  .map(
                                      r ->
                                          java.util.stream.Stream.concat(
                                                  r.sessions().stream(), r.ended().stream())
                                              .filter(s -> s.project().equals(name))
                                              .map(SessionView::of)
                                              .toList())
                                  .orElse(List.of());
                          agents.add(
                              new AgentView(
                                  id + "/" + name,
                                  id,
                                  name,
                                  project == null ? "" : project.description(),
                                  project == null ? List.of() : project.capabilities(),
                                  project == null ? List.of() : project.tags(),
                                  project == null ? "" : project.path(),
                                  roster.isPresent(),
                                  sessions));
                        }
                      });
              return agents.stream()
                  .filter(
                      a ->
                          wanted.equals("all")
                              || (wanted.equals("online") && a.online())
                              || wanted.equals("machine:" + a.machine()))
                  .toList();
            });
  }

  public CompletionStage<List<MachineView>> machines() {
    return survey()
        .thenApply(
            survey ->
                survey.machines().entrySet().stream()
                    .map(
                        entry -> {
                          Optional<SessionDesk.Roster> roster =
                              Optional.ofNullable(survey.rosters().get(entry.getKey()));
                          Optional<Machine.State> state = entry.getValue();
                          return new MachineView(
                              entry.getKey(),
                              state.map(Machine.State::displayName).orElse(entry.getKey()),
                              state.map(Machine.State::description).orElse(""),
                              state
                                  .map(
                                      s -> s.joinStatus().name().toLowerCase(java.util.Locale.ROOT))
                                  .orElse("unknown"),
                              roster.isPresent(),
                              Math.max(
                                  state.map(s -> s.projects().size()).orElse(0),
                                  roster.map(r -> r.projects().size()).orElse(0)),
                              roster.map(r -> r.sessions().size()).orElse(0),
                              state.map(Machine.State::lastSeen).orElse(null));
                        })
                    .toList());
  }

  /**
   * {@code intercom_register}: the profile of the agent's project; null fields stay as they were.
   */
  public CompletionStage<Project> register(
      AgentId agent, String description, List<String> capabilities, List<String> tags) {
    return sharding
        .entityRefFor(Machine.ENTITY_KEY, agent.machine())
        .<Machine.State>askWithStatus(
            r -> new Machine.UpdateProject(agent.project(), description, capabilities, tags, r),
            timeout)
        .thenApply(state -> state.projects().get(agent.project()));
  }

  public CompletionStage<Feedback> report(AgentId agent, Feedback feedback) {
    return sharding
        .entityRefFor(Machine.ENTITY_KEY, agent.machine())
        .<Machine.State>askWithStatus(r -> new Machine.ReportFeedback(feedback, r), timeout)
        .thenApply(state -> feedback);
  }

  /** All machines' feedback, oldest first. */
  public CompletionStage<List<Feedback>> feedback() {
    return survey()
        .thenApply(
            survey ->
                survey.machines().values().stream()
                    .flatMap(state -> state.map(Machine.State::feedback).orElse(List.of()).stream())
                    .sorted(Comparator.comparing(Feedback::at))
                    .toList());
  }

  /**
   * Every known machine's registry state (empty when not readable now) and the rosters of the
   * online ones.
   */
  private record Survey(
      Map<String, Optional<Machine.State>> machines, Map<String, SessionDesk.Roster> rosters) {}

  private CompletionStage<Survey> survey() {
    CompletionStage<Map<String, SessionDesk.Roster>> rosters = rosters();
    return rosters.thenCompose(
        online ->
            sharding
                .entityRefFor(MachineIndex.ENTITY_KEY, MachineIndex.ID)
                .<MachineIndex.State>ask(MachineIndex.Get::new, timeout)
                .exceptionally(error -> new MachineIndex.State(Set.of()))
                .thenCompose(
                    known -> {
                      TreeSet<String> ids = new TreeSet<>(known.machineIds());
                      ids.addAll(online.keySet());
                      Map<String, CompletableFuture<Optional<Machine.State>>> states =
                          new TreeMap<>();
                      for (String id : ids) {
                        states.put(
                            id,
                            sharding
                                .entityRefFor(Machine.ENTITY_KEY, id)
                                .<Machine.State>askWithStatus(Machine.Get::new, timeout)
                                .thenApply(Optional::of)
                                .exceptionally(error -> Optional.empty())
                                .toCompletableFuture());
                      }
                      return CompletableFuture.allOf(
                              states.values().toArray(CompletableFuture[]::new))
                          .thenApply(
                              all -> {
                                Map<String, Optional<Machine.State>> machines = new TreeMap<>();
                                states.forEach((id, state) -> machines.put(id, state.join()));
                                return new Survey(machines, online);
                              });
                    }));
  }

  private CompletionStage<Map<String, SessionDesk.Roster>> rosters() {
    return Rosters.online(system, timeout);
  }
}
