package ai.intercom.mission;

import ai.intercom.approval.ApprovalGate;
import ai.intercom.approval.ApprovalRequest;
import ai.intercom.approval.MessageType;
import ai.intercom.approval.Settlement;
import ai.intercom.cluster.MachineServices;
import ai.intercom.daemon.Letter;
import ai.intercom.daemon.Mailbag;
import ai.intercom.daemon.SessionDesk;
import ai.intercom.protocol.AgentId;
import ai.intercom.protocol.DeliveryState;
import ai.intercom.protocol.DeliveryStatus;
import ai.intercom.protocol.Ids;
import ai.intercom.protocol.Refusal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Carries chat messages to the machines of their recipients (their session desks, found through the
 * receptionist), and carries out the gate's decisions on held messages: deliver them, or tell their
 * sender they were denied.
 */
public final class Courier implements Settlement {

  /**
   * A desk stores a letter in milliseconds; one that has not answered in this time is taken as gone
   * (a node killed but not yet seen unreachable) and the letter kept in the mailbag, where a copy
   * the desk did store is recognised.
   */
  static final Duration DESK_ANSWERS_WITHIN = Duration.ofSeconds(2);

  /** The author of notes about one's own messages. */
  static final String INTERCOM = "intercom";

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Duration timeout;
  private final MachineServices<SessionDesk.Command> desks;
  private final Runs runs;
  private final ThreadReceipts receipts;

