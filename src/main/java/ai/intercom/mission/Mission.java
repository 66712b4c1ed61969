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
 * One piece of delegated work (ask, send, start_agent or chat): who asked whom for what, whether
 * the operator approved it, how the run went, and its transcript. Id {@code m-YYYYMMDD-xxxxxx}.
 */
public final class Mission
    extends EventSourcedBehaviorWithEnforcedReplies<Mission.Command, Mission.Event, Mission.State> {

  /** Kept in the state for {@code intercom_status}; the full stream goes to the transcript. */
  static final int RECENT_PROGRESS = 20;

  /** Transcript entries kept (the opening prompt and the latest ones). */
  static final int KEPT_ENTRIES = 1000;

  public enum Kind {
    ASK,
    SEND,
    START_AGENT,
    CHAT,
    /** Not a mission of its own: a launched agent asks to use a tool, within its mission. */
    PERMISSION;

    /** Whether missions of this kind start an agent process. */
    public boolean launchesAgent() {
      return this == ASK || this == START_AGENT;
    }
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
      return this == DENIED
          || this == COMPLETED
          || this == FAILED
          || this == INTERRUPTED
          || this == STOPPED;
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
      String fromSession,
      String agentCommand,
      long notifyAfterSeconds,
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
      List<Entry> transcript,
      List<String> followUpKeys)
      implements JsonSerializable {

    /** Follow-up keys remembered, so that a follow-up delivered twice is added once. */
    static final int KEPT_KEYS = 50;

    public State {
      progress = List.copyOf(progress);
      transcript = List.copyOf(transcript);
      followUpKeys = followUpKeys == null ? List.of() : List.copyOf(followUpKeys);
    }

    static State empty(String missionId) {
      return new State(
          missionId, null, null, null, null, null, null, null, 0, null, null, null, null, null,
          null, null, null, null, List.of(), List.of(), List.of());
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
          missionId,
          e.from(),
          e.to(),
          e.kind(),
          e.prompt(),
          e.threadId(),
          e.fromSession(),
          e.agentCommand(),
          e.notifyAfterSeconds() == null ? 0 : e.notifyAfterSeconds(),
          Status.PENDING_APPROVAL,
          e.at(),
          e.at(),
          null,
          null,
          null,
          null,
          null,
          null,
          List.of(),
          List.of(new Entry(e.at(), e.from(), e.prompt())),
          List.of());
    }

    /** A copy with another status and the rest as given; the one place that lists every field. */
    private State with(
        Status newStatus,
        Instant at,
        String by,
        String why,
        String session,
        String newResult,
        Double cost,
        Long duration,
        List<String> newProgress,
        List<Entry> newTranscript) {
      return new State(
          missionId,
          from,
          to,
          kind,
          prompt,
          threadId,
          fromSession,
          agentCommand,
          notifyAfterSeconds,
          newStatus,
          createdAt,
          at,
          by,
          why,
          session,
          newResult,
          cost,
          duration,
          newProgress,
          newTranscript,
          followUpKeys);
    }

    State decided(Status newStatus, String by, String why, Instant at) {
      return with(
          newStatus,
          at,
          by,
          why,
          agentSessionId,
          result,
          costUsd,
          durationMs,
          progress,
          transcript);
    }

    State started(Instant at) {
      return with(
          Status.RUNNING,
          at,
          decidedBy,
          null,
          agentSessionId,
          null,
          null,
          null,
          List.of(),
          transcript);
    }

    State progressed(ProgressReported e) {
      List<String> lines = new ArrayList<>(progress);
      lines.addAll(e.lines());
      if (lines.size() > RECENT_PROGRESS) {
        lines = lines.subList(lines.size() - RECENT_PROGRESS, lines.size());
      }
      List<Entry> entries =
          append(e.lines().stream().map(line -> new Entry(e.at(), to, line)).toList());
      return with(
          status,
          e.at(),
          decidedBy,
          reason,
          e.agentSessionId() == null ? agentSessionId : e.agentSessionId(),
          result,
          costUsd,
          durationMs,
          lines,
          entries);
    }

    State completed(Completed e) {
      return with(
          Status.COMPLETED,
          e.at(),
          decidedBy,
          null,
          e.agentSessionId() == null ? agentSessionId : e.agentSessionId(),
          e.result(),
          e.costUsd(),
          e.durationMs(),
          progress,
          append(List.of(new Entry(e.at(), to, e.result()))));
    }

    State ended(Status newStatus, String author, String why, Instant at) {
      return with(
          newStatus,
          at,
          decidedBy,
          why,
          agentSessionId,
          result,
          costUsd,
          durationMs,
          progress,
          append(List.of(new Entry(at, author, why))));
    }

    State messageAdded(MessageAdded e) {
      State added =
          with(
              status,
              e.at(),
              decidedBy,
              reason,
              agentSessionId,
              result,
              costUsd,
              durationMs,
              progress,
              append(List.of(new Entry(e.at(), e.author(), e.text()))));
      return e.key() == null ? added : added.withFollowUpKey(e.key());
    }

    private State withFollowUpKey(String key) {
      List<String> keys = new ArrayList<>(followUpKeys);
      keys.add(key);
      return new State(
          missionId,
          from,
          to,
          kind,
          prompt,
          threadId,
          fromSession,
          agentCommand,
          notifyAfterSeconds,
          status,
          createdAt,
          updatedAt,
          decidedBy,
          reason,
          agentSessionId,
          result,
          costUsd,
          durationMs,
          progress,
          transcript,
          keys.subList(Math.max(0, keys.size() - KEPT_KEYS), keys.size()));
    }

    /** A finished mission takes up work again: approved, to be run again (a follow-up). */
    State reopened(Instant at) {
      return with(
          Status.APPROVED,
          at,
          decidedBy,
          null,
          agentSessionId,
          result,
          costUsd,
          durationMs,
          progress,
          transcript);
    }

    /** Keeps the opening entry and the latest ones. */
    private List<Entry> append(List<Entry> more) {
      List<Entry> entries = new ArrayList<>(transcript.size() + more.size());
      entries.addAll(transcript);
      entries.addAll(more);
      if (entries.size() > KEPT_ENTRIES) {
        List<Entry> kept = new ArrayList<>(KEPT_ENTRIES);
        kept.add(entries.get(0));
        kept.addAll(entries.subList(entries.size() - KEPT_ENTRIES + 1, entries.size()));
        return kept;
      }
      return entries;
    }
  }

  /** Every command answers the mission's state after it, or an error saying why it was refused. */
  public sealed interface Command extends JsonSerializable {
    ActorRef<StatusReply<State>> replyTo();
  }

  /**
   * A new mission. With {@code passedBy} (the gate let it through: which rule or grant) it starts
   * running at once; without, it waits for approval.
   */
  public record Create(
      String from,
      String to,
      Kind kind,
      String prompt,
      String threadId,
      String passedBy,
      Launch launch,
      ActorRef<StatusReply<State>> replyTo)
      implements Command {
    public Create(
        String from, String to, Kind kind, String prompt, ActorRef<StatusReply<State>> replyTo) {
      this(from, to, kind, prompt, null, null, null, replyTo);
    }
  }

  /**
   * What a mission that starts an agent carries: the requesting session (told the result), the
   * agent command template (null = the machine's), and after how many seconds its requester stops
   * waiting and wants the result in its inbox.
   */
  public record Launch(String fromSession, String agentCommand, long notifyAfterSeconds)
      implements JsonSerializable {}

  public record Approve(String by, ActorRef<StatusReply<State>> replyTo) implements Command {}

  public record Deny(String by, String reason, ActorRef<StatusReply<State>> replyTo)
      implements Command {}

  public record Start(ActorRef<StatusReply<State>> replyTo) implements Command {}

  /**
   * Lines a human can follow (which tool, which file); {@code agentSessionId} once the agent said
   * it.
   */
  public record ReportProgress(
      List<String> lines, String agentSessionId, ActorRef<StatusReply<State>> replyTo)
      implements Command {}

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

  /**
   * More work for the mission's agent: kept in the transcript; a finished mission is approved
   * again, to continue the same conversation.
   */
  public record FollowUp(
      String author, String text, String key, ActorRef<StatusReply<State>> replyTo)
      implements Command {
    public FollowUp(String author, String text, ActorRef<StatusReply<State>> replyTo) {
      this(author, text, null, replyTo);
    }
  }

  /**
   * A finished mission runs again for follow-ups that came while it ran (already in its
   * transcript).
   */
  public record Resume(ActorRef<StatusReply<State>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<State>> replyTo) implements Command {}

  public sealed interface Event extends JsonSerializable {
    Instant at();
  }

  /** {@code threadId}: the conversation of a chat or notice, null for other kinds. */
  public record Created(
      String from,
      String to,
      Kind kind,
      String prompt,
      String threadId,
      String fromSession,
      String agentCommand,
      Long notifyAfterSeconds,
      Instant at)
      implements Event {}

  public record Approved(String by, Instant at) implements Event {}

  public record Denied(String by, String reason, Instant at) implements Event {}

  public record Started(Instant at) implements Event {}

  public record ProgressReported(List<String> lines, String agentSessionId, Instant at)
      implements Event {
    public ProgressReported {
      lines = lines == null ? List.of() : List.copyOf(lines);
    }
  }

  public record Completed(
      String result, String agentSessionId, Double costUsd, Long durationMs, Instant at)
      implements Event {}

  public record Failed(String reason, Instant at) implements Event {}

  public record Interrupted(String reason, Instant at) implements Event {}

  public record Stopped(String by, Instant at) implements Event {}

  /** {@code key}: a follow-up's key (null for other messages). */
  public record MessageAdded(String author, String text, Instant at, String key) implements Event {
    public MessageAdded(String author, String text, Instant at) {
      this(author, text, at, null);
    }
  }

  public record Reopened(Instant at) implements Event {}

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "Mission");

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
    CommandHandlerWithReplyBuilder<Command, Event, State> builder =
        newCommandHandlerWithReplyBuilder();
    builder.forState(s -> !s.exists()).onCommand(Create.class, this::onCreate);
    builder
        .forState(s -> s.exists() && s.status() == Status.PENDING_APPROVAL)
        .onCommand(Approve.class, this::onApprove)
        .onCommand(Deny.class, this::onDeny);
    builder
        .forState(s -> s.exists() && s.status() == Status.RUNNING)
        .onCommand(Complete.class, this::onComplete);
    builder
        .forState(
            s -> s.exists() && (s.status() == Status.APPROVED || s.status() == Status.RUNNING))
        .onCommand(ReportProgress.class, this::onReportProgress)
        .onCommand(Fail.class, this::onFail)
        .onCommand(Interrupt.class, this::onInterrupt);
    builder
        .forState(
            s -> s.exists() && (s.status() == Status.APPROVED || s.status() == Status.RUNNING))
        .onCommand(Start.class, this::onStart);
    builder
        .forState(
            s -> s.exists() && s.status() != Status.DENIED && s.status() != Status.PENDING_APPROVAL)
        .onCommand(FollowUp.class, this::onFollowUp);
    builder
        .forState(s -> s.exists() && s.status().isFinished() && s.status() != Status.DENIED)
        .onCommand(Resume.class, (state, cmd) -> persistAndReply(new Reopened(Instant.now()), cmd));
    builder
        .forState(s -> s.exists() && !s.status().isFinished())
        .onCommand(Stop.class, this::onStop);
    builder
        .forState(s -> s.exists() && s.status() != Status.DENIED)
        .onCommand(AddMessage.class, this::onAddMessage);
    builder
        .forState(State::exists)
        .onCommand(
            Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.success(state)));
    builder.forAnyState().onAnyCommand(this::onRefused);
    return builder.build();
  }

  private ReplyEffect<Event, State> onCreate(State state, Create cmd) {
    Instant now = Instant.now();
    Launch launch = cmd.launch();
    Created created =
        new Created(
            cmd.from(),
            cmd.to(),
            cmd.kind(),
            cmd.prompt(),
            cmd.threadId(),
            launch == null ? null : launch.fromSession(),
            launch == null ? null : launch.agentCommand(),
            launch == null ? null : launch.notifyAfterSeconds(),
            now);
    if (cmd.passedBy() == null) {
      return persistAndReply(created, cmd);
    }
    // a message runs as soon as it passes; an agent's mission runs when its process starts
    List<Event> events =
        cmd.kind().launchesAgent()
            ? List.of(created, new Approved(cmd.passedBy(), now))
            : List.of(created, new Approved(cmd.passedBy(), now), new Started(now));
    return Effect().persist(events).thenReply(cmd.replyTo(), StatusReply::success);
  }

  private ReplyEffect<Event, State> onApprove(State state, Approve cmd) {
    return persistAndReply(new Approved(cmd.by(), Instant.now()), cmd);
  }

  private ReplyEffect<Event, State> onDeny(State state, Deny cmd) {
    String why =
        cmd.reason() == null || cmd.reason().isBlank() ? "denied by " + cmd.by() : cmd.reason();
    return persistAndReply(new Denied(cmd.by(), why, Instant.now()), cmd);
  }

  private ReplyEffect<Event, State> onStart(State state, Start cmd) {
    if (state.status() == Status.RUNNING) {
      return refuse(Effect(), cmd.replyTo(), "mission " + missionId + " is already running");
    }
    return persistAndReply(new Started(Instant.now()), cmd);
  }

  private ReplyEffect<Event, State> onReportProgress(State state, ReportProgress cmd) {
    return persistAndReply(
        new ProgressReported(cmd.lines(), cmd.agentSessionId(), Instant.now()), cmd);
  }

  private ReplyEffect<Event, State> onComplete(State state, Complete cmd) {
    return persistAndReply(
        new Completed(
            cmd.result(), cmd.agentSessionId(), cmd.costUsd(), cmd.durationMs(), Instant.now()),
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

  private ReplyEffect<Event, State> onFollowUp(State state, FollowUp cmd) {
    if (cmd.text() == null || cmd.text().isBlank()) {
      return refuse(Effect(), cmd.replyTo(), "a follow-up needs a message");
    }
    if (cmd.key() != null && state.followUpKeys().contains(cmd.key())) {
      // delivered again (a retry): it is in already
      return Effect().reply(cmd.replyTo(), StatusReply.success(state));
    }
    Instant now = Instant.now();
    MessageAdded added = new MessageAdded(cmd.author(), cmd.text(), now, cmd.key());
    List<Event> events =
        state.status().isFinished() ? List.of(added, new Reopened(now)) : List.of(added);
    return Effect().persist(events).thenReply(cmd.replyTo(), StatusReply::success);
  }

  private ReplyEffect<Event, State> onAddMessage(State state, AddMessage cmd) {
    return persistAndReply(new MessageAdded(cmd.author(), cmd.text(), Instant.now()), cmd);
  }

  private ReplyEffect<Event, State> onRefused(State state, Command cmd) {
    String why =
        state.exists()
            ? "mission "
                + missionId
                + " is "
                + state.status().name().toLowerCase()
                + ": cannot "
                + describe(cmd)
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
        .onEvent(
            Interrupted.class, (s, e) -> s.ended(Status.INTERRUPTED, s.to(), e.reason(), e.at()))
        .onEvent(
            Stopped.class,
            (s, e) -> s.ended(Status.STOPPED, e.by(), "stopped by " + e.by(), e.at()))
        .onEvent(MessageAdded.class, State::messageAdded)
        .onEvent(Reopened.class, (s, e) -> s.reopened(e.at()))
        .build();
  }
}
