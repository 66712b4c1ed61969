package ai.intercom.mission;

import ai.intercom.approval.ApprovalGate;
import ai.intercom.approval.ApprovalRequest;
import ai.intercom.approval.MessageType;
import ai.intercom.daemon.SessionDesk;
import ai.intercom.protocol.AgentId;
import ai.intercom.protocol.DeliveryState;
import ai.intercom.protocol.DeliveryStatus;
import ai.intercom.protocol.Ids;
import ai.intercom.protocol.MissionStatus;
import ai.intercom.protocol.Refusal;
import ai.intercom.registry.Machine;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/**
 * Routes agents' messages: a chat or a notice opens a mission and its thread, a reply continues a
 * thread; every message passes the approval gate, then the {@link Courier} puts it into the
 * recipient's inbox. Nothing is stored for a message that is refused for what it is (unknown agent,
 * too long, ...).
 */
public final class Router {

  static final Duration ACCEPTED_FOR = Duration.ofSeconds(30);
  static final int THREAD_ID_TRIES = 3;

  /** The agent session writing: {@code agent} is {@code machine/project}. */
  public record Sender(String agent, String sessionId) {}

  /**
   * How long to wait ({@code within}) for a message to reach {@code until} at every recipient
   * before answering ({@code wait_for}); {@link #NONE} answers once it is stored or held.
   */
  public record Wait(DeliveryState until, Duration within) {
    public static final Wait NONE = new Wait(DeliveryState.IN_INBOX, Duration.ZERO);

    /** Longest a call may wait (within one request of an MCP server to its node). */
    public static final Duration LONGEST = Duration.ofSeconds(120);
  }

  /**
   * How a message went. {@code status}: {@code delivered} (to {@code sessionId}), {@code queued}
   * (kept until a session of the project starts) or {@code pending_approval} (waits for the
   * operator as {@code approvalId}).
   */
  public record Outcome(
      String status,
      String threadId,
      String missionId,
      String to,
      String sessionId,
      String approvalId,
      String note,
      String state,
      List<ChatThread.Receipt> receipts,
      List<Outcome> targets) {

    /**
     * {@code state}: how far the message got ({@link DeliveryState}), null for a mission without a
     * message; {@code receipts}: per recipient, once waited for; {@code targets}: a broadcast's
     * outcome per target.
     */
    public Outcome {
      receipts = receipts == null ? null : List.copyOf(receipts);
      targets = targets == null ? null : List.copyOf(targets);
    }

    Outcome(
        String status,
        String threadId,
        String missionId,
        String to,
        String sessionId,
        String approvalId,
        String note) {
      this(
          status,
          threadId,
          missionId,
          to,
          sessionId,
          approvalId,
          note,
          stateOf(status),
          null,
          null);
    }

    /** This outcome once the message got as far as {@code message} says. */
    Outcome reached(ChatThread.Message message) {
      DeliveryState least = ReceiptWaits.least(message);
      boolean denied = message.denied() != null;
      return new Outcome(
          denied ? MissionStatus.DENIED.wire() : status(least),
          threadId,
          missionId,
          to,
          message.receipts().stream()
              .map(ChatThread.Receipt::session)
              .filter(s -> s != null)
              .findFirst()
              .orElse(sessionId),
          approvalId,
          denied ? message.denied() : least == DeliveryState.PENDING_APPROVAL ? note : null,
          denied ? null : least.wire(),
          message.receipts(),
          null);
    }

    /** The delivery state a message's status stands for (null for a mission's status). */
    private static String stateOf(String status) {
      if (status.equals(DeliveryStatus.DELIVERED.wire())) {
        return DeliveryState.IN_INBOX.wire();
      }
      return DeliveryState.ofWire(status).map(DeliveryState::wire).orElse(null);
    }

    /** The status word of a delivery state (as the original's tools answer). */
    private static String status(DeliveryState state) {
      return switch (state) {
        case PENDING_APPROVAL -> MissionStatus.PENDING_APPROVAL.wire();
        case QUEUED -> DeliveryStatus.QUEUED.wire();
        default -> DeliveryStatus.DELIVERED.wire();
      };
    }

    /** How a mission without a thread went (a launch, a follow-up, a stop): its status after it. */
    static Outcome ofMission(
        String status, String missionId, String to, String approvalId, String note) {
      return new Outcome(status, null, missionId, to, null, approvalId, note);
    }
  }

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final ActorRef<ApprovalGate.Command> gate;
  private final Courier courier;
  private final MissionIds.Supply missionIds;
  private final Launches launches;
  private final ReceiptWaits waits;
  private final Broadcast broadcast;
  private final long maxBytes;
  private final Duration timeout;

