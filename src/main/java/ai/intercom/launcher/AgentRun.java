package ai.intercom.launcher;

import ai.intercom.mission.Mission;
import ai.intercom.protocol.Refusal;
import ai.intercom.security.Secrets;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.StreamConverters;

/**
 * One agent process of a mission, from start to exit: reads its stream-json output as it comes (a
 * stream on the blocking-IO threads, never on this actor's), turns it into the mission's progress
 * in batches, and records the result or why the run failed. It ends the process tree when the
 * mission runs too long or is stopped.
 */
final class AgentRun extends AbstractBehavior<AgentRun.Command> {

  /** Longer stdout lines are cut (and then unreadable as JSON): a run's memory stays bounded. */
  static final int MAX_LINE_BYTES = 2 * 1024 * 1024;

  /** Plain-text output kept as the result of agents that print no stream-json (the end of it). */
  static final int PLAIN_TEXT_KEPT = 64 * 1024;

  static final int BATCH = 256;
  static final Duration BATCH_WINDOW = Duration.ofMillis(200);
  static final int LOGGED_UNREADABLE = 5;
  static final int STDERR_TAIL = 1024;

  /** What to run, where, for which mission. */
  record Spec(
      String missionId,
      AgentCommand command,
      Path cwd,
      Map<String, String> env,
      Path stderrLog,
      Duration maxDuration,
      Duration stopGrace) {}

  sealed interface Command {}

  /** Ends the run (the mission was stopped by {@code by}). */
  record Stop(String by) implements Command {}

  private record Started(Process process) implements Command {}

  private record StartFailed(String why) implements Command {}

  /** The mission took the start ({@code error} null), refused it, or did not answer. */
  private record StartRecorded(Throwable error) implements Command {}

  private record Outputs(List<AgentOutput> batch, ActorRef<Done> ack) implements Command {}

  /** The mission took a batch of progress; {@code refusal}: it would not (it is finished). */
  private record Relayed(ActorRef<Done> ack, String refusal) implements Command {}

  private record StreamEnded(String error) implements Command {}

  private record Exited(int code, String stderrTail) implements Command {}

  private enum Deadline implements Command {
    INSTANCE
  }

  private enum HardKill implements Command {
    INSTANCE
  }

  /** Looks for processes the agent started, so that ending the run also ends them. */
  private enum Snapshot implements Command {
    INSTANCE
  }

  private record Seen(List<ProcessHandle> processes) implements Command {}

  /** The agent exited but something it started still holds its output open. */
  private enum Lingering implements Command {
    INSTANCE
  }

  private record Recorded(Mission.Summary state) implements Command {}

  private record RetryOutcome(
      Function<ActorRef<StatusReply<Mission.Summary>>, Mission.Command> outcome, int attempt)
      implements Command {}

  static final Duration SNAPSHOT_EVERY = Duration.ofSeconds(1);

  /** How long the output may stay open after the agent exited before what holds it is ended. */
  static final Duration LINGER = Duration.ofSeconds(2);

  static final int OUTCOME_TRIES = 5;

