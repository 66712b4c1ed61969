package ai.intercom.launcher;

import ai.intercom.cluster.MachineServices;
import ai.intercom.config.LauncherSettings;
import ai.intercom.daemon.Letter;
import ai.intercom.daemon.SessionDesk;
import ai.intercom.mission.Mission;
import ai.intercom.protocol.AgentId;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.protocol.JsonSerializable;
import ai.intercom.protocol.McpNames;
import ai.intercom.protocol.MissionStatus;
import ai.intercom.protocol.Refusal;
import ai.intercom.registry.Machine;
import ai.intercom.registry.Project;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
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
 */
public final class AgentSupervisor extends AbstractBehavior<AgentSupervisor.Command> {

  public static final String KEY_PREFIX = "agent-supervisor-";

  /**
   * The MCP tool a launched agent asks before using a tool (see {@code --permission-prompt-tool}).
   */
  static final Duration RETRY = Duration.ofSeconds(3);

  /**
   * Tries of a step before the mission is left to the next start of the node (it stays in the
   * ledger).
   */
  static final int TRIES = 10;

  /** Results longer than this reach the requester's inbox cut (intercom_status has them whole). */
  static final int NOTICE_CHARS = 8000;

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

  /** Sent by a run once its agent process started. */
  record RunStarted(String missionId, MachineRuns.Process process) implements Command {}

  /**
   * The node stops: the running missions are interrupted (their agents end with the node), the
   * queued ones stay in the ledger for the next start.
   */
  public record Shutdown(ActorRef<Done> replyTo) implements Command {}

  /**
   * Sent by a run when it is over, with the mission as the run left it (null if it could not be
   * read).
   */
  record RunEnded(String missionId, Mission.Summary mission) implements Command {}

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
  private final Map<String, ActorRef<AgentRun.Command>> running = new HashMap<>();
  private final LinkedHashMap<String, AgentRun.Spec> queued = new LinkedHashMap<>();

  /** Taken on, being prepared (mission read, path checked, ledger written). */
  private final Set<String> preparing = new HashSet<>();