  /**
   * Agents a machine said it has, until when (projects seldom go away; a stale yes only queues a
   * letter).
   */
  private final Map<String, Long> accepted = new ConcurrentHashMap<>();

  public Router(
      ActorSystem<?> system,
      ActorRef<ApprovalGate.Command> gate,
      Courier courier,
      long maxBytes,
      Duration timeout) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.gate = gate;
    this.courier = courier;
    this.missionIds = new MissionIds.Supply(system, timeout);
    this.maxBytes = maxBytes;
    this.timeout = timeout;
    this.launches = new Launches(this, courier);
    this.waits = new ReceiptWaits(system, timeout);
    this.broadcast = new Broadcast(system, timeout);
  }

  /** Missions that start agents, their follow-ups and stops. */
  public Launches launches() {
    return launches;
  }

  Duration timeout() {
    return timeout;
  }

  ClusterSharding sharding() {
    return sharding;
  }

  CompletionStage<String> nextMissionId() {
    return missionIds.next();
  }

  /**
   * {@code intercom_chat} ({@code CHAT}) or {@code intercom_send} ({@code SEND}): a new thread to
   * {@code to}.
   */
  public CompletionStage<Outcome> open(Sender from, String to, Mission.Kind kind, String text) {
    return open(from, to, kind, text, null, Wait.NONE);
  }

  /**
   * As {@link #open(Sender, String, Mission.Kind, String)}, answering after {@code wait}; {@code
   * messageId} (the sender's, may be null) makes a retry of the same call count once.
   */
  public CompletionStage<Outcome> open(
      Sender from, String to, Mission.Kind kind, String text, String messageId, Wait wait) {
    try {
      checkText(text);
      checkMessageId(messageId);
    } catch (IllegalArgumentException e) {
      return refused(e.getMessage());
    }
    if (Broadcast.isPattern(to)) {
      return broadcast
          .targets(to, from.agent())
          .thenCompose(
              targets ->
                  Broadcast.each(
                      to,
                      targets,
                      target ->
                          open(
                              from,
                              target,
                              kind,
                              text,
                              messageId == null ? null : messageId + "@" + target,
                              wait)));
    }
    AgentId target;
    try {
      target = AgentId.parse(to);
    } catch (IllegalArgumentException e) {
      return refused(e.getMessage());
    }
    if (target.isHuman()) {
      return refused(
          "the operator ('human') reads missions in Telegram, not an inbox: address an agent machine/project");
    }
    if (target.toString().equals(from.agent())) {
      return refused(
          "you are "
              + from.agent()
              + ": a message must go to another agent (see intercom_list_agents)");
    }
    return accepts(target)
        .thenCompose(ok -> missionIds.next())
        .thenCompose(missionId -> openThread(missionId, from, to, text, messageId, THREAD_ID_TRIES))
        .thenCompose(
            posted ->
                admit(
                        posted,
                        new ApprovalRequest(
                            from.agent(),
                            to,
                            kind.messageType(),
                            posted.missionId(),
                            text,
                            posted.threadId(),
                            1L))
                    .thenCompose(
                        admission -> {
                          String passedBy =
                              admission instanceof ApprovalGate.Passed passed
                                  ? "policy: " + passed.reason()
                                  : null;
                          // the message goes out now that its thread holds it; the answer also
                          // waits for the mission (made once: a retry finds it made)
                          CompletionStage<?> mission =
                              posted.repeated()
                                  ? CompletableFuture.completedFuture(null)
                                  : sharding
                                      .entityRefFor(Mission.ENTITY_KEY, posted.missionId())
                                      .<Mission.Summary>askWithStatus(
                                          r ->
                                              new Mission.Create(
                                                  from.agent(),
                                                  to,
                                                  kind,
                                                  text,
                                                  posted.threadId(),
                                                  passedBy,
                                                  null,
                                                  r),
                                          timeout);
                          return forward(admission, posted, to)
                              .thenCombine(
                                  mission,
                                  (outcome, created) -> {
                                    if (kind == Mission.Kind.SEND
                                        && !posted.repeated()
                                        && !outcome
                                            .status()
                                            .equals(MissionStatus.PENDING_APPROVAL.wire())) {
                                      sharding
                                          .entityRefFor(Mission.ENTITY_KEY, posted.missionId())
                                          .tell(
                                              new Mission.Complete(
                                                  describe(
                                                      outcome.status(), to, outcome.sessionId()),
                                                  null,
                                                  null,
                                                  null,
                                                  system.ignoreRef()));
                                    }
                                    return outcome;
                                  })
                              .thenCompose(outcome -> waited(outcome, posted, wait));
                        }));
  }

  /**
   * The gate's word on a message. A message posted before (a retry) is not asked about twice: one
   * already on its way passes, one denied stays denied, one still held is held as it was.
   */
  private CompletionStage<ApprovalGate.Admission> admit(
      ChatThread.Posted posted, ApprovalRequest request) {
    if (posted.repeated()) {
      ChatThread.Message message = posted.message();
      if (message.denied() != null) {
        return CompletableFuture.completedFuture(new ApprovalGate.Refused(message.denied()));
      }
      boolean released =
          message.receipts().stream()
              .anyMatch(r -> r.state().isAfter(DeliveryState.PENDING_APPROVAL));
      if (released) {
        return CompletableFuture.completedFuture(
            new ApprovalGate.Passed("sent before under this message id"));
      }
    }
    return submit(request);
  }

  /**
   * Opens a thread: first under the id its sender's message id stands for (a retry finds the same
   * thread), else under a fresh one; 32 random bits can meet an old thread, then another id is
   * drawn.
   */
  private CompletionStage<ChatThread.Posted> openThread(
      String missionId, Sender from, String to, String text, String messageId, int tries) {
    String threadId =
        messageId != null && tries == THREAD_ID_TRIES
            ? ChatThread.idFor(from.agent(), messageId)
            : ChatThread.newId();
    return sharding
        .entityRefFor(ChatThread.ENTITY_KEY, threadId)
        .<ChatThread.Posted>askWithStatus(
            r ->
                new ChatThread.Open(
                    missionId, from.agent(), from.sessionId(), to, text, messageId, r),
            timeout)
        .handle(
            (posted, error) -> {
              if (error == null) {
                return CompletableFuture.completedFuture(posted);
              }
              if (tries > 1 && Refusal.is(error, Refusal.Code.TAKEN)) {
                return openThread(missionId, from, to, text, messageId, tries - 1);
              }
              return CompletableFuture.<ChatThread.Posted>failedFuture(Refusal.cause(error));
            })
        .thenCompose(stage -> stage);
  }

  /**
   * {@code intercom_reply}: the next message of a thread, to its other participants; to a mission
   * id (a launched agent's result), a follow-up.
   */
  public CompletionStage<Outcome> reply(Sender from, String threadId, String text) {
    return reply(from, threadId, text, null, Wait.NONE);
  }

  /**
   * As {@link #reply(Sender, String, String)}, answering after {@code wait}; {@code messageId}
   * makes a retry count once.
   */
  public CompletionStage<Outcome> reply(
      Sender from, String threadId, String text, String messageId, Wait wait) {
    if (Ids.isMissionId(threadId)) {
      return launches.followUp(from, threadId, text);
    }
    if (!Ids.isThreadId(threadId)) {
      return refused(
          "thread id '"
              + threadId
              + "' is not like t-0a1b2c3d (take it from the message you answer)");
    }
    try {
      checkText(text);
      checkMessageId(messageId);
    } catch (IllegalArgumentException e) {
      return refused(e.getMessage());
    }
    boolean operator = from.agent().equals(AgentId.HUMAN.toString());
    var thread = sharding.entityRefFor(ChatThread.ENTITY_KEY, threadId);
    return thread
        .<ChatThread.State>askWithStatus(ChatThread.Get::new, timeout)
        .exceptionally(
            error -> {
              if (Refusal.of(error).isPresent()) {
                throw Refusal.notFound(
                    "no thread " + threadId + " (take the id from the message you answer)");
              }
              throw new CompletionException(Refusal.cause(error));
            })
        .thenCompose(
            state ->
                operator && !state.hasParticipant(from.agent())
                    // the operator may join any conversation (from Telegram)
                    ? thread.<ChatThread.State>askWithStatus(
                        r -> new ChatThread.AddParticipant(from.agent(), r), timeout)
                    : CompletableFuture.completedFuture(state))
        .thenCompose(
            state -> {
              if (!state.hasParticipant(from.agent())) {
                throw new Refusal(
                    Refusal.Code.FORBIDDEN,
                    "you ("
                        + from.agent()
                        + ") are not part of thread "
                        + threadId
                        + "; start your own with intercom_chat");
              }
              String to = String.join(", ", state.othersThan(from.agent()));
              CompletionStage<?> reachable =
                  state.othersThan(from.agent()).stream()
                      .filter(agent -> !agent.equals(AgentId.HUMAN.toString()))
                      .map(agent -> accepts(AgentId.parse(agent)))
                      .reduce((a, b) -> a.thenCombine(b, (x, y) -> x))
                      .orElse(CompletableFuture.completedFuture(null));
              return reachable
                  .thenCompose(
                      ok ->
                          thread.<ChatThread.Posted>askWithStatus(
                              r ->
                                  new ChatThread.Append(
                                      from.agent(), from.sessionId(), text, messageId, r),
                              timeout))
                  .thenCompose(
                      posted ->
                          (operator
                                  // the operator is who the gate asks: their words pass
                                  ? CompletableFuture.<ApprovalGate.Admission>completedFuture(
                                      new ApprovalGate.Passed("written by the operator"))
                                  : admit(
                                      posted,
                                      new ApprovalRequest(
                                          from.agent(),
                                          to,
                                          MessageType.CHAT,
                                          state.missionId(),
                                          text,
                                          threadId,
                                          posted.message().seq())))
                              .thenCompose(admission -> forward(admission, posted, to))
                              .thenCompose(outcome -> waited(outcome, posted, wait)));
            });
  }

  private CompletionStage<Outcome> forward(
      ApprovalGate.Admission admission, ChatThread.Posted posted, String to) {
    if (admission instanceof ApprovalGate.Held held) {
      return CompletableFuture.completedFuture(
          new Outcome(
              MissionStatus.PENDING_APPROVAL.wire(),
              posted.threadId(),
              posted.missionId(),
              to,
              null,
              held.approval().id(),
              "the operator approves or denies it (ai-intercom approvals, or Telegram)"));
    }
    if (posted.message().denied() != null) {
      // a retry of a message the operator denied
      return CompletableFuture.completedFuture(
          new Outcome(
              MissionStatus.DENIED.wire(),
              posted.threadId(),
              posted.missionId(),
              to,
              null,
              null,
              "not delivered: " + posted.message().denied()));
    }
    if (admission instanceof ApprovalGate.Refused refused) {
      throw Refusal.invalid("the approval gate refused the message: " + refused.reason());
    }
    return courier
        .deliver(posted)
        .thenApply(
            delivery ->
                new Outcome(
                    delivery.status().wire(),
                    posted.threadId(),
                    posted.missionId(),
                    to,
                    delivery.sessionId(),
                    null,
                    delivery.status() == DeliveryStatus.QUEUED
                        ? "no session of "
                            + to
                            + " is running (or its machine is away): it gets the message when one starts"
                        : null));
  }

  /** The outcome once the message reached what {@code wait} waits for, or its time is over. */
  private CompletionStage<Outcome> waited(Outcome outcome, ChatThread.Posted posted, Wait wait) {
    boolean there =
        outcome.state() == null
            || DeliveryState.ofWire(outcome.state()).orElseThrow().reached(wait.until());
    if (wait.within().isZero() || (there && wait.until() == DeliveryState.IN_INBOX)) {
      return CompletableFuture.completedFuture(outcome);
    }
    return waits
        .until(posted.threadId(), posted.message().seq(), wait.until(), wait.within())
        .thenApply(outcome::reached);
  }

  /** A notice's result, as its mission keeps it. */
  static String describe(String status, String to, String sessionId) {
    return status.equals(DeliveryStatus.QUEUED.wire())
        ? "queued for " + to + " until a session of it starts"
        : "delivered to " + to + (sessionId == null ? "" : " (session " + sessionId + ")");
  }

  /**
   * Fails unless the agent is known: a project of an online machine, or of a machine that is away
   * (its letters wait for it on the hub). A yes is kept for a while.
   */
  CompletionStage<Void> accepts(AgentId agent) {
    Long until = accepted.get(agent.toString());
    if (until != null && until - System.nanoTime() > 0) {
      return CompletableFuture.completedFuture(null);
    }
    return courier
        .deskOf(agent.machine())
        .thenCompose(desk -> desk.isPresent() ? askDesk(desk.get(), agent) : askRegistry(agent))
        .thenApply(
            ok -> {
              accepted.put(agent.toString(), System.nanoTime() + ACCEPTED_FOR.toNanos());
              return null;
            });
  }

  private CompletionStage<Void> askDesk(ActorRef<SessionDesk.Command> desk, AgentId agent) {
    return AskPattern.<SessionDesk.Command, StatusReply<Done>>ask(
            desk, r -> new SessionDesk.Accepts(agent.project(), r), timeout, system.scheduler())
        .thenApply(
            reply -> {
              if (reply.isError()) {
                throw new Refusal(
                    Refusal.of(reply.getError()).map(Refusal::code).orElse(Refusal.Code.NOT_FOUND),
                    Refusal.sentence(reply.getError()) + " (see intercom_list_agents)");
              }
              return null;
            });
  }

  /** A machine that is away: what the registry last knew of its projects. */
  private CompletionStage<Void> askRegistry(AgentId agent) {
    return sharding
        .entityRefFor(Machine.ENTITY_KEY, agent.machine())
        .<Machine.State>askWithStatus(Machine.Get::new, timeout)
        .handle(
            (machine, error) -> {
              if (error != null && Refusal.of(error).isEmpty()) {
                throw new CompletionException(Refusal.cause(error));
              }
              if (error != null) {
                throw Refusal.notFound(
                    "no machine '" + agent.machine() + "' is known (see intercom_list_agents)");
              }
              if (!machine.projects().containsKey(agent.project())) {
                throw Refusal.notFound(
                    "machine "
                        + agent.machine()
                        + " has no project '"
                        + agent.project()
                        + "' (see intercom_list_agents)");
              }
              return null;
            });
  }

  CompletionStage<ApprovalGate.Admission> submit(ApprovalRequest request) {
    return AskPattern.ask(
        gate, r -> new ApprovalGate.Submit(request, r), timeout, system.scheduler());
  }

  /**
   * Message ids: 1-128 letters, digits, '-', '_', '.', ':' or '@' (a broadcast adds its target).
   */
  static void checkMessageId(String messageId) {
    if (messageId != null && !MESSAGE_ID.matcher(messageId).matches()) {
      throw new IllegalArgumentException(
          "message_id must be 1-128 letters, digits, '-', '_', '.', ':', '/' or '@'");
    }
  }

  private static final java.util.regex.Pattern MESSAGE_ID =
      java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,127}");

  void checkText(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("the message is empty");
    }
    long bytes = text.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > maxBytes) {
      throw new IllegalArgumentException(
          "the message has "
              + bytes
              + " bytes; the limit is "
              + maxBytes
              + " (intercom.messages.max-bytes): send a summary, or a path to a file");
    }
  }

  private static <T> CompletionStage<T> refused(String why) {
    return CompletableFuture.failedFuture(Refusal.invalid(why));
  }
}
