package ai.intercom.mission;

import static ai.intercom.persistence.Refusals.describe;
import static ai.intercom.persistence.Refusals.refuse;

import ai.intercom.cluster.NodeRole;
import ai.intercom.serialization.JsonSerializable;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
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
 * A conversation between agents (the "Thread" of the design): its participants
 * and their messages in order, attached to a mission. Id {@code t-xxxxxxxx}.
 */
public final class ChatThread
    extends EventSourcedBehaviorWithEnforcedReplies<
        ChatThread.Command, ChatThread.Event, ChatThread.State> {

  /** A chat message; {@code seq} counts from 1 within the thread. */
  public record Message(long seq, String from, String text, Instant at) implements JsonSerializable {}

  public record State(
      String threadId, String missionId, List<String> participants, List<Message> messages, Instant createdAt)
      implements JsonSerializable {

    public State {
      participants = List.copyOf(participants);
      messages = List.copyOf(messages);
    }

    static State empty(String threadId) {
      return new State(threadId, null, List.of(), List.of(), null);
    }

    public boolean exists() {
      return createdAt != null;
    }

    public boolean hasParticipant(String agent) {
      return participants.contains(agent);
    }

    /** The participants other than {@code agent}: whom a message from it goes to. */
    public List<String> othersThan(String agent) {
      return participants.stream().filter(p -> !p.equals(agent)).toList();
    }

    State created(Created e) {
      return new State(threadId, e.missionId(), e.participants(), List.of(), e.at());
    }

    State joined(ParticipantAdded e) {
      List<String> all = new ArrayList<>(participants);
      all.add(e.participant());
      return new State(threadId, missionId, all, messages, createdAt);
    }

    State appended(MessageAppended e) {
      List<Message> all = new ArrayList<>(messages);
      all.add(e.message());
      return new State(threadId, missionId, participants, all, createdAt);
    }
  }

  public sealed interface Command extends JsonSerializable {
    ActorRef<? extends StatusReply<?>> replyTo();
  }

  public record Create(String missionId, List<String> participants, ActorRef<StatusReply<State>> replyTo)
      implements Command {}

  public record AddParticipant(String participant, ActorRef<StatusReply<State>> replyTo)
      implements Command {}

  /** Appends a message from a participant; answers the stored message with its sequence number. */
  public record Append(String from, String text, ActorRef<StatusReply<Message>> replyTo)
      implements Command {}

  public record Get(ActorRef<StatusReply<State>> replyTo) implements Command {}

  public sealed interface Event extends JsonSerializable {}

  public record Created(String missionId, List<String> participants, Instant at) implements Event {}

  public record ParticipantAdded(String participant, Instant at) implements Event {}

  public record MessageAppended(Message message) implements Event {}

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Thread");

  public static final String TAG = "thread";

  private static final Pattern ID = Pattern.compile("t-[0-9a-f]{8}");
  private static final SecureRandom RANDOM = new SecureRandom();

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId())).withRole(NodeRole.HUB_ROLE));
  }

  public static Behavior<Command> create(String threadId) {
    return new ChatThread(threadId);
  }

  /** A fresh id {@code t-xxxxxxxx} (32 random bits). */
  public static String newId() {
    byte[] bytes = new byte[4];
    RANDOM.nextBytes(bytes);
    return "t-" + HexFormat.of().formatHex(bytes);
  }

  public static boolean isValidId(String id) {
    return id != null && ID.matcher(id).matches();
  }

  private final String threadId;

  private ChatThread(String threadId) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), threadId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.threadId = threadId;
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
    return State.empty(threadId);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();
    builder.forState(s -> !s.exists()).onCommand(Create.class, this::onCreate);
    builder
        .forState(State::exists)
        .onCommand(AddParticipant.class, this::onAddParticipant)
        .onCommand(Append.class, this::onAppend)
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.success(state)));
    builder.forAnyState().onAnyCommand(this::onRefused);
    return builder.build();
  }

  private ReplyEffect<Event, State> onCreate(State state, Create cmd) {
    List<String> participants = List.copyOf(new LinkedHashSet<>(cmd.participants()));
    if (participants.size() < 2) {
      return refuse(Effect(), cmd.replyTo(), "a thread needs two different participants");
    }
    return Effect()
        .persist(new Created(cmd.missionId(), participants, Instant.now()))
        .thenReply(cmd.replyTo(), StatusReply::success);
  }

  private ReplyEffect<Event, State> onAddParticipant(State state, AddParticipant cmd) {
    if (state.hasParticipant(cmd.participant())) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(state));
    }
    return Effect()
        .persist(new ParticipantAdded(cmd.participant(), Instant.now()))
        .thenReply(cmd.replyTo(), StatusReply::success);
  }

  private ReplyEffect<Event, State> onAppend(State state, Append cmd) {
    if (!state.hasParticipant(cmd.from())) {
      return refuse(
          Effect(), cmd.replyTo(), cmd.from() + " is not a participant of thread " + threadId);
    }
    Message message = new Message(state.messages().size() + 1L, cmd.from(), cmd.text(), Instant.now());
    return Effect()
        .persist(new MessageAppended(message))
        .thenReply(cmd.replyTo(), s -> StatusReply.success(message));
  }

  private ReplyEffect<Event, State> onRefused(State state, Command cmd) {
    String why =
        state.exists()
            ? "thread " + threadId + " already exists: cannot " + describe(cmd)
            : "no thread " + threadId;
    return refuse(Effect(), cmd.replyTo(), why);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Created.class, State::created)
        .onEvent(ParticipantAdded.class, State::joined)
        .onEvent(MessageAppended.class, State::appended)
        .build();
  }
}
