package ai.intercom.approval;

import ai.intercom.approval.Grants.Pair;
import ai.intercom.protocol.JsonSerializable;
import ai.intercom.protocol.NodeRole;
import ai.intercom.protocol.Refusal;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.slf4j.Logger;

/**
 * The one gate every inter-agent message passes (a cluster singleton on hub nodes). It applies
 * runtime grants, then the first matching rule of the policy; what needs the operator waits here,
 * persisted, until someone decides or it expires. A decision is carried out by the {@link
 * Settlement} (approved or denied), and announced on the {@value #TOPIC} topic with every new
 * request, so that the CLI and the Telegram bridge decide through the same command.
 */
public final class ApprovalGate
    extends EventSourcedBehaviorWithEnforcedReplies<
        ApprovalGate.Command, ApprovalGate.Event, GateState> {

  public static final String TOPIC = "approvals";

  /** The journal tag of the requests and decisions, which the Telegram bridge mirrors. */
  public static final String TAG = "approval";

  /** Who decides when nobody did in time. */
  static final String EXPIRY = "expiry";

  static final int REMEMBERED_DECISIONS = 500;
  static final Duration RELEASE_RETRY = Duration.ofSeconds(5);

  /** A decision waits this many retries for a mission that does not exist (yet). */
  static final int MISSING_MISSION_TRIES = 12;

  public record PendingApproval(
      String id,
      ApprovalRequest request,
      String rule,
      ApprovalLevel level,
      Instant createdAt,
      Instant expiresAt)
      implements JsonSerializable {}

  /** A decision not yet settled (see {@link Settlement}); settled again after a crash. */
  public record Release(
      String approvalId, ApprovalRequest request, boolean approved, String by, String reason)
      implements JsonSerializable {
    public String missionId() {
      return request.missionId();
    }
  }

  /** How an approval ended, kept for a while to answer late deciders. */
  public record Outcome(String approvalId, String sentence) implements JsonSerializable {}

  public sealed interface Command extends JsonSerializable {}

  /** A message asks to pass. */
  public record Submit(ApprovalRequest request, ActorRef<Admission> replyTo) implements Command {}

  public sealed interface Admission extends JsonSerializable {}

  /** Deliver now; {@code reason} says which grant or rule let it through. */
  public record Passed(String reason) implements Admission {}

  /** Waits for the operator. */
  public record Held(PendingApproval approval) implements Admission {}

  public record Refused(String reason) implements Admission {}

  /**
   * An operator's decision. {@code grant} (approvals only) null = what the rule asked for. Answers
   * what happened, or an error when the approval is unknown or already decided.
   */
  public record Decide(
      String approvalId,
      boolean approve,
      GrantLevel grant,
      String by,
      String reason,
      ActorRef<StatusReply<Decision>> replyTo)
      implements Command {}

  public record Decision(String approvalId, String sentence, List<String> alsoReleased)
      implements JsonSerializable {}

  public record ListPending(ActorRef<PendingList> replyTo) implements Command {}

  public record PendingList(List<PendingApproval> approvals) implements JsonSerializable {}

  public record ShowPolicy(ActorRef<PolicyView> replyTo) implements Command {}

  /** Re-reads policies.yml; pending approvals and grants stay. */
  public record ReloadPolicy(ActorRef<StatusReply<PolicyView>> replyTo) implements Command {}

  /** The mission is over: its mission grant ends. */
  public record EndMission(String missionId) implements Command {}

  private record Expire(String approvalId) implements Command {}

  /** {@code attempt} counts the tries that found no mission yet (it may still be on its way). */
  private record Settle(Release release, int attempt) implements Command {}

  private record Settled(String approvalId) implements Command {}

  private record SettleFailed(Release release, int attempt, String error) implements Command {}

  private record PolicyRead(Policy policy, String error, ActorRef<StatusReply<PolicyView>> replyTo)
      implements Command {}

  public sealed interface Event extends JsonSerializable {}

  public record ApprovalHeld(PendingApproval approval) implements Event {}

  public record Decided(
      String approvalId, boolean approved, GrantLevel grant, String by, String reason, Instant at)
      implements Event {
    public String sentence() {
      if (EXPIRY.equals(by)) {
        return "expired: " + reason;
      }
      if (!approved) {
        return "denied by " + by + (reason == null || reason.isBlank() ? "" : ": " + reason);
      }
      return "approved by "
          + by
          + (grant == null || grant == GrantLevel.ONCE ? "" : " (" + grant.id() + ")");
    }
  }

  public record ReleaseConfirmed(String approvalId) implements Event {}

  public record MissionGrantEnded(String missionId) implements Event {}

  /** Announced on the {@value #TOPIC} topic. */
  public sealed interface Notice extends JsonSerializable {}

  public record ApprovalRequested(PendingApproval approval) implements Notice {}

  public record ApprovalDecided(String approvalId, boolean approved, String sentence)
      implements Notice {}

  private static final SecureRandom RANDOM = new SecureRandom();

  /** Starts the gate on hub nodes and returns a reference to it (a proxy elsewhere). */
  public static ActorRef<Command> init(
      ActorSystem<?> system,
      AtomicReference<Policy> policy,
      Path policyFile,
      Duration expiry,
      Settlement settlement) {
    return ClusterSingleton.get(system)
        .init(
            SingletonActor.of(create(policy, policyFile, expiry, settlement), "approval-gate")
                .withSettings(ClusterSingletonSettings.create(system).withRole(NodeRole.HUB_ROLE)));
  }

  /**
   * The gate, restarted on any failure. The announcement topic and the session grants live outside
   * the restarted part: a restart loses neither.
   */
  public static Behavior<Command> create(
      AtomicReference<Policy> policy, Path policyFile, Duration expiry, Settlement settlement) {
    return Behaviors.setup(
        outer -> {
          ActorRef<Topic.Command<Notice>> notices =
              outer.spawn(Topic.create(Notice.class, TOPIC), "notices");
          Set<Pair> sessionPairs = new HashSet<>();
          return Behaviors.supervise(
                  Behaviors.<Command>setup(
                      context ->
                          Behaviors.withTimers(
                              timers ->
                                  new ApprovalGate(
                                      context,
                                      timers,
                                      policy,
                                      policyFile,
                                      expiry,
                                      settlement,
                                      notices,
                                      sessionPairs))))
              .onFailure(SupervisorStrategy.restart().withStopChildren(false));
        });
  }

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final AtomicReference<Policy> policy;
  private final Path policyFile;
  private final Duration expiry;
  private final Settlement settlement;
  private final ActorRef<Topic.Command<Notice>> notices;

  /** Session grants last for this run of the hub only, so they are never persisted. */
  private final Set<Pair> sessionPairs;

  private ApprovalGate(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      AtomicReference<Policy> policy,
      Path policyFile,
      Duration expiry,
      Settlement settlement,
      ActorRef<Topic.Command<Notice>> notices,
      Set<Pair> sessionPairs) {
    super(
        PersistenceId.ofUniqueId("ApprovalGate"),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1)
            .withStopChildren(false));
    this.context = context;
    this.timers = timers;
    this.policy = policy;
    this.policyFile = policyFile;
    this.expiry = expiry;
    this.settlement = settlement;
    this.notices = notices;
    this.sessionPairs = sessionPairs;
  }

  private Logger log() {
    return context.getLog();
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return event instanceof ApprovalHeld || event instanceof Decided ? Set.of(TAG) : Set.of();
  }

  @Override
  public GateState emptyState() {
    return GateState.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(200, 2);
  }

  @Override
  public SignalHandler<GateState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        .build();
  }

  /** Restarts the expiry clocks and re-sends decisions their missions have not confirmed. */
  private void onRecovered(GateState state) {
    Instant now = Instant.now();
    for (PendingApproval approval : state.pending().values()) {
      Duration left = Duration.between(now, approval.expiresAt());
      timers.startSingleTimer(
          approval.id(), new Expire(approval.id()), left.isNegative() ? Duration.ZERO : left);
    }
    state.releasing().values().forEach(release -> context.getSelf().tell(new Settle(release, 0)));
    if (!state.pending().isEmpty()) {
      log().info("{} approvals still pending after restart", state.pending().size());
    }
  }

  @Override
  public CommandHandlerWithReply<Command, Event, GateState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Submit.class, this::onSubmit)
        .onCommand(Decide.class, this::onDecide)
        .onCommand(Expire.class, this::onExpire)
        .onCommand(Settle.class, this::onSettle)
        .onCommand(Settled.class, this::onSettled)
        .onCommand(SettleFailed.class, this::onSettleFailed)
        .onCommand(ListPending.class, this::onList)
        .onCommand(
            ShowPolicy.class,
            (state, cmd) -> Effect().reply(cmd.replyTo(), view(policy.get(), state)))
        .onCommand(ReloadPolicy.class, this::onReload)
        .onCommand(PolicyRead.class, this::onPolicyRead)
        .onCommand(EndMission.class, this::onEndMission)
        .build();
  }

  private ReplyEffect<Event, GateState> onSubmit(GateState state, Submit cmd) {
    ApprovalRequest request = cmd.request();
    if (request == null
        || request.from() == null
        || request.to() == null
        || request.type() == null) {
      return Effect()
          .reply(
              cmd.replyTo(),
              new Refused("a message needs its sender, receiver and type to pass the gate"));
    }
    if (request.missionId() == null || request.missionId().isBlank()) {
      return Effect()
          .reply(cmd.replyTo(), new Refused("a message needs its mission id to pass the gate"));
    }
    // the same request again (a retry, a replay after a crash) waits as the one already held
    var same =
        state.pending().values().stream().filter(p -> p.request().equals(request)).findFirst();
    if (same.isPresent()) {
      return Effect().reply(cmd.replyTo(), new Held(same.get()));
    }
    Policy.Verdict verdict = policy.get().decide(request, state.grants(sessionPairs));
    if (verdict instanceof Policy.Verdict.Pass pass) {
      return Effect().reply(cmd.replyTo(), new Passed(pass.reason()));
    }
    Policy.Match match = ((Policy.Verdict.Hold) verdict).match();
    Instant now = Instant.now();
    PendingApproval approval =
        new PendingApproval(
            newId(state), request, match.rule(), match.level(), now, now.plus(expiry));
    return Effect()
        .persist(new ApprovalHeld(approval))
        .thenRun(
            s -> {
              timers.startSingleTimer(approval.id(), new Expire(approval.id()), expiry);
              notices.tell(Topic.publish(new ApprovalRequested(approval)));
            })
        .thenReply(cmd.replyTo(), s -> new Held(approval));
  }

  private ReplyEffect<Event, GateState> onDecide(GateState state, Decide cmd) {
    PendingApproval approval = state.pending().get(cmd.approvalId());
    if (approval == null) {
      var outcome = state.outcomeOf(cmd.approvalId());
      String why =
          outcome
              .map(
                  o ->
                      "approval "
                          + cmd.approvalId()
                          + " was already "
                          + o.sentence()
                          + "; your decision came too late")
              .orElse("no pending approval " + cmd.approvalId() + " (see 'ai-intercom approvals')");
      return Refusal.reply(
          Effect(),
          outcome.isPresent() ? Refusal.Code.CONFLICT : Refusal.Code.NOT_FOUND,
          cmd.replyTo(),
          why);
    }
    GrantLevel grant =
        cmd.approve()
            ? (cmd.grant() != null ? cmd.grant() : GrantLevel.defaultFor(approval.level()))
            : null;
    Instant now = Instant.now();
    Decided decided = new Decided(approval.id(), cmd.approve(), grant, cmd.by(), cmd.reason(), now);
    List<Decided> events = new ArrayList<>(List.of(decided));
    Pair pair = new Pair(approval.request().from(), approval.request().to());
    Grants after = grantsAfter(state, approval, grant, pair);
    if (cmd.approve() && grant != GrantLevel.ONCE) {
      // what the new grant covers need not wait any longer
      state.pending().values().stream()
          .filter(other -> !other.id().equals(approval.id()))
          .filter(other -> after.covering(other.request()).isPresent())
          .sorted(Comparator.comparing(PendingApproval::createdAt))
          .forEach(
              other ->
                  events.add(
                      new Decided(
                          other.id(),
                          true,
                          GrantLevel.ONCE,
                          cmd.by(),
                          "covered by the grant of " + approval.id(),
                          now)));
    }
    List<String> alsoReleased = events.stream().skip(1).map(Decided::approvalId).toList();
    return Effect()
        .persist(List.<Event>copyOf(events))
        .thenRun(
            s -> {
              if (grant == GrantLevel.SESSION) {
                sessionPairs.add(pair);
              }
              events.forEach(e -> announceAndSettle(e, s));
            })
        .thenReply(
            cmd.replyTo(),
            s ->
                StatusReply.success(new Decision(approval.id(), decided.sentence(), alsoReleased)));
  }

  private Grants grantsAfter(
      GateState state, PendingApproval approval, GrantLevel grant, Pair pair) {
    Grants grants = state.grants(sessionPairs);
    if (grant == GrantLevel.MISSION) {
      return grants.withMission(approval.request().missionId());
    }
    if (grant == GrantLevel.SESSION) {
      return grants.withSessionPair(pair);
    }
    if (grant == GrantLevel.ALWAYS) {
      return grants.withAlwaysPair(pair);
    }
    return grants;
  }

  private ReplyEffect<Event, GateState> onExpire(GateState state, Expire cmd) {
    PendingApproval approval = state.pending().get(cmd.approvalId());
    if (approval == null) {
      return Effect().noReply();
    }
    long seconds = Duration.between(approval.createdAt(), approval.expiresAt()).toSeconds();
    Decided expired =
        new Decided(
            approval.id(),
            false,
            null,
            EXPIRY,
            "no decision within " + seconds + " s",
            Instant.now());
    return Effect().persist(expired).thenRun(s -> announceAndSettle(expired, s)).thenNoReply();
  }

  private void announceAndSettle(Decided decided, GateState state) {
    timers.cancel(decided.approvalId());
    notices.tell(
        Topic.publish(
            new ApprovalDecided(decided.approvalId(), decided.approved(), decided.sentence())));
    Release release = state.releasing().get(decided.approvalId());
    if (release != null) {
      context.getSelf().tell(new Settle(release, 0));
    }
  }

  /** Carries a decision out (see {@link Settlement}); retried until it is done. */
  private ReplyEffect<Event, GateState> onSettle(GateState state, Settle cmd) {
    Release release = cmd.release();
    if (!state.releasing().containsKey(release.approvalId())) {
      return Effect().noReply();
    }
    context.pipeToSelf(
        settlement.settle(release),
        (ok, error) -> {
          if (error == null) {
            return new Settled(release.approvalId());
          }
          Throwable cause = Refusal.cause(error);
          // a mission or thread that does not exist yet may still come: waited for a while
          boolean missing = Refusal.is(cause, Refusal.Code.NOT_FOUND);
          if (cause instanceof Refusal && !(missing && cmd.attempt() < MISSING_MISSION_TRIES)) {
            log()
                .warn(
                    "approval {} ({}): not carried out on mission {}: {}",
                    release.approvalId(),
                    release.approved() ? "approved" : "denied",
                    release.missionId(),
                    cause.getMessage());
            return new Settled(release.approvalId());
          }
          return new SettleFailed(
              release,
              missing ? cmd.attempt() + 1 : cmd.attempt(),
              cause instanceof TimeoutException ? "timeout" : cause.getMessage());
        });
    return Effect().noReply();
  }

  private ReplyEffect<Event, GateState> onSettleFailed(GateState state, SettleFailed cmd) {
    Release release = cmd.release();
    log()
        .warn(
            "approval {}: mission {} not settled yet ({}), trying again in {}",
            release.approvalId(),
            release.missionId(),
            cmd.error(),
            RELEASE_RETRY);
    timers.startSingleTimer(
        "settle-" + release.approvalId(), new Settle(release, cmd.attempt()), RELEASE_RETRY);
    return Effect().noReply();
  }

  private ReplyEffect<Event, GateState> onSettled(GateState state, Settled cmd) {
    if (!state.releasing().containsKey(cmd.approvalId())) {
      return Effect().noReply();
    }
    return Effect().persist(new ReleaseConfirmed(cmd.approvalId())).thenNoReply();
  }

  private ReplyEffect<Event, GateState> onList(GateState state, ListPending cmd) {
    List<PendingApproval> approvals =
        state.pending().values().stream()
            .sorted(Comparator.comparing(PendingApproval::createdAt))
            .toList();
    return Effect().reply(cmd.replyTo(), new PendingList(approvals));
  }

  /**
   * Reads the file off the actor's thread; the gate keeps its old policy if the new one is broken.
   */
  private ReplyEffect<Event, GateState> onReload(GateState state, ReloadPolicy cmd) {
    var blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    context.pipeToSelf(
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return PolicyFile.load(policyFile);
              } catch (PolicyFile.InvalidPolicyException e) {
                throw new IllegalArgumentException(e.getMessage());
              }
            },
            blocking),
        (loaded, error) ->
            new PolicyRead(loaded, error == null ? null : Refusal.sentence(error), cmd.replyTo()));
    return Effect().noReply();
  }

  private ReplyEffect<Event, GateState> onPolicyRead(GateState state, PolicyRead cmd) {
    if (cmd.error() != null) {
      return Effect()
          .reply(
              cmd.replyTo(),
              StatusReply.error(
                  Refusal.invalid(cmd.error() + " (the previous policy stays in force)")));
    }
    policy.set(cmd.policy());
    log()
        .info(
            "policy reloaded from {}: {} rules, default {}",
            cmd.policy().source(),
            cmd.policy().rules().size(),
            cmd.policy().defaultLevel().id());
    return Effect().reply(cmd.replyTo(), StatusReply.success(view(cmd.policy(), state)));
  }

  private ReplyEffect<Event, GateState> onEndMission(GateState state, EndMission cmd) {
    if (!state.missionGrants().contains(cmd.missionId())) {
      return Effect().noReply();
    }
    return Effect().persist(new MissionGrantEnded(cmd.missionId())).thenNoReply();
  }

  private PolicyView view(Policy current, GateState state) {
    return PolicyView.of(current, state.grants(sessionPairs));
  }

  private static String newId(GateState state) {
    byte[] bytes = new byte[3];
    String id;
    do {
      RANDOM.nextBytes(bytes);
      id = "a-" + HexFormat.of().formatHex(bytes);
    } while (state.pending().containsKey(id) || state.outcomeOf(id).isPresent());
    return id;
  }

  @Override
  public EventHandler<GateState, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(ApprovalHeld.class, (state, e) -> state.held(e.approval()))
        .onEvent(Decided.class, GateState::decided)
        .onEvent(ReleaseConfirmed.class, (state, e) -> state.released(e.approvalId()))
        .onEvent(MissionGrantEnded.class, (state, e) -> state.missionEnded(e.missionId()))
        .build();
  }
}