  static Behavior<Command> create(
      Spec spec, ActorRef<AgentSupervisor.Command> supervisor, Duration askTimeout) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> new AgentRun(context, timers, spec, supervisor, askTimeout)));
  }

  private final TimerScheduler<Command> timers;
  private final Spec spec;
  private final ActorRef<AgentSupervisor.Command> supervisor;
  private final Duration askTimeout;
  private final EntityRef<Mission.Command> mission;
  private final Executor blocking;
  private final ActorRef<Command> self;
  private final ActorSystem<?> system;

  private Process process;

  /** Where this run's part of the stderr log begins (a follow-up appends to the same file). */
  private volatile long stderrStart;

  /** The agent and every process seen under it: ended together. */
  private final Set<ProcessHandle> tree = new LinkedHashSet<>();

  private UniqueKillSwitch output;
  private String sessionId;
  private AgentOutput.Result result;
  private final StringBuilder plainText = new StringBuilder();
  private long unreadable;
  private boolean streamDone;
  private Exited exit;

  /**
   * Why the run was ended from outside: a stop (by whom) or the deadline; null while it runs its
   * course.
   */
  private String endedBecause;

  /** The mission was stopped (or finished otherwise): it takes no outcome from this run. */
  private boolean stopped;

  private boolean recording;

  private AgentRun(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Spec spec,
      ActorRef<AgentSupervisor.Command> supervisor,
      Duration askTimeout) {
    super(context);
    this.timers = timers;
    this.spec = spec;
    this.supervisor = supervisor;
    this.askTimeout = askTimeout;
    this.system = context.getSystem();
    this.self = context.getSelf();
    this.mission = ClusterSharding.get(system).entityRefFor(Mission.ENTITY_KEY, spec.missionId());
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    context.pipeToSelf(
        CompletableFuture.supplyAsync(this::startProcess, blocking),
        (started, error) ->
            error == null ? new Started(started) : new StartFailed(Refusal.sentence(error)));
  }

  private Process startProcess() {
    stderrStart = spec.stderrLog().toFile().length();
    ProcessBuilder builder =
        new ProcessBuilder(ProcessTree.inOwnGroup(spec.command().argv()))
            .directory(spec.cwd().toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectError(ProcessBuilder.Redirect.appendTo(spec.stderrLog().toFile()));
    builder.environment().putAll(spec.env());
    try {
      return builder.start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot start "
              + spec.command().argv().get(0)
              + ": "
              + Optional.ofNullable(e.getMessage()).orElse(e.toString()),
          e);
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Started.class, this::onStarted)
        .onMessage(
            StartFailed.class,
            failed ->
                record(
                    r ->
                        new Mission.Fail(
                            failed.why()
                                + " (check intercom.agent-launcher.default-command or INTERCOM_AGENT_COMMAND)",
                            r)))
        .onMessage(StartRecorded.class, this::onStartRecorded)
        .onMessage(Outputs.class, this::onOutputs)
        .onMessage(Relayed.class, this::onRelayed)
        .onMessage(StreamEnded.class, this::onStreamEnded)
        .onMessage(Exited.class, this::onExited)
        .onMessage(
            Deadline.class,
            deadline ->
                end(
                    "it ran longer than the limit of "
                        + spec.maxDuration().toSeconds()
                        + " s (intercom.agent-launcher.max-mission-duration) and was stopped"))
        .onMessage(
            Stop.class,
            stop -> {
              stopped = true;
              return end("stopped by " + stop.by());
            })
        .onMessage(
            HardKill.class,
            kill -> {
              int killed = ProcessTree.kill(List.copyOf(tree));
              if (killed > 0) {
                getContext()
                    .getLog()
                    .warn(
                        "mission {}: {} processes ignored TERM for {}; killed",
                        spec.missionId(),
                        killed,
                        spec.stopGrace());
              }
              if (output != null && !streamDone) {
                // whatever still holds the output open is gone or beyond reach: stop reading
                output.abort(
                    new IllegalStateException("the agent's output stayed open after it ended"));
              }
              return this;
            })
        .onMessage(
            Snapshot.class,
            snapshot -> {
              if (process != null && process.isAlive()) {
                // listing processes reads /proc: not on this actor's thread
                Process running = process;
                getContext()
                    .pipeToSelf(
                        CompletableFuture.supplyAsync(
                            () -> running.descendants().toList(), blocking),
                        (seen, error) -> new Seen(error == null ? seen : List.of()));
              }
              return this;
            })
        .onMessage(
            Seen.class,
            seen -> {
              tree.addAll(seen.processes());
              return this;
            })
        .onMessage(
            Lingering.class,
            lingering -> {
              if (!streamDone) {
                tree.addAll(ProcessTree.group(process.pid()));
                getContext()
                    .getLog()
                    .info(
                        "mission {}: the agent exited but processes it started keep its output"
                            + " open; ending them",
                        spec.missionId());
                ProcessTree.terminate(List.copyOf(tree));
                timers.startSingleTimer(HardKill.INSTANCE, spec.stopGrace());
              }
              return this;
            })
        .onMessage(RetryOutcome.class, retry -> attempt(retry.outcome(), retry.attempt()))
        .onMessage(
            Recorded.class,
            recorded -> {
              supervisor.tell(
                  new AgentSupervisor.RunEnded(
                      spec.missionId(), getContext().getSelf(), recorded.state()));
              return Behaviors.stopped();
            })
        .onSignal(
            PostStop.class,
            signal -> {
              // the run is over or the node stops: nothing it started may outlive it unsupervised
              if (process != null) {
                tree.add(process.toHandle());
                process.descendants().forEach(tree::add);
                tree.addAll(ProcessTree.group(process.pid()));
              }
              ProcessTree.kill(List.copyOf(tree));
              return this;
            })
        .build();
  }

  private Behavior<Command> onStarted(Started started) {
    process = started.process();
    tree.add(process.toHandle());
    getContext()
        .getLog()
        .info(
            "mission {}: started {} in {} (pid {})",
            spec.missionId(),
            spec.command().display(),
            spec.cwd(),
            process.pid());
    timers.startSingleTimer(Deadline.INSTANCE, spec.maxDuration());
    timers.startTimerWithFixedDelay(Snapshot.INSTANCE, SNAPSHOT_EVERY);
    supervisor.tell(
        new AgentSupervisor.RunStarted(
            spec.missionId(),
            new MachineRuns.Process(
                process.pid(), process.toHandle().info().startInstant().orElse(null))));
    recordStart();
    mission.tell(
        new Mission.ReportProgress(
            List.of(
                "started "
                    + spec.command().executable()
                    + " in "
                    + spec.cwd()
                    + " (pid "
                    + process.pid()
                    + ")"),
            null,
            system.ignoreRef()));
    readOutput();
    process
        .onExit()
        .thenApplyAsync(exited -> new Exited(exited.exitValue(), stderrTail()), blocking)
        .whenComplete((exited, error) -> self.tell(error == null ? exited : new Exited(-1, "")));
    if (endedBecause != null) {
      // stopped while it was starting
      String why = endedBecause;
      endedBecause = null;
      end(why);
    }
    return this;
  }

  private void recordStart() {
    getContext()
        .pipeToSelf(
            mission.askWithStatus(Mission.Start::new, askTimeout),
            (state, error) -> new StartRecorded(error));
  }

  /**
   * A mission that refuses the start was stopped (or ended) meanwhile; one that did not answer is
   * asked again.
   */
  private Behavior<Command> onStartRecorded(StartRecorded recorded) {
    if (recorded.error() == null || stopped || endedBecause != null) {
      return this;
    }
    if (Refusal.of(recorded.error()).isPresent()) {
      stopped = true;
      return end(Refusal.sentence(recorded.error()));
    }
    recordStart();
    return this;
  }

  /**
   * stdout, cut into lines, understood, in batches; each batch waits until the mission took the
   * previous one.
   */
  private void readOutput() {
    String cwd = spec.cwd().toString();
    boolean plain = spec.command().template();
    Process running = process;
    var streams =
        StreamConverters.fromInputStream(running::getInputStream, 64 * 1024)
            .viaMat(KillSwitches.single(), Keep.right())
            .statefulMap(
                () -> new LineCutter(MAX_LINE_BYTES),
                (cutter, chunk) -> Pair.create(cutter, cutter.feed(chunk)),
                cutter -> Optional.of(cutter.finish()))
            .mapConcat(lines -> lines)
            .map(line -> read(line, cwd, plain))
            .groupedWithin(BATCH, BATCH_WINDOW)
            .mapAsync(
                1,
                batch ->
                    AskPattern.<Command, Done>ask(
                        self,
                        ack -> new Outputs(batch, ack),
                        askTimeout.multipliedBy(3),
                        system.scheduler()))
            .toMat(Sink.ignore(), Keep.both())
            .run(system);
    output = streams.first();
    streams
        .second()
        .whenComplete(
            (done, error) -> self.tell(new StreamEnded(error == null ? null : error.toString())));
  }

  /** A line of output: stream-json, or for a template's agent plain text whatever it holds. */
  private static AgentOutput read(LineCutter.Line line, String cwd, boolean plain) {
    if (plain) {
      return new AgentOutput.PlainText(line.text());
    }
    return line.truncated()
        ? new AgentOutput.Unreadable(
            "a line of " + line.bytes() + " bytes, cut at " + MAX_LINE_BYTES)
        : StreamJson.parse(line.text(), cwd);
  }

  private Behavior<Command> onOutputs(Outputs outputs) {
    List<String> lines = new ArrayList<>();
    String newSession = null;
    for (AgentOutput output : outputs.batch()) {
      if (output instanceof AgentOutput.Init init) {
        newSession = init.sessionId();
      } else if (output instanceof AgentOutput.Progress progress) {
        lines.addAll(progress.lines());
        if (sessionId == null && progress.sessionId() != null) {
          newSession = progress.sessionId();
        }
      } else if (output instanceof AgentOutput.Result found) {
        result = found;
        newSession = found.sessionId() == null ? newSession : found.sessionId();
      } else if (output instanceof AgentOutput.PlainText text) {
        keepPlainText(text.text());
      } else if (output instanceof AgentOutput.Unreadable bad) {
        if (++unreadable <= LOGGED_UNREADABLE) {
          getContext()
              .getLog()
              .warn("mission {}: unreadable output line skipped: {}", spec.missionId(), bad.why());
        }
      }
    }
    if (newSession != null && !newSession.equals(sessionId)) {
      sessionId = newSession;
    } else {
      newSession = null;
    }
    if (lines.isEmpty() && newSession == null) {
      outputs.ack().tell(Done.getInstance());
      return this;
    }
    getContext()
        .pipeToSelf(
            mission.<Mission.Summary>askWithStatus(
                r -> new Mission.ReportProgress(lines, sessionId, r), askTimeout),
            (state, error) ->
                new Relayed(
                    outputs.ack(),
                    error != null && Refusal.of(error).isPresent()
                        ? Refusal.sentence(error)
                        : null));
    return this;
  }

  /** A mission that no longer takes progress was stopped or ended elsewhere: its agent ends too. */
  private Behavior<Command> onRelayed(Relayed relayed) {
    relayed.ack().tell(Done.getInstance());
    if (relayed.refusal() != null && endedBecause == null) {
      stopped = true;
      return end(relayed.refusal());
    }
    return this;
  }

  private void keepPlainText(String line) {
    plainText.append(line).append('\n');
    if (plainText.length() > PLAIN_TEXT_KEPT * 2) {
      plainText.delete(0, plainText.length() - PLAIN_TEXT_KEPT);
    }
  }

  private Behavior<Command> onStreamEnded(StreamEnded ended) {
    if (ended.error() != null) {
      getContext()
          .getLog()
          .warn(
              "mission {}: reading the agent's output failed: {}", spec.missionId(), ended.error());
    }
    streamDone = true;
    return finishIfOver();
  }

  private Behavior<Command> onExited(Exited exited) {
    exit = exited;
    if (!streamDone) {
      timers.startSingleTimer(Lingering.INSTANCE, LINGER);
    }
    return finishIfOver();
  }

  /** Ends the process tree: TERM now, KILL after the grace time. */
  private Behavior<Command> end(String why) {
    if (endedBecause != null) {
      return this;
    }
    endedBecause = why;
    if (process == null) {
      return this;
    }
    process.descendants().forEach(tree::add);
    tree.addAll(ProcessTree.group(process.pid()));
    ProcessTree.terminate(List.copyOf(tree));
    timers.startSingleTimer(HardKill.INSTANCE, spec.stopGrace());
    getContext()
        .getLog()
        .info(
            "mission {}: ending the agent ({} processes): {}", spec.missionId(), tree.size(), why);
    return this;
  }

  /** Once the process exited and its output is read: the result, or why there is none. */
  private Behavior<Command> finishIfOver() {
    if (!streamDone || exit == null || recording) {
      return this;
    }
    timers.cancel(Deadline.INSTANCE);
    timers.cancel(Snapshot.INSTANCE);
    timers.cancel(Lingering.INSTANCE);
    if (unreadable > LOGGED_UNREADABLE) {
      getContext()
          .getLog()
          .warn("mission {}: {} unreadable output lines in all", spec.missionId(), unreadable);
    }
    return record(outcome());
  }

  /** What the mission learns; a stopped mission already knows. */
  private Function<ActorRef<StatusReply<Mission.Summary>>, Mission.Command> outcome() {
    if (stopped) {
      return Mission.Summarize::new;
    }
    if (endedBecause != null) {
      return r -> new Mission.Fail(endedBecause, r);
    }
    if (result != null) {
      if (result.isError()) {
        String why =
            "the agent reported an error"
                + (result.subtype() == null ? "" : " (" + result.subtype() + ")")
                + (result.text() == null || result.text().isBlank() ? "" : ": " + result.text());
        return r -> new Mission.Fail(why, r);
      }
      AgentOutput.Result done = result;
      return r ->
          new Mission.Complete(
              done.text() == null ? "" : done.text(),
              sessionId,
              done.costUsd(),
              done.durationMs(),
              r);
    }
    if (exit.code() != 0) {
      String why =
          "the agent exited with code "
              + exit.code()
              + " before giving a result"
              + (exit.stderrTail().isBlank() ? "" : ": " + exit.stderrTail());
      return r -> new Mission.Fail(why, r);
    }
    String text = plainText.toString().strip();
    return r ->
        new Mission.Complete(
            text.isEmpty() ? "(the agent printed nothing)" : text, sessionId, null, null, r);
  }

  /**
   * Writes the outcome into the mission (asked again while the hub does not answer), then tells the
   * supervisor with the mission as it is now; a mission that refuses it (stopped meanwhile) is read
   * as it is.
   */
  private Behavior<Command> record(
      Function<ActorRef<StatusReply<Mission.Summary>>, Mission.Command> outcome) {
    recording = true;
    return attempt(outcome, 1);
  }

  private Behavior<Command> attempt(
      Function<ActorRef<StatusReply<Mission.Summary>>, Mission.Command> outcome, int attempt) {
    getContext()
        .pipeToSelf(
            mission.<Mission.Summary>askWithStatus(outcome::apply, askTimeout),
            (state, error) -> {
              if (error == null) {
                return new Recorded(state);
              }
              if (Refusal.of(error).isPresent()) {
                return new RetryOutcome(Mission.Summarize::new, OUTCOME_TRIES);
              }
              return attempt < OUTCOME_TRIES
                  ? new RetryOutcome(outcome, attempt + 1)
                  : new Recorded(null);
            });
    return this;
  }

  /** The last lines the agent wrote to stderr, on one line. */
  private String stderrTail() {
    try (RandomAccessFile file = new RandomAccessFile(spec.stderrLog().toFile(), "r")) {
      long from = Math.max(stderrStart, file.length() - STDERR_TAIL);
      byte[] bytes = new byte[(int) (file.length() - from)];
      file.seek(from);
      file.readFully(bytes);
      return Secrets.redact(
          new String(bytes, StandardCharsets.UTF_8).strip().replaceAll("\\s*\\n\\s*", " | "));
    } catch (IOException e) {
      return "";
    }
  }
}
