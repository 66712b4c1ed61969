package ai.intercom.daemon;

import ai.intercom.cluster.MachineServices;
import ai.intercom.protocol.AgentId;
import ai.intercom.protocol.DeliveryStatus;
import ai.intercom.protocol.JsonSerializable;
import ai.intercom.protocol.Refusal;
import ai.intercom.registry.Machine;
import ai.intercom.registry.Session;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongPredicate;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/**
 * The agent sessions of this machine: registers them (with their inbox and the links that let a
 * hook find its session from its ancestor processes), notices when an agent's process is gone, and
 * puts letters for a project into the right inbox, or into the project's queue while it has no
 * session.
 *
 * <p>Files under {@code inbox/}: {@code SESSION.jsonl|.cursor|.pending} (see {@link InboxFiles}),
 * {@code queued/PROJECT.*} and {@code pid/PID} (a process of a session's ancestry, holding the
 * session id).
 *
 * <p>The bookkeeping is in {@link LiveSessions}, {@link ProjectRouting} and {@link PidLinks}; this
 * actor owns the inboxes and answers the messages.
 */
public final class SessionDesk extends AbstractBehavior<SessionDesk.Command> {

  /**
   * {@code missionId}: set for the session of an agent launched for that mission (it works
   * headless).
   */
  public record LocalSession(
      String sessionId,
      String project,
      long pid,
      List<Long> ancestors,
      Instant registeredAt,
      String missionId,
      Session.Status status,
      Instant activeAt,
      Instant endedAt)
      implements JsonSerializable {
    public LocalSession {
      ancestors = List.copyOf(ancestors);
      status = status == null ? Session.Status.ACTIVE : status;
    }

    public LocalSession(
        String sessionId,
        String project,
        long pid,
        List<Long> ancestors,
        Instant registeredAt,
        String missionId) {
      this(sessionId, project, pid, ancestors, registeredAt, missionId, null, null, null);
    }

    /** As its hooks last said ({@code activeAt}: when). */
    LocalSession with(SessionActivity activity) {
      return new LocalSession(
          sessionId,
          project,
          pid,
          ancestors,
          registeredAt,
          missionId,
          activity.status(),
          activity.at(),
          endedAt);
    }

    LocalSession ended(Instant at) {
      return new LocalSession(
          sessionId,
          project,
          pid,
          ancestors,
          registeredAt,
          missionId,
          Session.Status.GONE,
          activeAt,
          at);
    }
  }

  public sealed interface Command extends JsonSerializable {}

  /**
   * An MCP server announces its session; {@code ancestors} are its parent processes, nearest first.
   */
  public record Register(
      String sessionId,
      String project,
      long pid,
      List<Long> ancestors,
      String missionId,
      ActorRef<StatusReply<LocalSession>> replyTo)
      implements Command {}

