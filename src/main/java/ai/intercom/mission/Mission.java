package ai.intercom.mission;

import static ai.intercom.protocol.Refusal.describe;

import ai.intercom.approval.MessageType;
import ai.intercom.protocol.JsonSerializable;
import ai.intercom.protocol.MissionStatus;
import ai.intercom.protocol.NodeRole;
import ai.intercom.protocol.Refusal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.pubsub.Topic;
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
    CHAT;

    /** Whether missions of this kind start an agent process. */
    public boolean launchesAgent() {
      return this == ASK || this == START_AGENT;
    }

    /** How the approval gate (and a rule's {@code type}) names a mission of this kind. */
    public MessageType messageType() {
      return MessageType.valueOf(name());
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
      MissionStatus status,
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
      List<String> followUpKeys,
      Long topicId)
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
          null, null, null, null, List.of(), List.of(), List.of(), null);
    }

    public boolean exists() {
      return createdAt != null;
    }

    public Summary summary() {
      return new Summary(
          missionId,
          from,
          to,
          kind,
          threadId,
          fromSession,
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
          latestProgress(),
          topicId);
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
          MissionStatus.PENDING_APPROVAL,
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
          List.of(),
          null);
    }

    /** A copy with another status and the rest as given; the one place that lists every field. */
    private State with(
        MissionStatus newStatus,
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
          followUpKeys,
          topicId);
    }

    State decided(MissionStatus newStatus, String by, String why, Instant at) {
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
          MissionStatus.RUNNING,
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
          MissionStatus.COMPLETED,
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

    State ended(MissionStatus newStatus, String author, String why, Instant at) {
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
      return keeping(keys.subList(Math.max(0, keys.size() - KEPT_KEYS), keys.size()), topicId);
    }

    /** The operator's Telegram forum topic of this mission is known. */
    State withTopic(long topic) {
      return keeping(followUpKeys, topic);
    }

    /** A copy with other follow-up keys and topic, the rest as it is. */
    private State keeping(List<String> keys, Long topic) {
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
          keys,
          topic);
    }

    /** A finished mission takes up work again: approved, to be run again (a follow-up). */
    State reopened(Instant at) {
      return with(
          MissionStatus.APPROVED,
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

  /**
   * What a command other than {@link Get} answers, and what crosses the cluster for every progress
   * batch: the mission's ids, parties, status and latest line, without its prompt, progress list or
   * transcript.
   */
  public record Summary(
      String missionId,
      String from,
      String to,
      Kind kind,
      String threadId,
      String fromSession,
      long notifyAfterSeconds,
      MissionStatus status,
      Instant createdAt,
      Instant updatedAt,
      String decidedBy,
      String reason,
      String agentSessionId,
      String result,
      Double costUsd,
      Long durationMs,
      String latestProgress,
      Long topicId)
      implements JsonSerializable {}

  /**
   * Every command answers, or replies a {@link ai.intercom.protocol.Refusal} saying why it was
   * refused.
   */
  public sealed interface Command extends JsonSerializable {
    ActorRef<? extends StatusReply<?>> replyTo();
  }

  /** A command that answers the {@link Summary} after it: all but {@link Get}. */
  public sealed interface AnswersSummary extends Command {
    @Override
    ActorRef<StatusReply<Summary>> replyTo();
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
      ActorRef<StatusReply<Summary>> replyTo)
      implements AnswersSummary {
    public Create(
        String from, String to, Kind kind, String prompt, ActorRef<StatusReply<Summary>> replyTo) {
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

  public record Approve(String by, ActorRef<StatusReply<Summary>> replyTo)
      implements AnswersSummary {}

  public record Deny(String by, String reason, ActorRef<StatusReply<Summary>> replyTo)
      implements AnswersSummary {}

  public record Start(ActorRef<StatusReply<Summary>> replyTo) implements AnswersSummary {}

  /**
   * Lines a human can follow (which tool, which file); {@code agentSessionId} once the agent said
   * it.
   */
  public record ReportProgress(
      List<String> lines, String agentSessionId, ActorRef<StatusReply<Summary>> replyTo)
      implements AnswersSummary {}

  public record Complete(
      String result,
      String agentSessionId,
      Double costUsd,
      Long durationMs,
      ActorRef<StatusReply<Summary>> replyTo)
      implements AnswersSummary {}

  public record Fail(String reason, ActorRef<StatusReply<Summary>> replyTo)
      implements AnswersSummary {}

  public record Interrupt(String reason, ActorRef<StatusReply<Summary>> replyTo)
      implements AnswersSummary {}

  public record Stop(String by, ActorRef<StatusReply<Summary>> replyTo) implements AnswersSummary {}

  public record AddMessage(String author, String text, ActorRef<StatusReply<Summary>> replyTo)
      implements AnswersSummary {}

  /**
   * More work for the mission's agent: kept in the transcript; a finished mission is approved
   * again, to continue the same conversation.
   */
  public record FollowUp(
      String author, String text, String key, ActorRef<StatusReply<Summary>> replyTo)
      implements AnswersSummary {
    public FollowUp(String author, String text, ActorRef<StatusReply<Summary>> replyTo) {
      this(author, text, null, replyTo);
    }
  }

  /**
   * A finished mission runs again for follow-ups that came while it ran (already in its
   * transcript).
   */
  public record Resume(ActorRef<StatusReply<Summary>> replyTo) implements AnswersSummary {}

  /**
   * The operator's forum topic for this mission (the Telegram bridge opened it). The first one
   * stays: the answer's {@code topicId} is the one to use.
   */
  public record SetTopic(long topicId, ActorRef<StatusReply<Summary>> replyTo)
      implements AnswersSummary {}

  /** The whole state, transcript included. */
  public record Get(ActorRef<StatusReply<State>> replyTo) implements Command {}

  /** The summary, as the other commands answer it. */
  public record Summarize(ActorRef<StatusReply<Summary>> replyTo) implements AnswersSummary {}

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

  public record TopicOpened(long topicId, Instant at) implements Event {}

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "Mission");

  public static final String TAG = "mission";

  public static void init(ActorSystem<?> system) {
    ActorRef<Topic.Command<MissionWaits.Finished>> ends = MissionWaits.topic(system);
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_KEY, ctx -> new Mission(ctx.getEntityId(), ends))
                .withRole(NodeRole.HUB_ROLE));
  }

  /** A mission that tells nobody when it ends (tests of the entity alone). */
  public static Behavior<Command> create(String missionId) {
    return new Mission(missionId, null);
  }

  private final String missionId;
  private final ActorRef<Topic.Command<MissionWaits.Finished>> ends;

  private Mission(String missionId, ActorRef<Topic.Command<MissionWaits.Finished>> ends) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), missionId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.missionId = missionId;
    this.ends = ends;
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
        .forState(s -> s.exists() && s.status() == MissionStatus.PENDING_APPROVAL)
        .onCommand(Approve.class, this::onApprove)
        .onCommand(Deny.class, this::onDeny);
    builder
        .forState(s -> s.exists() && s.status() == MissionStatus.RUNNING)
        .onCommand(Complete.class, this::onComplete);
    builder
        .forState(
            s ->
                s.exists()
                    && (s.status() == MissionStatus.APPROVED
                        || s.status() == MissionStatus.RUNNING))
        .onCommand(ReportProgress.class, this::onReportProgress)
        .onCommand(Fail.class, this::onFail)
        .onCommand(Interrupt.class, this::onInterrupt);
    builder
        .forState(
            s ->
                s.exists()
                    && (s.status() == MissionStatus.APPROVED
                        || s.status() == MissionStatus.RUNNING))
        .onCommand(Start.class, this::onStart);
    builder
        .forState(
            s ->
                s.exists()
                    && s.status() != MissionStatus.DENIED
                    && s.status() != MissionStatus.PENDING_APPROVAL)
        .onCommand(FollowUp.class, this::onFollowUp);
    builder
        .forState(s -> s.exists() && s.status().isFinished() && s.status() != MissionStatus.DENIED)
        .onCommand(Resume.class, (state, cmd) -> persistAndReply(new Reopened(Instant.now()), cmd));
    builder
        .forState(s -> s.exists() && !s.status().isFinished())
        .onCommand(Stop.class, this::onStop);
    builder
        .forState(s -> s.exists() && s.status() != MissionStatus.DENIED)
        .onCommand(AddMessage.class, this::onAddMessage);
    builder
        .forState(State::exists)
        .onCommand(
            SetTopic.class,
            (state, cmd) ->
                state.topicId() != null
                    ? Effect().reply(cmd.replyTo(), summarized(state))
                    : persistAndReply(new TopicOpened(cmd.topicId(), Instant.now()), cmd))
        .onCommand(
            Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.success(state)))
        .onCommand(
            Summarize.class, (state, cmd) -> Effect().reply(cmd.replyTo(), summarized(state)));
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
    return persistAndReply(events, cmd);
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
    if (state.status() == MissionStatus.RUNNING) {
      return Refusal.reply(
          Effect(),
          Refusal.Code.CONFLICT,
          cmd.replyTo(),
          "mission " + missionId + " is already running");
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
      return Refusal.reply(
          Effect(), Refusal.Code.INVALID, cmd.replyTo(), "a follow-up needs a message");
    }
    if (cmd.key() != null && state.followUpKeys().contains(cmd.key())) {
      // delivered again (a retry): it is in already
      return Effect().reply(cmd.replyTo(), summarized(state));
    }
    Instant now = Instant.now();
    MessageAdded added = new MessageAdded(cmd.author(), cmd.text(), now, cmd.key());
    List<Event> events =
        state.status().isFinished() ? List.of(added, new Reopened(now)) : List.of(added);
    return persistAndReply(events, cmd);
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
    return Refusal.reply(
        Effect(),
        state.exists() ? Refusal.Code.CONFLICT : Refusal.Code.NOT_FOUND,
        cmd.replyTo(),
        why);
  }

  private ReplyEffect<Event, State> persistAndReply(Event event, AnswersSummary cmd) {
    return persistAndReply(List.of(event), cmd);
  }

  private ReplyEffect<Event, State> persistAndReply(List<Event> events, AnswersSummary cmd) {
    return Effect()
        .persist(events)
        .thenRun(this::announceEnd)
        .thenReply(cmd.replyTo(), Mission::summarized);
  }

  /** Wakes those who wait for this mission (see {@link MissionWaits}). */
  private void announceEnd(State state) {
    if (ends != null && state.status().isFinished()) {
      ends.tell(Topic.publish(new MissionWaits.Finished(missionId)));
    }
  }

  private static StatusReply<Summary> summarized(State state) {
    return StatusReply.success(state.summary());
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Created.class, State::created)
        .onEvent(Approved.class, (s, e) -> s.decided(MissionStatus.APPROVED, e.by(), null, e.at()))
        .onEvent(Denied.class, (s, e) -> s.ended(MissionStatus.DENIED, e.by(), e.reason(), e.at()))
        .onEvent(Started.class, (s, e) -> s.started(e.at()))
        .onEvent(ProgressReported.class, State::progressed)
        .onEvent(Completed.class, State::completed)
        .onEvent(Failed.class, (s, e) -> s.ended(MissionStatus.FAILED, s.to(), e.reason(), e.at()))
        .onEvent(
            Interrupted.class,
            (s, e) -> s.ended(MissionStatus.INTERRUPTED, s.to(), e.reason(), e.at()))
        .onEvent(
            Stopped.class,
            (s, e) -> s.ended(MissionStatus.STOPPED, e.by(), "stopped by " + e.by(), e.at()))
        .onEvent(MessageAdded.class, State::messageAdded)
        .onEvent(Reopened.class, (s, e) -> s.reopened(e.at()))
        .onEvent(TopicOpened.class, (s, e) -> s.withTopic(e.topicId()))
        .build();
  }
}
