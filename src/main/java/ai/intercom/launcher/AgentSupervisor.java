package ai.intercom.launcher;

import ai.intercom.cluster.MachineServices;
import ai.intercom.config.LauncherSettings;
import ai.intercom.daemon.SessionDesk;
import ai.intercom.mission.Mission;
import ai.intercom.protocol.JsonSerializable;
import ai.intercom.protocol.MissionStatus;
import ai.intercom.protocol.Refusal;
import ai.intercom.registry.Machine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The agent processes of one machine: starts the agent of each approved mission in its project (one
 * {@link AgentRun} child per run, at most {@code max-concurrent} at once, the others queued in
 * order), continues a mission's conversation for follow-ups, stops runs, and tells the requesting
 * session how its mission ended. Missions it took on are kept in {@link MachineRuns}: after a crash
 * or restart, those that were running are interrupted and the queued ones start.
 *
 * <p>What needs no actor is in {@link RunQueue} (slots and queue), {@link LaunchPlanner} (the run's
 * command line, directory and environment), {@link OutcomeNote} (what the requester is told) and
 * {@link Recovery} (what becomes of the ledger's missions at a start).
 */
public final class AgentSupervisor extends AbstractBehavior<AgentSupervisor.Command> {

  public static final String KEY_PREFIX = "agent-supervisor-";

  /** How long a step the hub did not answer waits before it is tried again. */
  static final Duration RETRY = Duration.ofSeconds(3);

  /**
   * Tries of a step before the mission is left to the next start of the node (it stays in the
   * ledger).
   */
  static final int TRIES = 10;

  public sealed interface Command extends JsonSerializable {}

  /**
   * Runs the mission's agent if the mission is approved and not yet taken on; {@code followUp}: the
   * message that continues its conversation. Answers once the mission is in this machine's ledger
   * (or there was nothing to do).
   */
  public record Launch(
      String missionId, String followUp, String followUpKey, ActorRef<Done> replyTo)
      implements Command {
    /** The mission's own prompt. */
    public Launch(String missionId, ActorRef<Done> replyTo) {
      this(missionId, null, null, replyTo);
    }
  }

  /** The mission was stopped: end its run, or take it out of the queue. */
  public record StopRun(String missionId, String by) implements Command {}

  /**
   * The processes of the agents running now, by mission id (the operator check refuses what comes
   * from them or their descendants).
   */
  public record RunningAgents(ActorRef<Map<String, Long>> replyTo) implements Command {}

  /** Sent by a run once its agent process started. */
  record RunStarted(String missionId, MachineRuns.Process process) implements Command {}

  /**
   * The node stops: the running missions are interrupted (their agents end with the node), the
   * queued ones stay in the ledger for the next start.
   */
  public record Shutdown(ActorRef<Done> replyTo) implements Command {}

  /**
   * Sent by a run when it is over, with the mission as the run left it (null if it could not be
   * read). A mission's follow-up may start its next run before the last one is seen stopped: an end
   * counts for the run that sent it only.
   */
  record RunEnded(String missionId, ActorRef<AgentRun.Command> run, Mission.Summary mission)
      implements Command {}

  /**
   * The steps of taking a mission on; {@code attempt} counts the tries of a step the hub did not
   * answer.
   */
  private record Ledgered(Launch launch, Throwable error, int attempt) implements Command {}

  private record Fetch(Launch launch, int attempt) implements Command {}

  private record Fetched(Launch launch, Mission.State mission, Throwable error, int attempt)
      implements Command {}

  private record Planned(Launch launch, AgentRun.Spec spec, Throwable error, int attempt)
      implements Command {}

  private record Retry(Launch launch, int attempt) implements Command {}

  private enum Recover implements Command {
    INSTANCE
  }

  private record Recovered(Map<String, MachineRuns.Process> runs, Throwable error)
      implements Command {}

  private record Notify(Mission.Summary mission) implements Command {}

  /** What the machine is and how it runs agents. */
  public record Setup(
      String machineId,
      LauncherSettings settings,
      Path logsDir,
      Supplier<Map<String, String>> environment,
      Duration askTimeout,
      MachineServices<SessionDesk.Command> desks) {}

  public static ServiceKey<Command> keyFor(String machineId) {
    return MachineServices.key(Command.class, KEY_PREFIX, machineId);
  }

  /** Makes the supervisor findable by other nodes; call once this node is Up. */
  public static void announce(
      ActorSystem<?> system, String machineId, ActorRef<Command> supervisor) {
    system.receptionist().tell(Receptionist.register(keyFor(machineId), supervisor));
  }

  /**
   * The supervisor, restarted after a failure: its runs end with it, and the restart takes up the
   * ledger as a new start of the node would.
   */
  public static Behavior<Command> create(Setup setup) {
    return Behaviors.supervise(
            Behaviors.<Command>setup(
                context ->
                    Behaviors.withTimers(
                        timers -> {
                          timers.startSingleTimer(Recover.INSTANCE, Duration.ZERO);
                          return new AgentSupervisor(context, timers, setup);
                        })))
        .onFailure(
            SupervisorStrategy.restartWithBackoff(
                Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2));
  }

  private final TimerScheduler<Command> timers;
  private final Setup setup;
  private final LauncherSettings settings;
  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Executor blocking;
  private final MachineServices<SessionDesk.Command> desks;
  private final LaunchPlanner planner;
  private final RunQueue<ActorRef<AgentRun.Command>> runs;
  private long runsStarted;
  private final Map<String, Long> agentPids = new HashMap<>();

  private AgentSupervisor(
      ActorContext<Command> context, TimerScheduler<Command> timers, Setup setup) {
    super(context);
    this.timers = timers;
    this.setup = setup;
    this.settings = setup.settings();
    this.system = context.getSystem();
    this.sharding = ClusterSharding.get(system);
    this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    this.desks = setup.desks();
    this.planner = new LaunchPlanner(setup.machineId(), settings, setup.logsDir());
    this.runs = new RunQueue<>(setup.machineId(), settings.maxConcurrent());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Launch.class, this::onLaunch)
        .onMessage(Ledgered.class, this::onLedgered)
        .onMessage(Retry.class, retry -> take(retry.launch(), retry.attempt()))
        .onMessage(Fetch.class, fetch -> fetch(fetch.launch(), fetch.attempt()))
        .onMessage(Fetched.class, this::onFetched)
        .onMessage(Planned.class, this::onPlanned)
        .onMessage(
            RunStarted.class,
            started -> {
              agentPids.put(started.missionId(), started.process().pid());
              ledger().tell(new MachineRuns.RecordProcess(started.missionId(), started.process()));
              return this;
            })
        .onMessage(
            RunningAgents.class,
            query -> {
              query.replyTo().tell(Map.copyOf(agentPids));
              return this;
            })
        .onMessage(Shutdown.class, this::onShutdown)
        .onMessage(RunEnded.class, this::onRunEnded)
        .onMessage(StopRun.class, this::onStopRun)
        .onMessageEquals(Recover.INSTANCE, this::onRecover)
        .onMessage(Recovered.class, this::onRecovered)
        .onMessage(
            Notify.class,
            notify -> {
              notifyRequester(notify.mission());
              return this;
            })
        .build();
  }

  private EntityRef<Mission.Command> mission(String missionId) {
    return sharding.entityRefFor(Mission.ENTITY_KEY, missionId);
  }

  private EntityRef<MachineRuns.Command> ledger() {
    return sharding.entityRefFor(MachineRuns.ENTITY_KEY, setup.machineId());
  }

  private Behavior<Command> onLaunch(Launch launch) {
    String id = launch.missionId();
    if (runs.takenOn(id)) {
      if (launch.followUp() != null) {
        runs.hold(id, launch.followUp(), launch.followUpKey());
      }
      launch.replyTo().tell(Done.getInstance());
      return this;
    }
    runs.beginPreparing(id);
    return take(launch, 1);
  }

  /** First into the ledger, so that a crash from here on is recovered at the next start. */
  private Behavior<Command> take(Launch launch, int attempt) {
    getContext()
        .pipeToSelf(
            ledger()
                .<MachineRuns.State>ask(
                    r -> new MachineRuns.Add(launch.missionId(), r), setup.askTimeout()),
            (state, error) -> new Ledgered(launch, error, attempt));
    return this;
  }

  private Behavior<Command> onLedgered(Ledgered ledgered) {
    Launch launch = ledgered.launch();
    if (ledgered.error() != null) {
      return retry(
          launch, ledgered.attempt(), ledgered.error(), new Retry(launch, ledgered.attempt() + 1));
    }
    launch.replyTo().tell(Done.getInstance());
    return fetch(launch, 1);
  }

  private Behavior<Command> fetch(Launch launch, int attempt) {
    getContext()
        .pipeToSelf(
            mission(launch.missionId()).askWithStatus(Mission.Get::new, setup.askTimeout()),
            (state, error) -> new Fetched(launch, state, error, attempt));
    return this;
  }

  /**
   * A step the hub did not answer is tried again a while later; past the tries the next start takes
   * it up.
   */
  private Behavior<Command> retry(Launch launch, int attempt, Throwable error, Command again) {
    String id = launch.missionId();
    if (attempt >= TRIES) {
      runs.endPreparing(id);
      getContext()
          .getLog()
          .error(
              "mission {}: not launched after {} tries ({}); the next start of this node"
                  + " takes it up again",
              id,
              attempt,
              Refusal.sentence(error));
      return this;
    }
    getContext()
        .getLog()
        .info(
            "mission {}: the hub does not answer ({}); again in {}",
            id,
            Refusal.sentence(error),
            RETRY);
    timers.startSingleTimer("retry-" + id, again, RETRY);
    return this;
  }

  /** Drops a mission there is nothing to do for: out of the ledger. */
  private Behavior<Command> drop(String missionId) {
    runs.endPreparing(missionId);
    ledger().tell(new MachineRuns.Remove(missionId, system.ignoreRef()));
    return this;
  }

  private Behavior<Command> onFetched(Fetched fetched) {
    Launch launch = fetched.launch();
    String id = launch.missionId();
    if (fetched.error() != null) {
      if (Refusal.of(fetched.error()).isPresent()) {
        getContext()
            .getLog()
            .warn("mission {}: not launched: {}", id, Refusal.sentence(fetched.error()));
        return drop(id);
      }
      return retry(
          launch, fetched.attempt(), fetched.error(), new Fetch(launch, fetched.attempt() + 1));
    }
    Mission.State state = fetched.mission();
    if (launch.followUp() != null
        && state.status().isFinished()
        && state.status() != MissionStatus.DENIED) {
      // the run ended between the follow-up and this launch: the mission takes up work again
      getContext()
          .pipeToSelf(
              mission(id).askWithStatus(Mission.Resume::new, setup.askTimeout()),
              // read again whole: the plan needs the transcript
              (resumed, error) ->
                  error == null
                      ? new Fetch(launch, fetched.attempt())
                      : new Fetched(launch, null, error, fetched.attempt()));
      return this;
    }
    if (state.status() != MissionStatus.APPROVED) {
      getContext().getLog().debug("mission {} is {}: nothing to launch", id, state.status());
      return drop(id);
    }
    getContext()
        .pipeToSelf(
            plan(state, launch.followUp()),
            (spec, error) -> new Planned(launch, spec, error, fetched.attempt()));
    return this;
  }

  /**
   * Where and how the mission's agent runs; fails with the sentence that the mission then carries.
   */
  private CompletionStage<AgentRun.Spec> plan(Mission.State state, String followUp) {
    return sharding
        .entityRefFor(Machine.ENTITY_KEY, setup.machineId())
        .<Machine.State>askWithStatus(Machine.Get::new, setup.askTimeout())
        .thenApplyAsync(
            machine -> planner.plan(state, followUp, machine.projects(), setup.environment().get()),
            blocking);
  }

  /**
   * A launch refused for what it is fails its mission, and its requester is told; else it runs or
   * waits.
   */
  private Behavior<Command> onPlanned(Planned planned) {
    Launch launch = planned.launch();
    String id = launch.missionId();
    if (planned.error() != null) {
      Throwable cause = Refusal.cause(planned.error());
      if (!(cause instanceof IllegalArgumentException)) {
        return retry(launch, planned.attempt(), cause, new Fetch(launch, planned.attempt() + 1));
      }
      getContext().getLog().warn("mission {}: not launched: {}", id, cause.getMessage());
      ActorRef<Command> self = getContext().getSelf();
      mission(id)
          .<Mission.Summary>askWithStatus(
              r -> new Mission.Fail("not launched: " + cause.getMessage(), r), setup.askTimeout())
          .thenAccept(failed -> self.tell(new Notify(failed)));
      return drop(id);
    }
    runs.endPreparing(id);
    if (runs.hasRoom()) {
      start(planned.spec());
    } else {
      String note = runs.enqueue(planned.spec());
      mission(id).tell(new Mission.ReportProgress(List.of(note), null, system.ignoreRef()));
    }
    return this;
  }

  private void start(AgentRun.Spec spec) {
    ActorRef<AgentRun.Command> run =
        getContext()
            .spawn(
                AgentRun.create(spec, getContext().getSelf(), setup.askTimeout()),
                // a run of the same mission may still be stopping when its follow-up starts
                "run-" + spec.missionId() + "-" + (++runsStarted));
    // a run that fails by itself still ends its mission's slot
    getContext().watchWith(run, new RunEnded(spec.missionId(), run, null));
    runs.started(spec.missionId(), run);
  }

  private Behavior<Command> onRunEnded(RunEnded ended) {
    String id = ended.missionId();
    if (!runs.ended(id, ended.run())) {
      return this;
    }
    agentPids.remove(id);
    String held = runs.takeHeld(id);
    Mission.Summary state = ended.mission();
    if (state == null || !state.status().isFinished()) {
      // the run's outcome could not be written: the mission must not look running forever
      ActorRef<Command> self = getContext().getSelf();
      mission(id)
          .<Mission.Summary>askWithStatus(
              r ->
                  new Mission.Interrupt(
                      "its agent run ended but its outcome"
                          + " could not be recorded (the hub did not answer)",
                      r),
              setup.askTimeout())
          .whenComplete(
              (interrupted, error) -> {
                if (error == null) {
                  ledger().tell(new MachineRuns.Remove(id, system.ignoreRef()));
                  self.tell(new Notify(interrupted));
                }
                // else it stays in the ledger: the next start of this node interrupts it
              });
    } else if (held != null && state.status() != MissionStatus.STOPPED) {
      // what came while it ran continues the same conversation
      ActorRef<Command> self = getContext().getSelf();
      mission(id)
          .askWithStatus(Mission.Resume::new, setup.askTimeout())
          .whenComplete(
              (resumed, error) -> self.tell(new Launch(id, held, null, system.ignoreRef())));
    } else {
      ledger().tell(new MachineRuns.Remove(id, system.ignoreRef()));
      notifyRequester(state);
    }
    startQueued();
    return this;
  }

  private void startQueued() {
    for (AgentRun.Spec next = runs.next(); next != null; next = runs.next()) {
      start(next);
    }
  }

  private Behavior<Command> onStopRun(StopRun stop) {
    String id = stop.missionId();
    runs.dropHeld(id);
    ActorRef<AgentRun.Command> run = runs.runOf(id);
    if (run != null) {
      run.tell(new AgentRun.Stop(stop.by()));
    } else if (runs.withdraw(id)) {
      ledger().tell(new MachineRuns.Remove(id, system.ignoreRef()));
    }
    return this;
  }

  /**
   * The requesting session learns how its mission ended, in its inbox (see {@link OutcomeNote} for
   * when).
   */
  private void notifyRequester(Mission.Summary state) {
    OutcomeNote.tell(state, desks, system);
  }

  private Behavior<Command> onRecover() {
    getContext()
        .pipeToSelf(
            ledger().ask(MachineRuns.Get::new, setup.askTimeout()),
            (state, error) -> new Recovered(state == null ? Map.of() : state.runs(), error));
    return this;
  }

  private Behavior<Command> onShutdown(Shutdown shutdown) {
    List<String> running = runs.running();
    List<CompletableFuture<?>> interrupts = new ArrayList<>();
    for (String id : running) {
      interrupts.add(
          mission(id)
              .<Mission.Summary>askWithStatus(
                  r -> new Mission.Interrupt(Recovery.interruption(setup.machineId()), r),
                  setup.askTimeout())
              .thenCompose(
                  state ->
                      ledger()
                          .<MachineRuns.State>ask(
                              r -> new MachineRuns.Remove(id, r), setup.askTimeout()))
              .toCompletableFuture());
    }
    if (!running.isEmpty()) {
      getContext().getLog().info("the node stops: {} running missions interrupted", running.size());
    }
    CompletableFuture.allOf(interrupts.toArray(CompletableFuture[]::new))
        .whenComplete((done, error) -> shutdown.replyTo().tell(Done.getInstance()));
    return this;
  }

  /**
   * Missions this machine had taken on before it stopped: running ones are interrupted, queued ones
   * start.
   */
  private Behavior<Command> onRecovered(Recovered recovered) {
    if (recovered.error() != null) {
      timers.startSingleTimer(Recover.INSTANCE, RETRY);
      return this;
    }
    ActorRef<Command> self = getContext().getSelf();
    // a mission this run took on meanwhile (the ledger was read late) is this run's, not an orphan
    recovered.runs().entrySet().stream()
        .filter(entry -> entry.getValue() != null && !runs.takenOn(entry.getKey()))
        .forEach(entry -> endOrphan(entry.getValue()));
    for (String id : recovered.runs().keySet()) {
      if (runs.takenOn(id)) {
        continue;
      }
      mission(id)
          .askWithStatus(Mission.Get::new, setup.askTimeout())
          .thenAccept(
              state -> {
                Recovery.Step step = Recovery.stepFor(state.status());
                if (step == Recovery.Step.INTERRUPT) {
                  mission(id)
                      .<Mission.Summary>askWithStatus(
                          r -> new Mission.Interrupt(Recovery.interruption(setup.machineId()), r),
                          setup.askTimeout())
                      .thenAccept(
                          interrupted -> {
                            ledger().tell(new MachineRuns.Remove(id, system.ignoreRef()));
                            self.tell(new Notify(interrupted));
                          });
                } else if (step == Recovery.Step.LAUNCH) {
                  self.tell(new Launch(id, system.ignoreRef()));
                } else {
                  ledger().tell(new MachineRuns.Remove(id, system.ignoreRef()));
                }
              });
    }
    if (!recovered.runs().isEmpty()) {
      getContext()
          .getLog()
          .info(
              "{} missions of the previous run of this node taken up again",
              recovered.runs().size());
    }
    return this;
  }

  /** An agent left running by a crashed node: ended with its tree, TERM first, KILL after. */
  private void endOrphan(MachineRuns.Process orphan) {
    List<ProcessHandle> tree = Recovery.orphanTree(orphan);
    if (tree.isEmpty()) {
      return;
    }
    getContext()
        .getLog()
        .warn(
            "ending agent process {} (and {} it started), left running by the previous run"
                + " of this node",
            orphan.pid(),
            tree.size() - 1);
    ProcessTree.terminate(tree);
    getContext()
        .getSystem()
        .scheduler()
        .scheduleOnce(
            settings.stopGrace(), () -> ProcessTree.kill(tree), getContext().getExecutionContext());
  }
}
