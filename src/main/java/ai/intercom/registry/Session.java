package ai.intercom.registry;

import static ai.intercom.protocol.Refusal.describe;

import ai.intercom.protocol.AgentId;
import ai.intercom.protocol.JsonSerializable;
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
 * One running agent session (a Claude Code process with its MCP server): where it runs, which
 * project, its pid, what it is doing. Id: the agent's session id.
 */
public final class Session
    extends EventSourcedBehaviorWithEnforcedReplies<Session.Command, Session.Event, Session.State> {

  static final int RECENT_ACTIVITY = 10;

  /**
   * {@code active}: registered, no hook has said more; {@code working}: a tool hook fired lately;
   * {@code idle}: its turn ended (a waiting hook runs); {@code stuck}: working, but nothing fired
   * for longer than {@code intercom.sessions.stuck-after}; {@code gone}: its process ended.
   */
  public enum Status {
    ACTIVE,
    WORKING,
    IDLE,
    STUCK,
    GONE;

    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public record State(
      String sessionId,
      String machineId,
      String project,
      long pid,
      Status status,
      String summary,
      List<String> recentActivity,
      Instant registeredAt,
      Instant updatedAt)
      implements JsonSerializable {

    public State {
      recentActivity = List.copyOf(recentActivity);
    }

    static State empty(String sessionId) {
      return new State(sessionId, null, null, 0, null, "", List.of(), null, null);
    }

    public boolean exists() {
      return registeredAt != null;
    }

    public boolean isLive() {
      return exists() && status != Status.GONE;
    }

    public AgentId agent() {
      return new AgentId(machineId, project);
    }

    State registered(Registered e) {
      return new State(
          sessionId,
          e.machineId(),
          e.project(),
          e.pid(),
          Status.ACTIVE,
          summary,
          recentActivity,
          e.at(),
          e.at());
    }

    State statusUpdated(StatusUpdated e) {
      List<String> activity = recentActivity;
      if (e.activity() != null && !e.activity().isBlank()) {
        List<String> lines = new ArrayList<>(recentActivity);
        lines.add(e.activity());
        activity =
            lines.size() > RECENT_ACTIVITY
                ? lines.subList(lines.size() - RECENT_ACTIVITY, lines.size())
                : lines;
      }
      return new State(
          sessionId,
          machineId,
          project,
          pid,
          e.status(),
          e.summary() == null ? summary : e.summary(),
          activity,
          registeredAt,
          e.at());
    }

    State unregistered(Unregistered e) {
      return new State(
          sessionId,
          machineId,
          project,
          pid,
          Status.GONE,
          summary,
          recentActivity,
          registeredAt,
          e.at());
    }
  }

  public sealed interface Command extends JsonSerializable {
    ActorRef<StatusReply<State>> replyTo();
  }

  /** The session's MCP server announces it; again after a restart of the agent or its server. */
  public record Register(
      String machineId, String project, long pid, ActorRef<StatusReply<State>> replyTo)
      implements Command {}

  /** {@code summary} and {@code activity} may be null: left as they were. */
  public record UpdateStatus(
      Status status, String summary, String activity, ActorRef<StatusReply<State>> replyTo)
      implements Command {}

  public record Unregister(String reason, ActorRef<StatusReply<State>> replyTo)
      implements Command {}

  public record Get(ActorRef<StatusReply<State>> replyTo) implements Command {}

  public sealed interface Event extends JsonSerializable {}

  public record Registered(String machineId, String project, long pid, Instant at)
      implements Event {}

  public record StatusUpdated(Status status, String summary, String activity, Instant at)
      implements Event {}

  public record Unregistered(String reason, Instant at) implements Event {}

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "Session");

  public static final String TAG = "session";

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId())).withRole(NodeRole.HUB_ROLE));
  }

  public static Behavior<Command> create(String sessionId) {
    return new Session(sessionId);
  }

  private final String sessionId;

  private Session(String sessionId) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), sessionId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.sessionId = sessionId;
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
    return State.empty(sessionId);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder =
        newCommandHandlerWithReplyBuilder();
    builder.forAnyState().onCommand(Register.class, this::onRegister);
    builder
        .forState(State::isLive)
        .onCommand(UpdateStatus.class, this::onUpdateStatus)
        .onCommand(Unregister.class, this::onUnregister);
    builder
        .forState(State::exists)
        .onCommand(
            Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.success(state)));
    builder.forAnyState().onAnyCommand(this::onRefused);
    return builder.build();
  }

  private ReplyEffect<Event, State> onRegister(State state, Register cmd) {
    if (state.exists() && !state.machineId().equals(cmd.machineId())) {
      return Refusal.reply(
          Effect(),
          Refusal.Code.CONFLICT,
          cmd.replyTo(),
          "session " + sessionId + " belongs to machine " + state.machineId());
    }
    return Effect()
        .persist(new Registered(cmd.machineId(), cmd.project(), cmd.pid(), Instant.now()))
        .thenReply(cmd.replyTo(), StatusReply::success);
  }

  private ReplyEffect<Event, State> onUpdateStatus(State state, UpdateStatus cmd) {
    if (cmd.status() == Status.GONE) {
      return Refusal.reply(
          Effect(),
          Refusal.Code.INVALID,
          cmd.replyTo(),
          "a session ends by unregistering, not by status");
    }
    return Effect()
        .persist(new StatusUpdated(cmd.status(), cmd.summary(), cmd.activity(), Instant.now()))
        .thenReply(cmd.replyTo(), StatusReply::success);
  }

  private ReplyEffect<Event, State> onUnregister(State state, Unregister cmd) {
    return Effect()
        .persist(new Unregistered(cmd.reason(), Instant.now()))
        .thenReply(cmd.replyTo(), StatusReply::success);
  }

  private ReplyEffect<Event, State> onRefused(State state, Command cmd) {
    String why =
        state.exists()
            ? "session " + sessionId + " is gone: cannot " + describe(cmd)
            : "no session " + sessionId;
    return Refusal.reply(
        Effect(),
        state.exists() ? Refusal.Code.CONFLICT : Refusal.Code.NOT_FOUND,
        cmd.replyTo(),
        why);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Registered.class, State::registered)
        .onEvent(StatusUpdated.class, State::statusUpdated)
        .onEvent(Unregistered.class, State::unregistered)
        .build();
  }
}
