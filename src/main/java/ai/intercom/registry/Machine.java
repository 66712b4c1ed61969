package ai.intercom.registry;

import static ai.intercom.protocol.Refusal.describe;

import ai.intercom.protocol.JsonSerializable;
import ai.intercom.protocol.NodeRole;
import ai.intercom.protocol.Refusal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
 * A machine of the network: whether it was admitted (join state and the hash of its token), how it
 * presents itself, its projects and when it was last seen. Id: the machine id.
 */
public final class Machine
    extends EventSourcedBehaviorWithEnforcedReplies<Machine.Command, Machine.Event, Machine.State> {

  /** Feedback kept per machine, newest last. */
  static final int KEPT_FEEDBACK = 200;

  /** Last-seen is persisted at most this often; heartbeats in between only answer. */
  static final Duration SEEN_RESOLUTION = Duration.ofSeconds(30);

  public enum JoinStatus {
    UNKNOWN,
    PENDING,
    APPROVED,
    DENIED,
    REVOKED
  }

  public record State(
      String machineId,
      JoinStatus joinStatus,
      String tokenHash,
      String displayName,
      String description,
      Map<String, Project> projects,
      Instant lastSeen,
      String reason,
      List<Feedback> feedback,
      Admission admission)
      implements JsonSerializable {

    public State {
      projects = Map.copyOf(projects);
      feedback = feedback == null ? List.of() : List.copyOf(feedback);
    }

    State(
        String machineId,
        JoinStatus joinStatus,
        String tokenHash,
        String displayName,
        String description,
        Map<String, Project> projects,
        Instant lastSeen,
        String reason) {
      this(
          machineId,
          joinStatus,
          tokenHash,
          displayName,
          description,
          projects,
          lastSeen,
          reason,
          List.of(),
          null);
    }

    static State empty(String machineId) {
      return new State(machineId, JoinStatus.UNKNOWN, null, machineId, "", Map.of(), null, null);
    }

    State feedbackReported(FeedbackReported e) {
      List<Feedback> all = new ArrayList<>(feedback);
      all.add(e.feedback());
      if (all.size() > KEPT_FEEDBACK) {
        all = all.subList(all.size() - KEPT_FEEDBACK, all.size());
      }
      return new State(
          machineId,
          joinStatus,
          tokenHash,
          displayName,
          description,
          projects,
          lastSeen,
          reason,
          all,
          admission);
    }

    public boolean isMember() {
      return joinStatus == JoinStatus.APPROVED;
    }

    State joinRequested(JoinRequested e) {
      return new State(
          machineId,
          JoinStatus.PENDING,
          null,
          e.displayName(),
          e.description(),
          projects,
          e.at(),
          null,
          feedback,
          new Admission(e.certificateRequest(), e.claimHash(), e.at(), null, null));
    }

    State joinDecided(JoinStatus status, String hash, String why, Admission decided) {
      return new State(
          machineId,
          status,
          hash,
          displayName,
          description,
          projects,
          lastSeen,
          why,
          feedback,
          decided);
    }

    /** The certificate serial the machine was admitted with; null if it never was. */
    public String serial() {
      return admission == null ? null : admission.serial();
    }

    /**
     * Discovery gives names and paths; a profile set by an agent (intercom_register) is kept, and
     * so are projects that agents registered outside the scan paths.
     */
    State registered(Registered e) {
      Map<String, Project> merged = new TreeMap<>();
      projects.values().stream()
          .filter(p -> p.path().isBlank())
          .forEach(p -> merged.put(p.name(), p));
      for (Project found : e.projects()) {
        Project known = projects.get(found.name());
        merged.put(found.name(), known == null ? found : mergeProfile(found, known));
      }
      return new State(
          machineId,
          JoinStatus.APPROVED,
          tokenHash,
          e.displayName(),
          e.description(),
          merged,
          e.at(),
          reason,
          feedback,
          admission);
    }

    State projectUpdated(ProjectUpdated e) {
      Map<String, Project> all = new TreeMap<>(projects);
      all.put(e.project().name(), e.project());
      return new State(
          machineId,
          joinStatus,
          tokenHash,
          displayName,
          description,
          all,
          lastSeen,
          reason,
          feedback,
          admission);
    }

    State seen(Seen e) {
      return new State(
          machineId,
          joinStatus,
          tokenHash,
          displayName,
          description,
          projects,
          e.at(),
          reason,
          feedback,
          admission);
    }

    private static Project mergeProfile(Project found, Project known) {
      return found.withProfile(
          found.description().isBlank() ? known.description() : found.description(),
          found.capabilities().isEmpty() ? known.capabilities() : found.capabilities(),
          found.tags().isEmpty() ? known.tags() : found.tags());
    }
  }

  public sealed interface Command extends JsonSerializable {
    ActorRef<StatusReply<State>> replyTo();
  }

  /**
   * How a machine asked to be admitted and what it was given: its certificate request (PEM), the
   * hash of the secret it will show to collect its answer, when it asked, and once admitted its
   * certificate (PEM) and that certificate's serial.
   */
  public record Admission(
      String certificateRequest,
      String claimHash,
      Instant requestedAt,
      String certificate,
      String serial)
      implements JsonSerializable {

    Admission issued(String certificate, String serial) {
      return new Admission(certificateRequest, claimHash, requestedAt, certificate, serial);
    }
  }

  /**
   * A new machine asks to be admitted (ai-intercom join). A request again with the same claim
   * answers the pending one; another claim while one is pending is refused.
   */
  public record RequestJoin(
      String displayName,
      String description,
      String certificateRequest,
      String claimHash,
      ActorRef<StatusReply<State>> replyTo)
      implements Command {}

  /**
   * The operator admitted it: the certificate the hub issued and its serial; the hub keeps only the
   * hash of the token.
   */
  public record ApproveJoin(
      String tokenHash, String certificate, String serial, ActorRef<StatusReply<State>> replyTo)
      implements Command {}

  public record DenyJoin(String reason, ActorRef<StatusReply<State>> replyTo) implements Command {}

  public record Revoke(String reason, ActorRef<StatusReply<State>> replyTo) implements Command {}

  /**
   * A cluster member announces itself and the projects it found. A machine already inside the
   * cluster is a member; a denied or revoked one is not.
   */
  public record Register(
      String displayName,
      String description,
      List<Project> projects,
      ActorRef<StatusReply<State>> replyTo)
      implements Command {}

  /** An agent describes its project (intercom_register); null fields are left as they were. */
  public record UpdateProject(
      String project,
      String description,
      List<String> capabilities,
      List<String> tags,
      ActorRef<StatusReply<State>> replyTo)
      implements Command {}

  /** An agent of this machine reports what worked or did not (intercom_report_feedback). */
  public record ReportFeedback(Feedback feedback, ActorRef<StatusReply<State>> replyTo)
      implements Command {}

  /** Heartbeat. */
  public record Touch(ActorRef<StatusReply<State>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<State>> replyTo) implements Command {}

  public sealed interface Event extends JsonSerializable {}

  public record JoinRequested(
      String displayName,
      String description,
      String certificateRequest,
      String claimHash,
      Instant at)
      implements Event {}

  public record JoinApproved(String tokenHash, String certificate, String serial, Instant at)
      implements Event {}

  public record JoinDenied(String reason, Instant at) implements Event {}

  public record Revoked(String reason, Instant at) implements Event {}

  public record Registered(
      String displayName, String description, List<Project> projects, Instant at)
      implements Event {}

  public record ProjectUpdated(Project project, Instant at) implements Event {}

  public record Seen(Instant at) implements Event {}

  public record FeedbackReported(Feedback feedback) implements Event {}

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "Machine");

  public static final String TAG = "machine";

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId())).withRole(NodeRole.HUB_ROLE));
  }

  public static Behavior<Command> create(String machineId) {
    return new Machine(machineId);
  }

  private final String machineId;

  private Machine(String machineId) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), machineId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.machineId = machineId;
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
    return State.empty(machineId);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder =
        newCommandHandlerWithReplyBuilder();
    builder
        .forState(s -> s.joinStatus() != JoinStatus.APPROVED)
        .onCommand(RequestJoin.class, this::onRequestJoin);
    builder
        .forState(s -> s.joinStatus() == JoinStatus.PENDING)
        .onCommand(ApproveJoin.class, this::onApproveJoin)
        .onCommand(DenyJoin.class, this::onDenyJoin);
    builder
        .forState(s -> s.joinStatus() == JoinStatus.UNKNOWN || s.isMember())
        .onCommand(Register.class, this::onRegister);
    builder
        .forState(State::isMember)
        .onCommand(Revoke.class, this::onRevoke)
        .onCommand(UpdateProject.class, this::onUpdateProject)
        .onCommand(
            ReportFeedback.class,
            (state, cmd) -> persistAndReply(new FeedbackReported(cmd.feedback()), cmd))
        .onCommand(Touch.class, this::onTouch);
    builder
        .forState(s -> s.joinStatus() != JoinStatus.UNKNOWN)
        .onCommand(
            Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.success(state)));
    builder.forAnyState().onAnyCommand(this::onRefused);
    return builder.build();
  }

  private ReplyEffect<Event, State> onRequestJoin(State state, RequestJoin cmd) {
    if (state.joinStatus() == JoinStatus.PENDING
        && state.admission() != null
        && cmd.claimHash().equals(state.admission().claimHash())) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(state));
    }
    return persistAndReply(
        new JoinRequested(
            cmd.displayName(),
            cmd.description(),
            cmd.certificateRequest(),
            cmd.claimHash(),
            Instant.now()),
        cmd);
  }

  private ReplyEffect<Event, State> onApproveJoin(State state, ApproveJoin cmd) {
    return persistAndReply(
        new JoinApproved(cmd.tokenHash(), cmd.certificate(), cmd.serial(), Instant.now()), cmd);
  }

  private ReplyEffect<Event, State> onDenyJoin(State state, DenyJoin cmd) {
    return persistAndReply(new JoinDenied(cmd.reason(), Instant.now()), cmd);
  }

  private ReplyEffect<Event, State> onRevoke(State state, Revoke cmd) {
    return persistAndReply(new Revoked(cmd.reason(), Instant.now()), cmd);
  }

  private ReplyEffect<Event, State> onRegister(State state, Register cmd) {
    return persistAndReply(
        new Registered(
            cmd.displayName(), cmd.description(), List.copyOf(cmd.projects()), Instant.now()),
        cmd);
  }

  private ReplyEffect<Event, State> onUpdateProject(State state, UpdateProject cmd) {
    Project known = state.projects().get(cmd.project());
    Project base = known != null ? known : new Project(cmd.project(), "", "", List.of(), List.of());
    Project updated = base.withProfile(cmd.description(), cmd.capabilities(), cmd.tags());
    return persistAndReply(new ProjectUpdated(updated, Instant.now()), cmd);
  }

  private ReplyEffect<Event, State> onTouch(State state, Touch cmd) {
    Instant now = Instant.now();
    if (state.lastSeen() != null && state.lastSeen().plus(SEEN_RESOLUTION).isAfter(now)) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(state));
    }
    return persistAndReply(new Seen(now), cmd);
  }

  private ReplyEffect<Event, State> onRefused(State state, Command cmd) {
    String why =
        state.joinStatus() == JoinStatus.UNKNOWN
            ? "no machine " + machineId
            : "machine "
                + machineId
                + " is "
                + state.joinStatus().name().toLowerCase()
                + ": cannot "
                + describe(cmd);
    return Refusal.reply(
        Effect(),
        state.joinStatus() == JoinStatus.UNKNOWN ? Refusal.Code.NOT_FOUND : Refusal.Code.CONFLICT,
        cmd.replyTo(),
        why);
  }

  private ReplyEffect<Event, State> persistAndReply(Event event, Command cmd) {
    return Effect().persist(event).thenReply(cmd.replyTo(), StatusReply::success);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(JoinRequested.class, State::joinRequested)
        .onEvent(
            JoinApproved.class,
            (s, e) ->
                s.joinDecided(
                    JoinStatus.APPROVED,
                    e.tokenHash(),
                    null,
                    s.admission() == null
                        ? new Admission(null, null, e.at(), e.certificate(), e.serial())
                        : s.admission().issued(e.certificate(), e.serial())))
        .onEvent(
            JoinDenied.class,
            (s, e) -> s.joinDecided(JoinStatus.DENIED, null, e.reason(), s.admission()))
        .onEvent(
            Revoked.class,
            (s, e) -> s.joinDecided(JoinStatus.REVOKED, null, e.reason(), s.admission()))
        .onEvent(Registered.class, State::registered)
        .onEvent(ProjectUpdated.class, State::projectUpdated)
        .onEvent(Seen.class, State::seen)
        .onEvent(FeedbackReported.class, State::feedbackReported)
        .build();
  }
}
