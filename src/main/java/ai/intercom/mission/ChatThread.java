package ai.intercom.mission;

import static ai.intercom.protocol.Refusal.describe;

import ai.intercom.protocol.AgentId;
import ai.intercom.protocol.DeliveryState;
import ai.intercom.protocol.JsonSerializable;
import ai.intercom.protocol.NodeRole;
import ai.intercom.protocol.Refusal;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.Done;
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
 * A conversation between agents (the "Thread" of the design): its participants and their messages
 * in order, attached to a mission. Id {@code t-xxxxxxxx}.
 */
public final class ChatThread
    extends EventSourcedBehaviorWithEnforcedReplies<
        ChatThread.Command, ChatThread.Event, ChatThread.State> {

  /**
   * A chat message; {@code seq} counts from 1 within the thread. {@code session} is the agent
   * session that wrote it (answers go back to it); {@code denied} says why the operator stopped it,
   * null while it was not.
   */
  public record Message(
      long seq,
      String from,
      String session,
      String text,
      Instant at,
      String denied,
      List<Receipt> receipts,
      String messageId)
      implements JsonSerializable {

    public Message {
      // messages journaled before receipts existed have none
      receipts = receipts == null ? List.of() : List.copyOf(receipts);
    }

    Message(long seq, String from, String session, String text, Instant at, String denied) {
      this(seq, from, session, text, at, denied, List.of(), null);
    }

    Message denied(String why) {
      return new Message(seq, from, session, text, at, why, receipts, messageId);
    }

    /** Whether this is the message {@code from} sent under {@code messageId} (a retry of it). */
    boolean isSent(String author, String id) {
      return id != null && id.equals(messageId) && author.equals(from);
    }

    /** How far it got to {@code agent}, if it went to that agent. */
    public Optional<Receipt> receiptOf(String agent) {
      for (Receipt receipt : receipts) {
        if (receipt.agent().equals(agent)) {
          return Optional.of(receipt);
        }
      }
      return Optional.empty();
    }

    /** With the receipt of {@code agent} moved to {@code reached}, when that is forward. */
    Message advanced(Receipt reached) {
      List<Receipt> all = new ArrayList<>(receipts.size());
      for (Receipt receipt : receipts) {
        all.add(receipt.agent().equals(reached.agent()) ? receipt.then(reached) : receipt);
      }
      return new Message(seq, from, session, text, at, denied, all, messageId);
    }
  }

  /**
   * How far a message got to one recipient (see {@link DeliveryState}): in the inbox of {@code
   * session}, injected by hook {@code hookEvent} at {@code injectedAt}; {@code at} is when it
   * reached {@code state}.
   */
  public record Receipt(
      String agent,
      DeliveryState state,
      String session,
      String hookEvent,
      Instant injectedAt,
      Instant at)
      implements JsonSerializable {

    static Receipt pending(String agent, Instant at) {
      return new Receipt(agent, DeliveryState.PENDING_APPROVAL, null, null, null, at);
    }

    /** This receipt after {@code next}: only a later state counts; what was known stays. */
    Receipt then(Receipt next) {
      if (!next.state().isAfter(state)) {
        return this;
      }
      boolean injected = next.state() == DeliveryState.INJECTED;
      return new Receipt(
          agent,
          next.state(),
          next.session() != null ? next.session() : session,
          injected ? next.hookEvent() : hookEvent,
          injected ? next.at() : injectedAt,
          next.at());
    }
  }

  /**
   * Who a message goes to: an agent, at the session it last wrote from (null: any session of it).
   */
  public record Recipient(String agent, String session) implements JsonSerializable {}

  /**
   * A message with where it goes: what a thread answers to posting or releasing it; {@code
   * repeated} when it was posted before under the same message id (the sender retried).
   */
  public record Posted(
      String threadId,
      String missionId,
      Message message,
      List<Recipient> recipients,
      boolean repeated)
      implements JsonSerializable {
    public Posted {
      recipients = List.copyOf(recipients);
    }

    public Posted(String threadId, String missionId, Message message, List<Recipient> recipients) {
      this(threadId, missionId, message, recipients, false);
    }
  }

  /**
   * {@code messages} are the latest {@value #KEPT} ({@code count} in all, the rest stay in the
   * journal); {@code sessions} is where each participant last wrote from, so that answers go back
   * to that session.
   */
  public record State(
      String threadId,
      String missionId,
      List<String> participants,
      List<Message> messages,
      long count,
      Map<String, String> sessions,
      Instant createdAt)
      implements JsonSerializable {

    public State {
      participants = List.copyOf(participants);
      messages = List.copyOf(messages);
      sessions = sessions == null ? Map.of() : Map.copyOf(sessions);
    }

    static State empty(String threadId) {
      return new State(threadId, null, List.of(), List.of(), 0, Map.of(), null);
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

    /** Where a message from {@code agent} goes: each other participant, at its latest session. */
    List<Recipient> recipientsOf(String agent) {
      return othersThan(agent).stream()
          .map(other -> new Recipient(other, sessions.get(other)))
          .toList();
    }

    /** Message {@code seq}, while it is among the kept ones. */
    public Optional<Message> message(long seq) {
      long index = seq - (count - messages.size()) - 1;
      return index >= 0 && index < messages.size()
          ? Optional.of(messages.get((int) index))
          : Optional.empty();
    }

    /** Message {@code seq} replaced by {@code changed}, while it is among the kept ones. */
    private List<Message> replaced(long seq, Message changed) {
      List<Message> all = new ArrayList<>(messages);
      all.set((int) (seq - (count - messages.size()) - 1), changed);
      return all;
    }

    Posted posted(Message message) {
      return new Posted(threadId, missionId, message, recipientsOf(message.from()));
    }

    /** The kept message {@code author} sent under {@code messageId}, posted again. */
    Optional<Posted> repeated(String author, String messageId) {
      if (messageId == null) {
        return Optional.empty();
      }
      for (int i = messages.size() - 1; i >= 0; i--) {
        Message m = messages.get(i);
        if (m.isSent(author, messageId)) {
          return Optional.of(new Posted(threadId, missionId, m, recipientsOf(m.from()), true));
        }
      }
      return Optional.empty();
    }

    State created(Created e) {
      return new State(threadId, e.missionId(), e.participants(), List.of(), 0, Map.of(), e.at());
    }

    State joined(ParticipantAdded e) {
      List<String> all = new ArrayList<>(participants);
      all.add(e.participant());
      return new State(threadId, missionId, all, messages, count, sessions, createdAt);
    }

    State appended(MessageAppended e) {
      List<Message> kept =
          new ArrayList<>(messages.subList(messages.size() < KEPT ? 0 : 1, messages.size()));
      answered(kept, e.message());
      kept.add(e.message());
      Map<String, String> latest = sessions;
      if (e.message().session() != null
          && !e.message().session().equals(sessions.get(e.message().from()))) {
        latest = new HashMap<>(sessions);
        latest.put(e.message().from(), e.message().session());
      }
      return new State(threadId, missionId, participants, kept, count + 1, latest, createdAt);
    }

    State messageDenied(MessageDenied e) {
      return message(e.seq())
          .map(
              m ->
                  new State(
                      threadId,
                      missionId,
                      participants,
                      replaced(e.seq(), m.denied(e.reason())),
                      count,
                      sessions,
                      createdAt))
          .orElse(this);
    }

    State receiptAdvanced(ReceiptAdvanced e) {
      Receipt reached = new Receipt(e.agent(), e.state(), e.session(), e.hookEvent(), null, e.at());
      return message(e.seq())
          .map(
              m ->
                  new State(
                      threadId,
                      missionId,
                      participants,
                      replaced(e.seq(), m.advanced(reached)),
                      count,
                      sessions,
                      createdAt))
          .orElse(this);
    }

    /**
     * A message is an answer to what its author had received: those messages count as read by it
     * (from the latest back to one it had read already, or to its own previous message).
     */
    private static void answered(List<Message> kept, Message answer) {
      Receipt read =
          new Receipt(answer.from(), DeliveryState.READ, answer.session(), null, null, answer.at());
      for (int i = kept.size() - 1; i >= 0; i--) {
        Message earlier = kept.get(i);
        if (earlier.from().equals(answer.from())) {
          // its previous message answered everything before it
          return;
        }
        Optional<Receipt> receipt = earlier.receiptOf(answer.from());
        if (receipt.isEmpty()) {
          continue;
        }
        if (receipt.get().state() == DeliveryState.READ) {
          return;
        }
        kept.set(i, earlier.advanced(read));
      }
    }

    /**
     * Whether recording that {@code agent} has message {@code seq} in {@code state} changes
     * anything.
     */
    boolean advances(long seq, String agent, DeliveryState state) {
      return message(seq)
          .filter(m -> m.denied() == null)
          .flatMap(m -> m.receiptOf(agent))
          .map(receipt -> state.isAfter(receipt.state()))
          .orElse(false);
    }
  }

  public sealed interface Command extends JsonSerializable {
    ActorRef<? extends StatusReply<?>> replyTo();
  }

  public record Create(
      String missionId, List<String> participants, ActorRef<StatusReply<State>> replyTo)
      implements Command {}

  /**
   * Creates the thread of a new chat between {@code from} and {@code to} with its first message.
   */
  public record Open(
      String missionId,
      String from,
      String session,
      String to,
      String text,
      String messageId,
      ActorRef<StatusReply<Posted>> replyTo)
      implements Command {
    public Open(
        String missionId,
        String from,
        String session,
        String to,
        String text,
        ActorRef<StatusReply<Posted>> replyTo) {
      this(missionId, from, session, to, text, null, replyTo);
    }
  }

  public record AddParticipant(String participant, ActorRef<StatusReply<State>> replyTo)
      implements Command {}

  /**
   * Appends a message from a participant; answers it with its sequence number and recipients. A
   * second Append with the same {@code messageId} (a retry) answers the first one.
   */
  public record Append(
      String from,
      String session,
      String text,
      String messageId,
      ActorRef<StatusReply<Posted>> replyTo)
      implements Command {
    public Append(String from, String session, String text, ActorRef<StatusReply<Posted>> replyTo) {
      this(from, session, text, null, replyTo);
    }
  }

  /**
   * The gate's decision on a held message: answers the message and its recipients when approved;
   * records the denial otherwise. Asking again answers the same.
   */
  public record Release(
      long seq, boolean approved, String by, String reason, ActorRef<StatusReply<Posted>> replyTo)
      implements Command {}

  public record Get(ActorRef<StatusReply<State>> replyTo) implements Command {}

  /** Message {@code seq} with its receipts, while it is among the kept ones. */
  public record GetMessage(long seq, ActorRef<StatusReply<Message>> replyTo) implements Command {}

  /**
   * What an inbox learnt of message {@code seq} for {@code agent} (see {@link Receipt}); a state
   * that is not later than the known one changes nothing.
   */
  public record Advance(
      long seq,
      String agent,
      DeliveryState state,
      String session,
      String hookEvent,
      ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  public sealed interface Event extends JsonSerializable {}

  public record Created(String missionId, List<String> participants, Instant at) implements Event {}

  public record ParticipantAdded(String participant, Instant at) implements Event {}

  public record MessageAppended(Message message) implements Event {}

  public record MessageDenied(long seq, String reason, Instant at) implements Event {}

  public record ReceiptAdvanced(
      long seq, String agent, DeliveryState state, String session, String hookEvent, Instant at)
      implements Event {}

  /** Messages kept in memory per thread (also the most intercom_history shows). */
  public static final int KEPT = 1000;

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "Thread");

  public static final String TAG = "thread";

  private static final SecureRandom RANDOM = new SecureRandom();

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId())).withRole(NodeRole.HUB_ROLE));
  }

  public static Behavior<Command> create(String threadId) {
    return new ChatThread(threadId);
  }

  /**
   * The id of the thread a sender's message opens: the same for a retry of that message (the first
   * 32 bits of SHA-256 over sender and message id).
   */
  public static String idFor(String sender, String messageId) {
    try {
      byte[] digest =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(
                  (sender + "\n" + messageId).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return "t-" + HexFormat.of().formatHex(digest, 0, 4);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /** A fresh id {@code t-xxxxxxxx} (32 random bits). */
  public static String newId() {
    byte[] bytes = new byte[4];
    RANDOM.nextBytes(bytes);
    return "t-" + HexFormat.of().formatHex(bytes);
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
    CommandHandlerWithReplyBuilder<Command, Event, State> builder =
        newCommandHandlerWithReplyBuilder();
    builder
        .forState(s -> !s.exists())
        .onCommand(Create.class, this::onCreate)
        .onCommand(Open.class, this::onOpen);
    builder
        .forState(State::exists)
        .onCommand(Open.class, this::onOpenAgain)
        .onCommand(AddParticipant.class, this::onAddParticipant)
        .onCommand(Append.class, this::onAppend)
        .onCommand(Release.class, this::onRelease)
        .onCommand(Advance.class, this::onAdvance)
        .onCommand(GetMessage.class, this::onGetMessage)
        .onCommand(
            Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.success(state)));
    builder.forAnyState().onAnyCommand(this::onRefused);
    return builder.build();
  }

  private ReplyEffect<Event, State> onCreate(State state, Create cmd) {
    List<String> participants = List.copyOf(new LinkedHashSet<>(cmd.participants()));
    if (participants.size() < 2) {
      return Refusal.reply(
          Effect(),
          Refusal.Code.INVALID,
          cmd.replyTo(),
          "a thread needs two different participants");
    }
    return Effect()
        .persist(new Created(cmd.missionId(), participants, Instant.now()))
        .thenReply(cmd.replyTo(), StatusReply::success);
  }

  private ReplyEffect<Event, State> onOpen(State state, Open cmd) {
    if (cmd.from().equals(cmd.to())) {
      return Refusal.reply(
          Effect(),
          Refusal.Code.INVALID,
          cmd.replyTo(),
          "a thread needs two different participants");
    }
    Instant now = Instant.now();
    Message first =
        new Message(
            1,
            cmd.from(),
            cmd.session(),
            cmd.text(),
            now,
            null,
            receiptsFor(List.of(cmd.to()), now),
            cmd.messageId());
    return Effect()
        .persist(
            List.of(
                new Created(cmd.missionId(), List.of(cmd.from(), cmd.to()), now),
                new MessageAppended(first)))
        .thenReply(cmd.replyTo(), s -> StatusReply.success(s.posted(first)));
  }

  /** The same chat opened again (a retry with the same message id) answers its first message. */
  private ReplyEffect<Event, State> onOpenAgain(State state, Open cmd) {
    return state
        .message(1)
        .filter(first -> first.isSent(cmd.from(), cmd.messageId()))
        .map(first -> state.repeated(cmd.from(), cmd.messageId()).orElseThrow())
        .map(again -> Effect().reply(cmd.replyTo(), StatusReply.success(again)))
        .orElseGet(() -> onRefused(state, cmd));
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
      return Refusal.reply(
          Effect(),
          Refusal.Code.FORBIDDEN,
          cmd.replyTo(),
          cmd.from() + " is not a participant of thread " + threadId);
    }
    var again = state.repeated(cmd.from(), cmd.messageId());
    if (again.isPresent()) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(again.get()));
    }
    Instant now = Instant.now();
    Message message =
        new Message(
            state.count() + 1,
            cmd.from(),
            cmd.session(),
            cmd.text(),
            now,
            null,
            receiptsFor(state.othersThan(cmd.from()), now),
            cmd.messageId());
    return Effect()
        .persist(new MessageAppended(message))
        .thenReply(cmd.replyTo(), s -> StatusReply.success(s.posted(message)));
  }

  private ReplyEffect<Event, State> onRelease(State state, Release cmd) {
    var found = state.message(cmd.seq());
    if (found.isEmpty()) {
      return Refusal.reply(
          Effect(),
          Refusal.Code.NOT_FOUND,
          cmd.replyTo(),
          "thread " + threadId + " has no message " + cmd.seq());
    }
    Message message = found.get();
    if (cmd.approved() || message.denied() != null) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(state.posted(message)));
    }
    String why =
        cmd.reason() == null || cmd.reason().isBlank() ? "denied by " + cmd.by() : cmd.reason();
    return Effect()
        .persist(new MessageDenied(cmd.seq(), why, Instant.now()))
        .thenReply(
            cmd.replyTo(), s -> StatusReply.success(s.posted(s.message(cmd.seq()).orElseThrow())));
  }

  private ReplyEffect<Event, State> onGetMessage(State state, GetMessage cmd) {
    return state
        .message(cmd.seq())
        .map(m -> Effect().reply(cmd.replyTo(), StatusReply.success(m)))
        .orElseGet(
            () ->
                Refusal.reply(
                    Effect(),
                    Refusal.Code.NOT_FOUND,
                    cmd.replyTo(),
                    "thread " + threadId + " keeps no message " + cmd.seq()));
  }

  private ReplyEffect<Event, State> onAdvance(State state, Advance cmd) {
    if (!state.advances(cmd.seq(), cmd.agent(), cmd.state())) {
      return Effect().reply(cmd.replyTo(), StatusReply.ack());
    }
    return Effect()
        .persist(
            new ReceiptAdvanced(
                cmd.seq(), cmd.agent(), cmd.state(), cmd.session(), cmd.hookEvent(), Instant.now()))
        .thenReply(cmd.replyTo(), s -> StatusReply.ack());
  }

  /** A new message's receipts: one per recipient agent (the operator reads it in Telegram). */
  private static List<Receipt> receiptsFor(List<String> recipients, Instant at) {
    return recipients.stream()
        .filter(agent -> !agent.equals(AgentId.HUMAN.toString()))
        .map(agent -> Receipt.pending(agent, at))
        .toList();
  }

  private ReplyEffect<Event, State> onRefused(State state, Command cmd) {
    String why =
        state.exists()
            ? "thread " + threadId + " already exists: cannot " + describe(cmd)
            : "no thread " + threadId;
    return Refusal.reply(
        Effect(), state.exists() ? Refusal.Code.TAKEN : Refusal.Code.NOT_FOUND, cmd.replyTo(), why);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Created.class, State::created)
        .onEvent(ParticipantAdded.class, State::joined)
        .onEvent(MessageAppended.class, State::appended)
        .onEvent(MessageDenied.class, State::messageDenied)
        .onEvent(ReceiptAdvanced.class, State::receiptAdvanced)
        .build();
  }
}
