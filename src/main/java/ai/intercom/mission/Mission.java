package ai.intercom.mission;

import static ai.intercom.persistence.Refusals.describe;
import static ai.intercom.persistence.Refusals.refuse;

import ai.intercom.cluster.NodeRole;
import ai.intercom.serialization.JsonSerializable;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * One piece of delegated work (ask, send, start_agent or chat): who asked whom
 * for what, whether the operator approved it, how the run went, and its
 * transcript. Id {@code m-YYYYMMDD-xxxxxx}.
 */
public final class Mission
    extends EventSourcedBehaviorWithEnforcedReplies<Mission.Command, Mission.Event, Mission.State> {

  /** Kept in the state for {@code intercom_status}; the full stream goes to the transcript. */
  static final int RECENT_PROGRESS = 20;

  public enum Kind {
    ASK,
    SEND,
    START_AGENT,
    CHAT
  }

  public enum Status {
    PENDING_APPROVAL,
    APPROVED,
    DENIED,
    RUNNING,
    COMPLETED,
    FAILED,
    INTERRUPTED,
    STOPPED;

    public boolean isFinished() {
      return this == DENIED || this == COMPLETED || this == FAILED || this == INTERRUPTED || this == STOPPED;
    }
  }

  /** A line of the mission's transcript: the prompt, follow-ups, the result, failures. */
  public record Entry(Instant at, String author, String text) implements JsonSerializable {}

  public record State(
      String missionId,
      String from,
      String to,
      Kind kind,
      String prompt,
      String threadId,
      Status status,
      Instant createdAt,
      Instant updatedAt,
      String decidedBy,
      String reason,
      String agentSessionId,
      String result,
      Double costUsd,
      Long durationMs,
      List<String> progress,
      List<Entry> transcript)
      implements JsonSerializable {

    public State {
      progress = List.copyOf(progress);
      transcript = List.copyOf(transcript);
    }

    static State empty(String missionId) {
      return new State(
          missionId, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
          List.of(), List.of());
    }

    public boolean exists() {
      return createdAt != null;
    }

    /** The newest progress line, or empty. */
    public String latestProgress() {
      return progress.isEmpty() ? "" : progress.get(progress.size() - 1);
    }

    State created(Created e) {
      return new State(
          missionId, e.from(), e.to(), e.kind(), e.prompt(), e.threadId(), Status.PENDING_APPROVAL, e.at(), e.at(),
          null, null, null, null, null, null, List.of(), List.of(new Entry(e.at(), e.from(), e.prompt())));
    }

    State decided(Status newStatus, String by, String why, Instant at) {
      return new State(
          missionId, from, to, kind, prompt, threadId, newStatus, createdAt, at, by, why, agentSessionId, result,
          costUsd, durationMs, progress, transcript);
    }

    State started(Instant at) {
      return new State(
          missionId, from, to, kind, prompt, threadId, Status.RUNNING, createdAt, at, decidedBy, null,
          agentSessionId, null, null, null, List.of(), transcript);
    }

    State progressed(ProgressReported e) {
      List<String> lines = new ArrayList<>(progress);
      lines.add(e.text());
      if (lines.size() > RECENT_PROGRESS) {
        lines = lines.subList(lines.size() - RECENT_PROGRESS, lines.size());
      }
      return new State(
          missionId, from, to, kind, prompt, threadId, status, createdAt, e.at(), decidedBy, reason,
          e.agentSessionId() == null ? agentSessionId : e.agentSessionId(), result, costUsd,
          durationMs, lines, transcript);
    }

    State completed(Completed e) {
      return new State(
          missionId, from, to, kind, prompt, threadId, Status.COMPLETED, createdAt, e.at(), decidedBy, null,
          e.agentSessionId() == null ? agentSessionId : e.agentSessionId(), e.result(), e.costUsd(),
          e.durationMs(), progress, append(new Entry(e.at(), to, e.result())));
    }

    State ended(Status newStatus, String author, String why, Instant at) {
      return new State(
          missionId, from, to, kind, prompt, threadId, newStatus, createdAt, at, decidedBy, why, agentSessionId,
          result, costUsd, durationMs, progress, append(new Entry(at, author, why)));
    }

    State messageAdded(MessageAdded e) {
      return new State(
          missionId, from, to, kind, prompt, threadId, status, createdAt, e.at(), decidedBy, reason,
          agentSessionId, result, costUsd, durationMs, progress,
          append(new Entry(e.at(), e.author(), e.text())));
    }

    private List<Entry> append(Entry entry) {
      List<Entry> entries = new ArrayList<>(transcript);
      entries.add(entry);
      return entries;
    }
  }

  /** Every command answers the mission's state after it, or an error saying why it was refused. */
  public sealed interface Command extends JsonSerializable {
    ActorRef<StatusReply<State>> replyTo();
  }

  /**
   * A new mission. With {@code passedBy} (the gate let it through: which rule or
   * grant) it starts running at once; without, it waits for approval.
   */
  public record Create(
      String from, String to, Kind kind, String prompt, String threadId, String passedBy,
      ActorRef<StatusReply<State>> replyTo)
      implements Command {
    public Create(String from, String to, Kind kind, String prompt, ActorRef<StatusReply<State>> replyTo) {
      this(from, to, kind, prompt, null, null, replyTo);
    }
  }

  public record Approve(String by, ActorRef<StatusReply<State>> replyTo) implements Command {}

  public record Deny(String by, String reason, ActorRef<StatusReply<State>> replyTo)
      implements Command {}

  public record Start(ActorRef<StatusReply<State>> replyTo) implements Command {}

  public record ReportProgress(
      String text, String agentSessionId, ActorRef<StatusReply<State>> replyTo) implements Command {}

  public record Complete(
      String result,
      String agentSessionId,
      Double costUsd,
      Long durationMs,
      ActorRef<StatusReply<State>> replyTo)
      implements Command {}

  public record Fail(String reason, ActorRef<StatusReply<State>> replyTo) implements Command {}

  public record Interrupt(String reason, ActorRef<StatusReply<State>> replyTo) implements Command {}

  public record Stop(String by, ActorRef<StatusReply<State>> replyTo) implements Command {}

  public record AddMessage(String author, String text, ActorRef<StatusReply<State>> replyTo)
      implements Command {}

  public record Get(ActorRef<StatusReply<State>> replyTo) implements Command {}

  public sealed interface Event extends JsonSerializable {
    Instant at();
  }

  /** {@code threadId}: the conversation of a chat or notice, null for other kinds. */
  public record Created(String from, String to, Kind kind, String prompt, String threadId, Instant at)
      implements Event {}

  public record Approved(String by, Instant at) implements Event {}

  public record Denied(String by, String reason, Instant at) implements Event {}

  public record Started(Instant at) implements Event {}

  public record ProgressReported(String text, String agentSessionId, Instant at) implements Event {}

  public record Completed(
      String result, String agentSessionId, Double costUsd, Long durationMs, Instant at)
      implements Event {}

  public record Failed(String reason, Instant at) implements Event {}

  public record Interrupted(String reason, Instant at) implements Event {}

  public record Stopped(String by, Instant at) implements Event {}

  public record MessageAdded(String author, String text, Instant at) implements Event {}

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Mission");

  public static final String TAG = "mission";

  private static final Pattern ID = Pattern.compile("m-\\d{8}-[0-9a-f]{6}");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd");

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId())).withRole(NodeRole.HUB_ROLE));
  }

  public static Behavior<Command> create(String missionId) {
    return new Mission(missionId);
  }

  /** A fresh id {@code m-YYYYMMDD-xxxxxx} (UTC date, 24 random bits). */
  public static String newId() {
    byte[] bytes = new byte[3];
    RANDOM.nextBytes(bytes);
    return "m-" + LocalDate.now(ZoneOffset.UTC).format(DAY) + "-" + HexFormat.of().formatHex(bytes);
  }

  public static boolean isValidId(String id) {
    return id != null && ID.matcher(id).matches();
  }

  private final String missionId;

  private Mission(String missionId) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), missionId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.missionId = missionId;
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public State emptyState() {
    return State.empty(missionId);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();
    builder.forState(s -> !s.exists()).onCommand(Create.class, this::onCreate);
    builder
        .forState(s -> s.exists() && s.status() == Status.PENDING_APPROVAL)
        .onCommand(Approve.class, this::onApprove)
        .onCommand(Deny.class, this::onDeny);
    builder
        .forState(s -> s.exists() && s.status() == Status.RUNNING)
        .onCommand(ReportProgress.class, this::onReportProgress)
        .onCommand(Complete.class, this::onComplete)
        .onCommand(Interrupt.class, this::onInterrupt);
    builder
        .forState(s -> s.exists() && (s.status() == Status.APPROVED || s.status() == Status.RUNNING))
        .onCommand(Fail.class, this::onFail);
    builder
        .forState(s -> s.exists() && s.status() != Status.DENIED && s.status() != Status.PENDING_APPROVAL)
        .onCommand(Start.class, this::onStart);
    builder
        .forState(s -> s.exists() && !s.status().isFinished())
        .onCommand(Stop.class, this::onStop);
    builder
        .forState(s -> s.exists() && s.status() != Status.DENIED)
        .onCommand(AddMessage.class, this::onAddMessage);
    builder
        .forState(State::exists)
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.success(state)));
    builder.forAnyState().onAnyCommand(this::onRefused);
    return builder.build();
  }

  private ReplyEffect<Event, State> onCreate(State state, Create cmd) {
    Instant now = Instant.now();
    Created created = new Created(cmd.from(), cmd.to(), cmd.kind(), cmd.prompt(), cmd.threadId(), now);
    if (cmd.passedBy() == null) {
      return persistAndReply(created, cmd);
    }
    return Effect()
        .persist(List.of(created, new Approved(cmd.passedBy(), now), new Started(now)))
        .thenReply(cmd.replyTo(), StatusReply::success);
  }

  private ReplyEffect<Event, State> onApprove(State state, Approve cmd) {
    return persistAndReply(new Approved(cmd.by(), Instant.now()), cmd);
  }

  private ReplyEffect<Event, State> onDeny(State state, Deny cmd) {
    String why = cmd.reason() == null || cmd.reason().isBlank() ? "denied by " + cmd.by() : cmd.reason();
    return persistAndReply(new Denied(cmd.by(), why, Instant.now()), cmd);
  }

  private ReplyEffect<Event, State> onStart(State state, Start cmd) {
    if (state.status() == Status.RUNNING) {
      return refuse(Effect(), cmd.replyTo(), "mission " + missionId + " is already running");
    }
    return persistAndReply(new Started(Instant.now()), cmd);
  }

  private ReplyEffect<Event, State> onReportProgress(State state, ReportProgress cmd) {
    return persistAndReply(new ProgressReported(cmd.text(), cmd.agentSessionId(), Instant.now()), cmd);
  }

  private ReplyEffect<Event, State> onComplete(State state, Complete cmd) {
    return persistAndReply(
        new Completed(cmd.result(), cmd.agentSessionId(), cmd.costUsd(), cmd.durationMs(), Instant.now()),
        cmd);
  }

  private ReplyEffect<Event, State> onFail(State state, Fail cmd) {
    return persistAndReply(new Failed(cmd.reason(), Instant.now()), cmd);
  }

  private ReplyEffect<Event, State> onInterrupt(State state, Interrupt cmd) {
    return persistAndReply(new Interrupted(cmd.reason(), Instant.now()), cmd);
  }

  private ReplyEffect<Event, State> onStop(State state, Stop cmd) {
    return persistAndReply(new Stopped(cmd.by(), Instant.now()), cmd);
  }

  private ReplyEffect<Event, State> onAddMessage(State state, AddMessage cmd) {
    return persistAndReply(new MessageAdded(cmd.author(), cmd.text(), Instant.now()), cmd);
  }

  private ReplyEffect<Event, State> onRefused(State state, Command cmd) {
    String why =
        state.exists()
            ? "mission " + missionId + " is " + state.status().name().toLowerCase()
                + ": cannot " + describe(cmd)
            : "no mission " + missionId;
    return refuse(Effect(), cmd.replyTo(), why);
  }

  private ReplyEffect<Event, State> persistAndReply(Event event, Command cmd) {
    return Effect().persist(event).thenReply(cmd.replyTo(), StatusReply::success);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Created.class, State::created)
        .onEvent(Approved.class, (s, e) -> s.decided(Status.APPROVED, e.by(), null, e.at()))
        .onEvent(Denied.class, (s, e) -> s.ended(Status.DENIED, e.by(), e.reason(), e.at()))
        .onEvent(Started.class, (s, e) -> s.started(e.at()))
        .onEvent(ProgressReported.class, State::progressed)
        .onEvent(Completed.class, State::completed)
        .onEvent(Failed.class, (s, e) -> s.ended(Status.FAILED, s.to(), e.reason(), e.at()))
        .onEvent(Interrupted.class, (s, e) -> s.ended(Status.INTERRUPTED, s.to(), e.reason(), e.at()))
        .onEvent(Stopped.class, (s, e) -> s.ended(Status.STOPPED, e.by(), "stopped by " + e.by(), e.at()))
        .onEvent(MessageAdded.class, State::messageAdded)
        .build();
  }
}
