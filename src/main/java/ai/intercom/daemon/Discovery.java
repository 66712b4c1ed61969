package ai.intercom.daemon;

import ai.intercom.registry.Machine;
import ai.intercom.registry.MachineIndex;
import ai.intercom.registry.Project;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The project scanner of a machine: finds its projects under the scan paths (off the actor's
 * thread), registers the machine and its projects with the registry (again until the hub answers),
 * and tells the session desk which projects exist.
 */
public final class Discovery {

  static final Duration RETRY = Duration.ofSeconds(3);

  public sealed interface Command {}

  /** What the scan found, and where it looked (for the log). */
  private record Scanned(List<Project> projects, String where) implements Command {}

  private enum Register implements Command {
    INSTANCE
  }

  private record Registered(Machine.State state, Throwable error) implements Command {}

  /** How this machine presents itself in the registry. */
  public record Identity(String machineId, String displayName, String description) {}

  /**
   * Scans {@code roots} (none: discovery is off) with {@code scanner}, then registers as {@code
   * machine}.
   */
  public static Behavior<Command> create(
      Identity machine,
      ProjectScanner scanner,
      List<ProjectScanner.Root> roots,
      ActorRef<SessionDesk.Command> desk,
      Duration timeout) {
    return Behaviors.supervise(
            Behaviors.<Command>setup(
                context ->
                    Behaviors.withTimers(
                        timers -> {
                          if (!roots.isEmpty()) {
                            context.pipeToSelf(
                                CompletableFuture.supplyAsync(
                                    () -> new Looked(scanner.scanRoots(roots), where(roots)),
                                    context.getExecutionContext()),
                                (result, error) -> {
                                  if (error != null) {
                                    context
                                        .getLog()
                                        .warn("project discovery failed: {}", error.getMessage());
                                    return new Scanned(List.of(), where(roots));
                                  }
                                  result
                                      .result()
                                      .notes()
                                      .forEach(
                                          note -> context.getLog().info("discovery: {}", note));
                                  return new Scanned(result.result().projects(), result.where());
                                });
                          } else {
                            context
                                .getSelf()
                                .tell(new Scanned(List.of(), "no folder (discovery is off)"));
                          }
                          return scanning(context, timers, machine, desk, timeout);
                        })))
        .onFailure(
            SupervisorStrategy.restartWithBackoff(
                Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2));
  }

  private record Looked(ProjectScanner.Result result, String where) {}

  /**
   * Where the scan looked, for the log: "/a (4 levels deep), /b (missing)"; file I/O, made with the
   * scan off the actor's thread.
   */
  static String where(List<ProjectScanner.Root> roots) {
    return roots.stream()
        .map(
            root ->
                root.path()
                    + (Files.isDirectory(root.path())
                        ? " ("
                            + root.depth()
                            + (root.depth() == 1 ? " level" : " levels")
                            + " deep)"
                        : " (missing)"))
        .collect(Collectors.joining(", "));
  }

  private static Behavior<Command> scanning(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Identity machine,
      ActorRef<SessionDesk.Command> desk,
      Duration timeout) {
    return Behaviors.receive(Command.class)
        .onMessage(
            Scanned.class,
            scanned -> {
              context
                  .getLog()
                  .info("{} projects found in {}", scanned.projects().size(), scanned.where());
              desk.tell(
                  new SessionDesk.KnowProjects(
                      scanned.projects().stream().map(Project::name).toList()));
              context.getSelf().tell(Register.INSTANCE);
              return registering(context, timers, machine, scanned.projects(), desk, timeout);
            })
        .build();
  }

  private static Behavior<Command> registering(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Identity machine,
      List<Project> projects,
      ActorRef<SessionDesk.Command> desk,
      Duration timeout) {
    ClusterSharding sharding = ClusterSharding.get(context.getSystem());
    return Behaviors.receive(Command.class)
        .onMessageEquals(
            Register.INSTANCE,
            () -> {
              sharding
                  .entityRefFor(MachineIndex.ENTITY_KEY, MachineIndex.ID)
                  .tell(new MachineIndex.Add(machine.machineId(), context.getSystem().ignoreRef()));
              context.pipeToSelf(
                  sharding
                      .entityRefFor(Machine.ENTITY_KEY, machine.machineId())
                      .askWithStatus(
                          r ->
                              new Machine.Register(
                                  machine.displayName(), machine.description(), projects, r),
                          timeout),
                  Registered::new);
              return Behaviors.same();
            })
        .onMessage(
            Registered.class,
            registered -> {
              if (registered.error() != null) {
                context
                    .getLog()
                    .info(
                        "machine {} not registered yet ({}); again in {}",
                        machine.machineId(),
                        registered.error().getMessage(),
                        RETRY);
                timers.startSingleTimer(Register.INSTANCE, RETRY);
                return Behaviors.same();
              }
              desk.tell(new SessionDesk.KnowProjects(registered.state().projects().keySet()));
              return Behaviors.same();
            })
        .build();
  }

  private Discovery() {}
}