  /** Follow-ups (by key) that came while the mission's agent ran: they continue it afterwards. */
  private final Map<String, LinkedHashMap<String, String>> heldFollowUps = new HashMap<>();

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
              ledger().tell(new MachineRuns.RecordProcess(started.missionId(), started.process()));
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
    if (running.containsKey(id) || queued.containsKey(id) || preparing.contains(id)) {
      if (launch.followUp() != null) {
        // a retried follow-up has the same key: it is held once
        heldFollowUps
            .computeIfAbsent(id, k -> new LinkedHashMap<>())
            .putIfAbsent(
                launch.followUpKey() == null ? launch.followUp() : launch.followUpKey(),
                launch.followUp());
      }
      launch.replyTo().tell(Done.getInstance());
      return this;
    }
    preparing.add(id);
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
      preparing.remove(id);
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
    preparing.remove(missionId);
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
    AgentId target = AgentId.parse(state.to());
    return sharding
        .entityRefFor(Machine.ENTITY_KEY, setup.machineId())
        .<Machine.State>askWithStatus(Machine.Get::new, setup.askTimeout())
        .thenApplyAsync(
            machine -> {
              Project project = machine.projects().get(target.project());
              if (project == null || project.path().isBlank()) {
                throw new IllegalArgumentException(
                    "machine "
                        + setup.machineId()
                        + " knows no path for project '"
                        + target.project()
                        + "' (is it under intercom.discovery.scan-paths?)");
              }
              Path cwd =
                  PathRules.resolve(
                      Path.of(project.path()), settings.allowedPaths(), setup.machineId());
              String template = commandFor(state.agentCommand(), target.project());
              String resume = followUp == null ? null : state.agentSessionId();
              // an agent without a conversation to resume gets the mission again with the follow-up
              String prompt =
                  followUp == null
                      ? state.prompt()
                      : resume != null ? followUp : state.prompt() + "\n\nFollow-up: " + followUp;
              AgentCommand command =
                  AgentCommand.of(
                      template, settings.defaultArgs(), prompt, resume, relayArguments(state));
              Map<String, String> env = new HashMap<>(settings.environment());
              env.putAll(setup.environment().get());
              env.put("INTERCOM_MISSION_ID", state.missionId());
              return new AgentRun.Spec(
                  state.missionId(),
                  command,
                  cwd,
                  env,
                  stderrLog(state.missionId()),
                  settings.maxMissionDuration(),
                  settings.stopGrace());
            },
            blocking);
  }

  /**
   * The command line of a launch: a mission may only name one of the commands this machine
   * configured (never a command line of its own); without a name, the project's command or the
   * default one.
   */
  private String commandFor(String named, String project) {
    if (named == null) {
      String configured = settings.commandFor(project);
      return settings.commands().getOrDefault(configured, configured);
    }
    String command = settings.commands().get(named);
    if (command == null) {
      throw new IllegalArgumentException(
          "agent command '"
              + named
              + "' is not one of the commands of "
              + setup.machineId()
              + " (intercom.agent-launcher.commands: "
              + String.join(", ", new TreeSet<>(settings.commands().keySet()))
              + ")");
    }
    return command;
  }

  /**
   * For stream-json agents: permission prompts go to this product's MCP server, which asks the
   * operator.
   */
  private List<String> relayArguments(Mission.State state) {
    if (!settings.permissionRelay()) {
      return List.of();
    }
    List<String> server = new ArrayList<>(settings.mcpCommand());
    server.add("mcp-server");
    Map<String, Object> intercom = new LinkedHashMap<>();
    intercom.put("command", server.get(0));
    intercom.put("args", server.subList(1, server.size()));
    intercom.put("env", Map.of("INTERCOM_MISSION_ID", state.missionId()));
    try {
      String config =
          JsonFormat.MAPPER.writeValueAsString(
              Map.of("mcpServers", Map.of(McpNames.SERVER, intercom)));
      return List.of(
          "--permission-prompt-tool",
          McpNames.qualified(McpNames.PERMISSION_TOOL),
          "--mcp-config",
          config);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private Path stderrLog(String missionId) {
    Path dir = setup.logsDir().resolve("agents");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create " + dir + ": " + e.getMessage(), e);
    }
    return dir.resolve(missionId + ".log");
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
    preparing.remove(id);
    if (running.size() < settings.maxConcurrent()) {
      start(planned.spec());
    } else {
      queued.put(id, planned.spec());
      String note =
          "queued: "
              + running.size()
              + " agents already run on "
              + setup.machineId()
              + " (intercom.agent-launcher.max-concurrent = "
              + settings.maxConcurrent()
              + "), "
              + (queued.size() - 1)
              + " missions ahead";
      mission(id).tell(new Mission.ReportProgress(List.of(note), null, system.ignoreRef()));
    }
    return this;
  }

  private void start(AgentRun.Spec spec) {
    ActorRef<AgentRun.Command> run =
        getContext()
            .spawn(
                AgentRun.create(spec, getContext().getSelf(), setup.askTimeout()),
                "run-" + spec.missionId());
    // a run that fails by itself still ends its mission's slot
    getContext().watchWith(run, new RunEnded(spec.missionId(), null));
    running.put(spec.missionId(), run);
  }

  private Behavior<Command> onRunEnded(RunEnded ended) {
    String id = ended.missionId();
    if (running.remove(id) == null) {
      return this;
    }
    LinkedHashMap<String, String> held = heldFollowUps.remove(id);
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
              (resumed, error) ->
                  self.tell(
                      new Launch(
                          id, String.join("\n\n", held.values()), null, system.ignoreRef())));
    } else {
      ledger().tell(new MachineRuns.Remove(id, system.ignoreRef()));
      notifyRequester(state);
    }
    startQueued();
    return this;
  }

  private void startQueued() {
    while (running.size() < settings.maxConcurrent() && !queued.isEmpty()) {
      String next = queued.keySet().iterator().next();
      start(queued.remove(next));
    }
  }

  private Behavior<Command> onStopRun(StopRun stop) {
    String id = stop.missionId();
    heldFollowUps.remove(id);
    ActorRef<AgentRun.Command> run = running.get(id);
    if (run != null) {
      run.tell(new AgentRun.Stop(stop.by()));
    } else if (queued.remove(id) != null) {
      ledger().tell(new MachineRuns.Remove(id, system.ignoreRef()));
    }
    return this;
  }

  /**
   * The requesting session learns how its mission ended, in its inbox: always for start_agent, for
   * ask only when the asker stopped waiting.
   */
  private void notifyRequester(Mission.Summary state) {
    if (!state.status().isFinished() || state.from() == null || state.fromSession() == null) {
      return;
    }
    AgentId from;
    try {
      from = AgentId.parse(state.from());
    } catch (IllegalArgumentException e) {
      return;
    }
    if (from.isHuman()
        || Duration.between(state.createdAt(), state.updatedAt()).toSeconds()
            < state.notifyAfterSeconds()) {
      return;
    }
    Letter letter =
        new Letter(
            state.missionId() + ":end:" + state.updatedAt().toEpochMilli(),
            state.missionId(),
            state.missionId(),
            state.to(),
            outcomeText(state),
            Instant.now());
    desks
        .of(from.machine())
        .thenAccept(
            desk ->
                desk.ifPresent(
                    d ->
                        d.tell(
                            new SessionDesk.DeliverToProject(
                                from.project(), letter, state.fromSession(), system.ignoreRef()))));
  }

  static String outcomeText(Mission.Summary state) {
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

  private Behavior<Command> onRecover() {
    getContext()
        .pipeToSelf(
            ledger().ask(MachineRuns.Get::new, setup.askTimeout()),
            (state, error) -> new Recovered(state == null ? Map.of() : state.runs(), error));
    return this;
  }

  private Behavior<Command> onShutdown(Shutdown shutdown) {
    List<CompletableFuture<?>> interrupts = new ArrayList<>();
    for (String id : running.keySet()) {
      interrupts.add(
          mission(id)
              .<Mission.Summary>askWithStatus(
                  r -> new Mission.Interrupt(interruption(), r), setup.askTimeout())
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

  private String interruption() {
    return "the node of "
        + setup.machineId()
        + " stopped while the agent ran; send a follow-up to continue";
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
    recovered.runs().values().stream().filter(Objects::nonNull).forEach(this::endOrphan);
    for (String id : recovered.runs().keySet()) {
      if (running.containsKey(id) || queued.containsKey(id) || preparing.contains(id)) {
        continue;
      }
      mission(id)
          .askWithStatus(Mission.Get::new, setup.askTimeout())
          .thenAccept(
              state -> {
                if (state.status() == MissionStatus.RUNNING) {
                  mission(id)
                      .<Mission.Summary>askWithStatus(
                          r -> new Mission.Interrupt(interruption(), r), setup.askTimeout())
                      .thenAccept(
                          interrupted -> {
                            ledger().tell(new MachineRuns.Remove(id, system.ignoreRef()));
                            self.tell(new Notify(interrupted));
                          });
                } else if (state.status() == MissionStatus.APPROVED) {
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

  /**
   * An agent left running by a crashed node: ended with its tree (only if the pid still names the
   * process that started then, not a reused pid).
   */
  private void endOrphan(MachineRuns.Process orphan) {
    ProcessHandle.of(orphan.pid())
        .filter(ProcessHandle::isAlive)
        .filter(
            process ->
                orphan.startedAt() != null
                    && process
                        .info()
                        .startInstant()
                        .map(
                            started ->
                                Duration.between(started, orphan.startedAt()).abs().toMillis()
                                    < 1000)
                        .orElse(false))
        .ifPresent(
            process -> {
              List<ProcessHandle> tree = new ArrayList<>(ProcessTree.of(process));
              ProcessTree.group(orphan.pid()).stream()
                  .filter(member -> !tree.contains(member))
                  .forEach(tree::add);
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
                      settings.stopGrace(),
                      () -> ProcessTree.kill(tree),
                      getContext().getExecutionContext());
            });
  }
}