  public record Unregister(String sessionId, String reason, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  public record FindInbox(String sessionId, ActorRef<StatusReply<ActorRef<Inbox.Command>>> replyTo)
      implements Command {}

  public record ListSessions(ActorRef<List<LocalSession>> replyTo) implements Command {}

  /** The live session with this id, for the node to know who is writing. */
  public record FindSession(String sessionId, ActorRef<StatusReply<LocalSession>> replyTo)
      implements Command {}

  /**
   * Succeeds when letters for {@code project} can be kept here (a known project of this machine).
   */
  public record Accepts(String project, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** What this machine offers: its projects and live sessions. */
  public record GetRoster(ActorRef<Roster> replyTo) implements Command {}

  /**
   * {@code sessions}: the live ones with their state; {@code ended}: those gone lately, with when.
   */
  public record Roster(
      String machineId,
      List<String> projects,
      List<LocalSession> sessions,
      List<LocalSession> ended)
      implements JsonSerializable {
    public Roster {
      projects = List.copyOf(projects);
      sessions = List.copyOf(sessions);
      ended = ended == null ? List.of() : List.copyOf(ended);
    }
  }

  /** Sessions gone lately that a roster still shows: at most this many, for {@link #ENDED_FOR}. */
  static final int ENDED_KEPT = 50;

  static final Duration ENDED_FOR = Duration.ofHours(1);

  /** The projects of this machine as the registry holds them (discovered and registered). */
  public record KnowProjects(Collection<String> projects) implements Command {
    public KnowProjects {
      projects = List.copyOf(projects);
    }
  }

  /**
   * A letter for an agent of this machine: to {@code preferredSession} if it is live, else to the
   * project's newest session, else into the project's queue.
   */
  public record DeliverToProject(
      String project, Letter letter, String preferredSession, ActorRef<Delivery> replyTo)
      implements Command {}

  /** {@code status} is {@code delivered} (to {@code sessionId}) or {@code queued}. */
  public record Delivery(DeliveryStatus status, String sessionId) implements JsonSerializable {}

  private enum CheckLiveness implements Command {
    INSTANCE
  }

  /** Time to ask the hub's mailbag for letters kept while this machine was away. */
  private enum CollectMail implements Command {
    INSTANCE
  }

  private record MailCollected(Mailbag.Collected collected, boolean ok) implements Command {}

  private record ParcelStored(String letterId, boolean ok) implements Command {}

  private record MailHanded(boolean ok) implements Command {}

  private record Surrendered(String project, List<Letter> letters) implements Command {}

  /** A project's queue handed to a session; its registration is answered once they are in. */
  private record Handed(
      LocalSession session,
      ActorRef<Inbox.Command> inbox,
      List<Letter> letters,
      ActorRef<StatusReply<LocalSession>> replyTo)
      implements Command {}

  private record Stored(Delivery delivery, boolean ok, ActorRef<Delivery> replyTo)
      implements Command {}

  /** Every machine's desk, for the directory. */
  public static final ServiceKey<Command> ALL = ServiceKey.create(Command.class, "session-desks");

  /**
   * Makes the desk findable by other nodes; call once this node is Up (earlier entries can be
   * lost).
   */
  public static void announce(ActorSystem<?> system, String machineId, ActorRef<Command> desk) {
    system.receptionist().tell(Receptionist.register(ALL, desk));
    system.receptionist().tell(Receptionist.register(keyFor(machineId), desk));
  }

  public static final String KEY_PREFIX = "session-desk-";

  /** The desk of one machine, for delivery. */
  public static ServiceKey<Command> keyFor(String machineId) {
    return MachineServices.key(Command.class, KEY_PREFIX, machineId);
  }

  public static Behavior<Command> create(
      Path inboxDir,
      String machineId,
      long compactBytes,
      Duration livenessInterval,
      LongPredicate alive) {
    return create(
        inboxDir,
        machineId,
        compactBytes,
        livenessInterval,
        DEFAULT_STUCK_AFTER,
        alive,
        Receipts.NONE);
  }

  /** Working sessions count as stuck after this long without a hook (intercom.sessions). */
  public static final Duration DEFAULT_STUCK_AFTER = Duration.ofMinutes(10);

  /**
   * {@code stuckAfter}: how long a working session may go without a hook before it counts as stuck;
   * {@code receipts}: where the inboxes report how far their letters got.
   */
  public static Behavior<Command> create(
      Path inboxDir,
      String machineId,
      long compactBytes,
      Duration livenessInterval,
      Duration stuckAfter,
      LongPredicate alive,
      Receipts receipts) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(CheckLiveness.INSTANCE, livenessInterval);
                  // at once (a restarted machine gets what waited for it), then now and then
                  timers.startTimerWithFixedDelay(
                      CollectMail.INSTANCE, Duration.ZERO, livenessInterval);
                  return new SessionDesk(
                      context, inboxDir, machineId, compactBytes, stuckAfter, alive, receipts);
                }));
  }

  /** Whether a process runs. */
  public static boolean processAlive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Written when the desk starts, in the inbox folder (see check-inbox-hook.sh). */
  static final String STARTED_FILE = "desk.started";

  private final Path inboxDir;
  private final Path queueDir;
  private final String machineId;
  private final long compactBytes;
  private final LongPredicate alive;
  private final Receipts receipts;
  private final Duration stuckAfter;
  private final LiveSessions sessions = new LiveSessions();
  private final ProjectRouting routing;
  private final PidLinks pidLinks;
  private final Map<String, ActorRef<Inbox.Command>> queues = new HashMap<>();

  /** Sessions gone lately, newest last (see {@link Roster#ended()}). */
  private final java.util.LinkedHashMap<String, LocalSession> ended =
      new java.util.LinkedHashMap<>();

  /** The state last told to each session's registry entity. */
  private final Map<String, Session.Status> told = new HashMap<>();

  private long inboxes;

  /** A mailbag collection under way: its batch, the letters stored so far and how many wait. */
  private Mailbag.Collected collecting;

  /** The mailbag said a letter came in while a collection ran. */
  private boolean collectAgain;

  private final Set<String> storedMail = new java.util.HashSet<>();
  private int mailInFlight;

  private SessionDesk(
      ActorContext<Command> context,
      Path inboxDir,
      String machineId,
      long compactBytes,
      Duration stuckAfter,
      LongPredicate alive,
      Receipts receipts) {
    super(context);
    this.receipts = receipts;
    this.stuckAfter = stuckAfter;
    this.inboxDir = inboxDir;
    this.queueDir = inboxDir.resolve("queued");
    this.machineId = machineId;
    this.compactBytes = compactBytes;
    this.alive = alive;
    try {
      Files.createDirectories(queueDir);
      // hooks compare it with their session's process link: older means this desk has not met
      // the session yet (the node restarted), and the hook registers it again
      Files.writeString(inboxDir.resolve(STARTED_FILE), java.time.Instant.now().toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.routing = new ProjectRouting(machineId, queueDir);
    this.pidLinks = new PidLinks(inboxDir.resolve("pid"), context.getLog());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Register.class, this::onRegister)
        .onMessage(Unregister.class, this::onUnregister)
        .onMessage(FindInbox.class, this::onFindInbox)
        .onMessage(ListSessions.class, this::onList)
        .onMessage(FindSession.class, this::onFindSession)
        .onMessage(Accepts.class, this::onAccepts)
        .onMessage(GetRoster.class, this::onGetRoster)
        .onMessage(KnowProjects.class, this::onKnowProjects)
        .onMessage(DeliverToProject.class, this::onDeliverToProject)
        .onMessage(Surrendered.class, this::onSurrendered)
        .onMessage(Handed.class, this::onHanded)
        .onMessage(Stored.class, this::onStored)
        .onMessageEquals(CheckLiveness.INSTANCE, this::onCheckLiveness)
        .onMessageEquals(CollectMail.INSTANCE, this::onCollectMail)
        .onMessage(MailCollected.class, this::onMailCollected)
        .onMessage(ParcelStored.class, this::onParcelStored)
        .onMessage(MailHanded.class, this::onMailHanded)
        .build();
  }

  private Behavior<Command> onRegister(Register cmd) {
    Optional<Refusal> refusal = LiveSessions.refusal(cmd, alive);
    if (refusal.isPresent()) {
      cmd.replyTo().tell(StatusReply.error(refusal.get()));
      return this;
    }
    LiveSessions.Live known = sessions.get(cmd.sessionId());
    ActorRef<Inbox.Command> inbox =
        known != null ? known.inbox() : spawnInbox(cmd.sessionId(), cmd.project());
    LocalSession session =
        new LocalSession(
            cmd.sessionId(),
            cmd.project(),
            cmd.pid(),
            cmd.ancestors(),
            Instant.now(),
            cmd.missionId());
    sessions.put(session, inbox);
    SessionActivity.begin(inboxDir, cmd.sessionId());
    ended.remove(cmd.sessionId());
    told.remove(cmd.sessionId());
    pidLinks.link(session);
    ClusterSharding sharding = ClusterSharding.get(getContext().getSystem());
    sharding
        .entityRefFor(Session.ENTITY_KEY, cmd.sessionId())
        .tell(
            new Session.Register(
                machineId, cmd.project(), cmd.pid(), getContext().getSystem().ignoreRef()));
    if (routing.know(cmd.project())) {
      // a project outside the scan paths becomes known to the directory through its first session
      sharding
          .entityRefFor(Machine.ENTITY_KEY, machineId)
          .tell(
              new Machine.UpdateProject(
                  cmd.project(), null, null, null, getContext().getSystem().ignoreRef()));
    }
    getContext()
        .getLog()
        .info(
            "session {} of project {} registered (pid {})",
            cmd.sessionId(),
            cmd.project(),
            cmd.pid());
    // what waited for the project is in the session's inbox before it hears it is registered,
    // so that its first check (a resumed session's first hook) finds it
    if (!takeOverQueue(session, inbox, cmd.replyTo())) {
      cmd.replyTo().tell(StatusReply.success(session));
    }
    return this;
  }

  private Behavior<Command> onUnregister(Unregister cmd) {
    if (!sessions.contains(cmd.sessionId())) {
      cmd.replyTo()
          .tell(
              StatusReply.error(
                  new Refusal(
                      Refusal.Code.NO_SESSION,
                      "no session " + cmd.sessionId() + " on this machine")));
      return this;
    }
    end(cmd.sessionId(), cmd.reason());
    cmd.replyTo().tell(StatusReply.ack());
    return this;
  }

  private Behavior<Command> onFindInbox(FindInbox cmd) {
    cmd.replyTo().tell(sessions.find(cmd.sessionId(), LiveSessions.Live::inbox));
    return this;
  }

  private Behavior<Command> onList(ListSessions cmd) {
    cmd.replyTo().tell(current());
    return this;
  }

  private Behavior<Command> onFindSession(FindSession cmd) {
    cmd.replyTo().tell(sessions.find(cmd.sessionId(), live -> current(live.session())));
    return this;
  }

  /** The live sessions with their state now, oldest registration first. */
  private List<LocalSession> current() {
    return sessions.byRegistration().stream().map(this::current).toList();
  }

  private LocalSession current(LocalSession session) {
    return session.with(
        SessionActivity.read(
            SessionActivity.fileOf(inboxDir, session.sessionId()), Instant.now(), stuckAfter));
  }

  /** The sessions gone lately (older ones are forgotten). */
  private List<LocalSession> ended() {
    Instant since = Instant.now().minus(ENDED_FOR);
    ended.values().removeIf(session -> session.endedAt().isBefore(since));
    return List.copyOf(ended.values());
  }

  private Behavior<Command> onAccepts(Accepts cmd) {
    cmd.replyTo().tell(routing.accepts(cmd.project()));
    return this;
  }

  private Behavior<Command> onGetRoster(GetRoster cmd) {
    cmd.replyTo().tell(new Roster(machineId, routing.projects(), current(), ended()));
    return this;
  }

  private Behavior<Command> onKnowProjects(KnowProjects cmd) {
    routing.knowAll(cmd.projects());
    return this;
  }

  private Behavior<Command> onDeliverToProject(DeliverToProject cmd) {
    if (!AgentId.isValidPart(cmd.project())) {
      cmd.replyTo().tell(new Delivery(DeliveryStatus.FAILED, null));
      return this;
    }
    Optional<LiveSessions.Live> target =
        ProjectRouting.target(
            sessions,
            cmd.project(),
            cmd.preferredSession(),
            live -> current(live.session()).status() == Session.Status.STUCK);
    Delivery delivery =
        target
            .map(live -> new Delivery(DeliveryStatus.DELIVERED, live.session().sessionId()))
            .orElse(new Delivery(DeliveryStatus.QUEUED, null));
    ActorRef<Inbox.Command> inbox =
        target.map(LiveSessions.Live::inbox).orElseGet(() -> queueOf(cmd.project()));
    // answered once the letter is on disk
    getContext()
        .ask(
            Done.class,
            inbox,
            Duration.ofSeconds(10),
            r -> new Inbox.Deliver(cmd.letter(), r),
            (done, error) -> new Stored(delivery, error == null, cmd.replyTo()));
    return this;
  }

  private Behavior<Command> onStored(Stored cmd) {
    cmd.replyTo().tell(cmd.ok() ? cmd.delivery() : new Delivery(DeliveryStatus.FAILED, null));
    return this;
  }

  /** A dead session's undelivered letters go to another session of its project, or to its queue. */
  private Behavior<Command> onSurrendered(Surrendered cmd) {
    for (Letter letter : cmd.letters()) {
      getContext()
          .getSelf()
          .tell(
              new DeliverToProject(
                  cmd.project(), letter, null, getContext().getSystem().ignoreRef()));
    }
    return this;
  }

  private Behavior<Command> onHanded(Handed cmd) {
    cmd.letters()
        .forEach(
            letter ->
                cmd.inbox().tell(new Inbox.Deliver(letter, getContext().getSystem().ignoreRef())));
    if (!cmd.letters().isEmpty()) {
      getContext()
          .getLog()
          .info(
              "{} queued letters handed to session {}",
              cmd.letters().size(),
              cmd.session().sessionId());
    }
    cmd.replyTo().tell(StatusReply.success(cmd.session()));
    return this;
  }

  private Behavior<Command> onCheckLiveness() {
    sessions
        .gone(alive)
        .forEach(
            session -> end(session.sessionId(), "agent process " + session.pid() + " is gone"));
    // the registry learns each change of state (the hooks only touch files)
    for (LocalSession session : current()) {
      if (session.status() != told.getOrDefault(session.sessionId(), Session.Status.ACTIVE)) {
        told.put(session.sessionId(), session.status());
        ClusterSharding.get(getContext().getSystem())
            .entityRefFor(Session.ENTITY_KEY, session.sessionId())
            .tell(
                new Session.UpdateStatus(
                    session.status(), null, null, getContext().getSystem().ignoreRef()));
      }
    }
    return this;
  }

  private Behavior<Command> onCollectMail() {
    if (collecting != null) {
      // a letter came in while a collection runs: another one after it
      collectAgain = true;
      return this;
    }
    collectAgain = false;
    collecting = new Mailbag.Collected(List.of(), 0);
    ActorRef<Mailbag.Waiting> collector =
        getContext().messageAdapter(Mailbag.Waiting.class, waiting -> CollectMail.INSTANCE);
    getContext()
        .pipeToSelf(
            mailbag()
                .<Mailbag.Collected>ask(
                    r -> new Mailbag.Collect(r, collector), Duration.ofSeconds(10)),
            (collected, error) -> new MailCollected(collected, error == null));
    return this;
  }

  private Behavior<Command> onMailCollected(MailCollected cmd) {
    if (!cmd.ok() || cmd.collected().parcels().isEmpty()) {
      // the hub is away, or nothing waits: the next tick asks again
      return collected(false);
    }
    collecting = cmd.collected();
    storedMail.clear();
    mailInFlight = collecting.parcels().size();
    getContext()
        .getLog()
        .info(
            "{} letters kept on the hub while this machine was away: delivering them",
            mailInFlight);
    for (Mailbag.Parcel parcel : collecting.parcels()) {
      getContext()
          .ask(
              Delivery.class,
              getContext().getSelf(),
              Duration.ofSeconds(10),
              r ->
                  new DeliverToProject(
                      parcel.project(), parcel.letter(), parcel.preferredSession(), r),
              (delivery, error) ->
                  new ParcelStored(
                      parcel.letter().letterId(),
                      error == null && delivery.status() != DeliveryStatus.FAILED));
    }
    return this;
  }

  private Behavior<Command> onParcelStored(ParcelStored cmd) {
    if (cmd.ok()) {
      storedMail.add(cmd.letterId());
    }
    if (--mailInFlight > 0) {
      return this;
    }
    if (storedMail.isEmpty()) {
      return collected(false);
    }
    Set<String> handed = Set.copyOf(storedMail);
    getContext()
        .pipeToSelf(
            mailbag()
                .<Done>askWithStatus(r -> new Mailbag.Handed(handed, r), Duration.ofSeconds(10)),
            (done, error) -> new MailHanded(error == null));
    return this;
  }

  private Behavior<Command> onMailHanded(MailHanded cmd) {
    return collected(cmd.ok() && collecting.left() > 0);
  }

  /** A collection is over; the next one at once when more waits or a letter came in meanwhile. */
  private Behavior<Command> collected(boolean more) {
    collecting = null;
    if (more || collectAgain) {
      getContext().getSelf().tell(CollectMail.INSTANCE);
    }
    return this;
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<Mailbag.Command> mailbag() {
    return ClusterSharding.get(getContext().getSystem())
        .entityRefFor(Mailbag.ENTITY_KEY, machineId);
  }

  private void end(String sessionId, String reason) {
    LiveSessions.Live live = sessions.remove(sessionId);
    pidLinks.unlink(live.session());
    told.remove(sessionId);
    ended.remove(sessionId);
    ended.put(sessionId, current(live.session()).ended(Instant.now()));
    SessionActivity.end(inboxDir, sessionId);
    if (ended.size() > ENDED_KEPT) {
      ended.remove(ended.keySet().iterator().next());
    }
    getContext()
        .ask(
            Inbox.Handover.class,
            live.inbox(),
            Duration.ofSeconds(10),
            Inbox.Surrender::new,
            (handover, error) ->
                new Surrendered(
                    live.session().project(), handover == null ? List.of() : handover.letters()));
    ClusterSharding.get(getContext().getSystem())
        .entityRefFor(Session.ENTITY_KEY, sessionId)
        .tell(new Session.Unregister(reason, getContext().getSystem().ignoreRef()));
    getContext().getLog().info("session {} ended: {}", sessionId, reason);
  }

  /** Whether the project had a queue: then {@code replyTo} is answered once it is handed over. */
  private boolean takeOverQueue(
      LocalSession session,
      ActorRef<Inbox.Command> inbox,
      ActorRef<StatusReply<LocalSession>> replyTo) {
    String project = session.project();
    if (!queues.containsKey(project) && !routing.hasQueuedFile(project)) {
      return false;
    }
    ActorRef<Inbox.Command> queue = queueOf(project);
    queues.remove(project);
    getContext()
        .ask(
            Inbox.Handover.class,
            queue,
            Duration.ofSeconds(10),
            Inbox.Surrender::new,
            (handover, error) ->
                new Handed(
                    session, inbox, handover == null ? List.of() : handover.letters(), replyTo));
    return true;
  }

  private ActorRef<Inbox.Command> spawnInbox(String sessionId, String project) {
    return getContext()
        .spawn(
            Inbox.create(
                inboxDir,
                sessionId,
                compactBytes,
                new Inbox.Owner(machineId + "/" + project, sessionId, receipts)),
            // numbered: the inbox of a session that just ended may still be stopping when the
            // same session comes back (claude --resume)
            "inbox-" + sessionId + "-" + (++inboxes),
            Inbox.DISPATCHER);
  }

  private ActorRef<Inbox.Command> queueOf(String project) {
    return queues.computeIfAbsent(
        project,
        p ->
            getContext()
                .spawnAnonymous(
                    Inbox.create(
                        queueDir,
                        p,
                        compactBytes,
                        new Inbox.Owner(machineId + "/" + p, null, receipts)),
                    Inbox.DISPATCHER));
  }
}