  /**
   * {@code desks}: where the machines' session desks are (shared with the node's other users of
   * them); {@code runs}: where approved missions run.
   */
  public Courier(
      ActorSystem<?> system,
      Duration timeout,
      MachineServices<SessionDesk.Command> desks,
      Runs runs) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
    this.desks = desks;
    this.runs = runs;
    this.receipts = new ThreadReceipts(system);
  }

  /** The session desk of a machine, if its node is in the cluster. */
  CompletionStage<Optional<ActorRef<SessionDesk.Command>>> deskOf(String machineId) {
    return desks.of(machineId);
  }

  /**
   * Puts the message into the inbox of each recipient (or its project's queue); answers how it went
   * for the first one. Fails when a recipient's machine is not in the cluster.
   */
  CompletionStage<SessionDesk.Delivery> deliver(ChatThread.Posted posted) {
    ChatThread.Message message = posted.message();
    Letter letter =
        new Letter(
            posted.threadId() + ":" + message.seq(),
            posted.threadId(),
            posted.missionId(),
            message.from(),
            message.text(),
            message.at());
    List<CompletableFuture<SessionDesk.Delivery>> deliveries =
        posted.recipients().stream()
            .filter(recipient -> !recipient.agent().equals(AgentId.HUMAN.toString()))
            .map(
                recipient ->
                    deliver(AgentId.parse(recipient.agent()), recipient.session(), letter)
                        .toCompletableFuture())
            .toList();
    if (deliveries.isEmpty()) {
      return CompletableFuture.completedFuture(
          new SessionDesk.Delivery(DeliveryStatus.DELIVERED, null));
    }
    return CompletableFuture.allOf(deliveries.toArray(CompletableFuture[]::new))
        .thenApply(all -> deliveries.get(0).join());
  }

  /**
   * Into the machine's desk; when its node is not in the cluster, or does not answer, into the
   * machine's mailbag on the hub, which the desk empties when it is back ({@code queued}).
   */
  private CompletionStage<SessionDesk.Delivery> deliver(AgentId to, String session, Letter letter) {
    return desks
        .of(to.machine())
        .thenCompose(
            desk -> {
              if (desk.isEmpty()) {
                return keep(to, session, letter);
              }
              CompletableFuture<SessionDesk.Delivery> stored =
                  AskPattern.<SessionDesk.Command, SessionDesk.Delivery>ask(
                          desk.get(),
                          r -> new SessionDesk.DeliverToProject(to.project(), letter, session, r),
                          timeout.compareTo(DESK_ANSWERS_WITHIN) < 0
                              ? timeout
                              : DESK_ANSWERS_WITHIN,
                          system.scheduler())
                      .toCompletableFuture();
              return stored
                  .thenApply(
                      delivery -> {
                        if (delivery.status() == DeliveryStatus.FAILED) {
                          throw new IllegalStateException(
                              "machine " + to.machine() + " could not store the message");
                        }
                        return delivery;
                      })
                  .exceptionallyCompose(
                      error ->
                          error instanceof CompletionException failure
                                  && failure.getCause() instanceof IllegalStateException
                              ? CompletableFuture.failedFuture(error)
                              // no answer: kept for it (a copy it did store is recognised there)
                              : keep(to, session, letter));
            });
  }

  /** Keeps a letter for a machine that is away; its receipt says {@code queued}. */
  private CompletionStage<SessionDesk.Delivery> keep(AgentId to, String session, Letter letter) {
    return sharding
        .entityRefFor(Mailbag.ENTITY_KEY, to.machine())
        .<Done>askWithStatus(
            r ->
                new Mailbag.Keep(
                    new Mailbag.Parcel(to.project(), letter, session, Instant.now()), r),
            timeout)
        .thenApply(
            done -> {
              receipts.report(letter.letterId(), to.toString(), DeliveryState.QUEUED, null, null);
              return new SessionDesk.Delivery(DeliveryStatus.QUEUED, null);
            });
  }

  /**
   * Hands a mission to the agent supervisor of {@code machine}; completes once it is in that
   * machine's ledger. Fails when the machine is not in the cluster.
   */
  CompletionStage<Done> launch(
      String machine, String missionId, String followUp, String followUpKey) {
    return runs.launch(machine, missionId, followUp, followUpKey);
  }

  /** Ends the run of a stopped mission, if its machine has one (an offline machine has none). */
  CompletionStage<Done> stopRun(Mission.Summary mission, String by) {
    if (!mission.kind().launchesAgent()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    return runs.stop(AgentId.parse(mission.to()).machine(), mission.missionId(), by);
  }

  /**
   * A follow-up that passed the gate: into the mission's transcript, then to its agent. {@code key}
   * makes it count once however often it is carried out.
   */
  CompletionStage<Done> continueMission(String from, String missionId, String text, String key) {
    return sharding
        .entityRefFor(Mission.ENTITY_KEY, missionId)
        .<Mission.Summary>askWithStatus(r -> new Mission.FollowUp(from, text, key, r), timeout)
        .thenCompose(state -> launch(AgentId.parse(state.to()).machine(), missionId, text, key));
  }

  @Override
  public CompletionStage<Done> settle(ApprovalGate.Release release) {
    ApprovalRequest request = release.request();
    String threadId = request.threadId();
    if (request.type() == MessageType.PERMISSION) {
      // the agent that asked waits for the gate's decision itself (see PermissionPrompts)
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    if (threadId != null && Ids.isMissionId(threadId)) {
      return release.approved()
          ? continueMission(request.from(), threadId, request.message(), release.approvalId())
          : tellDenied(request, release);
    }
    if (threadId == null) {
      if (!request.type().launchesAgent()) {
        return onMission(release);
      }
      return settleMission(release)
          .thenCompose(
              done ->
                  release.approved()
                      ? launch(
                          AgentId.parse(request.to()).machine(), request.missionId(), null, null)
                      : CompletableFuture.completedFuture(done));
    }
    long seq = release.request().seq();
    return sharding
        .entityRefFor(ChatThread.ENTITY_KEY, threadId)
        .<ChatThread.Posted>askWithStatus(
            r -> new ChatThread.Release(seq, release.approved(), release.by(), release.reason(), r),
            timeout)
        .thenCompose(
            posted ->
                seq == 1
                    ? settleMission(release).thenApply(done -> posted)
                    : CompletableFuture.completedFuture(posted))
        .thenCompose(
            posted -> {
              if (posted.message().denied() != null) {
                return tellSender(posted);
              }
              var mission = sharding.entityRefFor(Mission.ENTITY_KEY, posted.missionId());
              if (seq == 1) {
                mission.tell(new Mission.Start(system.ignoreRef()));
              }
              return deliver(posted)
                  .thenApply(
                      delivery -> {
                        if (seq == 1 && release.request().type() == MessageType.SEND) {
                          String result =
                              Router.describe(
                                  delivery.status().wire(),
                                  release.request().to(),
                                  delivery.sessionId());
                          mission.tell(
                              new Mission.Complete(result, null, null, null, system.ignoreRef()));
                        }
                        return Done.getInstance();
                      });
            });
  }

  /**
   * A mission that took the decision before (this is a retry) is fine; one that does not exist yet
   * is not.
   */
  private CompletionStage<Done> settleMission(ApprovalGate.Release release) {
    return onMission(release)
        .handle(
            (done, error) -> {
              if (error == null
                  || (Refusal.of(error).isPresent()
                      && !Refusal.is(error, Refusal.Code.NOT_FOUND))) {
                return Done.getInstance();
              }
              throw error instanceof CompletionException failure
                  ? failure
                  : new CompletionException(error);
            });
  }

  /** The sender of a follow-up learns, in its inbox, that the operator stopped it. */
  private CompletionStage<Done> tellDenied(ApprovalRequest request, ApprovalGate.Release release) {
    if (AgentId.HUMAN.toString().equals(request.from())) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    Letter note =
        new Letter(
            release.approvalId() + ":denied",
            request.missionId(),
            request.missionId(),
            INTERCOM,
            "Your follow-up to mission "
                + request.missionId()
                + " was not delivered: "
                + (release.reason() == null || release.reason().isBlank()
                    ? "denied by " + release.by()
                    : release.reason())
                + ".",
            Instant.now());
    return deliver(AgentId.parse(request.from()), null, note)
        .thenApply(delivery -> Done.getInstance());
  }

  /** The sender learns, in its own inbox, that the operator stopped its message. */
  private CompletionStage<Done> tellSender(ChatThread.Posted posted) {
    ChatThread.Message message = posted.message();
    String to =
        posted.recipients().stream()
            .map(ChatThread.Recipient::agent)
            .reduce((a, b) -> a + ", " + b)
            .orElse("");
    Letter note =
        new Letter(
            posted.threadId() + ":" + message.seq() + ":denied",
            posted.threadId(),
            posted.missionId(),
            INTERCOM,
            "Your message #"
                + message.seq()
                + " to "
                + to
                + " was not delivered: "
                + message.denied()
                + ".",
            Instant.now());
    return deliver(AgentId.parse(message.from()), message.session(), note)
        .thenApply(delivery -> Done.getInstance());
  }

  /** Approves or denies the mission of a release. */
  private CompletionStage<Done> onMission(ApprovalGate.Release release) {
    return sharding
        .entityRefFor(Mission.ENTITY_KEY, release.missionId())
        .<Mission.Summary>askWithStatus(
            replyTo ->
                release.approved()
                    ? new Mission.Approve(release.by(), replyTo)
                    : new Mission.Deny(release.by(), release.reason(), replyTo),
            timeout)
        .thenApply(state -> Done.getInstance());
  }
}
