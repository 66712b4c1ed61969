package ai.intercom.app;

import ai.intercom.approval.ApprovalGate;
import ai.intercom.approval.Policy;
import ai.intercom.approval.PolicyFile;
import ai.intercom.cluster.ClusterPeers;
import ai.intercom.config.HostPort;
import ai.intercom.config.IntercomHome;
import ai.intercom.config.Settings;
import ai.intercom.config.StartupException;
import ai.intercom.daemon.SessionDesk;
import ai.intercom.directory.Directory;
import ai.intercom.http.ApiRoutes;
import ai.intercom.http.HttpServer;
import ai.intercom.launcher.AgentSupervisor;
import ai.intercom.mission.MissionEnds;
import ai.intercom.network.NodeCredentials;
import ai.intercom.persistence.PostgresJournalSchema;
import ai.intercom.persistence.SqliteJournalSchema;
import ai.intercom.protocol.NodeRole;
import ai.intercom.protocol.Refusal;
import ai.intercom.security.ClusterTls;
import ai.intercom.security.LocalToken;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ForkJoinPool;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Boots one node: its home, journal schema, local token, the actor system with its cluster roles,
 * the sharded entities and the HTTP API, then joins the cluster. Anything that fails on the way
 * stops the node with one clear reason.
 */
public final class Node {

  public static final String SYSTEM_NAME = "ai-intercom";
  static final Duration MISSION_ENDS_DELAY = Duration.ofSeconds(3);

  private static final Logger log = LoggerFactory.getLogger(Node.class);

  private final Settings settings;
  private final ActorSystem<Void> system;
  private final ActorRef<ApprovalGate.Command> approvalGate;
  private final Optional<ActorRef<SessionDesk.Command>> sessionDesk;
  private final CompletableFuture<InetSocketAddress> ready;

  private Node(
      Settings settings,
      ActorSystem<Void> system,
      ActorRef<ApprovalGate.Command> approvalGate,
      Optional<ActorRef<SessionDesk.Command>> sessionDesk,
      CompletableFuture<InetSocketAddress> ready) {
    this.settings = settings;
    this.system = system;
    this.approvalGate = approvalGate;
    this.sessionDesk = sessionDesk;
    this.ready = ready;
  }

  /**
   * Starts a node. Returns once the actor system runs; {@link #ready()} completes when the HTTP API
   * is bound and this node is Up in the cluster.
   *
   * @throws StartupException when the home, the journal, a port or the config is unusable
   */
  public static Node start(Settings settings, Config config) {
    IntercomHome.prepare(settings);
    IntercomHome.HomeLock lock = IntercomHome.lock(settings);
    try {
      return start(settings, config, lock);
    } catch (RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  private static Node start(Settings settings, Config config, IntercomHome.HomeLock lock) {
    if (ForkJoinPool.getCommonPoolParallelism() < 2) {
      log.warn(
          "the common pool has fewer than 2 threads: every asynchronous step starts a thread"
              + " (set -D{}=2 or more)",
          Main.COMMON_POOL_PARALLELISM);
    }
    NodeRole role = settings.mode();
    Policy policy = PolicyFile.packagedDefault();
    // the schema is created on another core while the actor system starts
    CompletableFuture<Void> schema = CompletableFuture.completedFuture(null);
    if (role.hostsEntities()) {
      policy = loadPolicy(settings);
      schema = CompletableFuture.runAsync(() -> createJournalSchema(settings));
    }
    Optional<NodeCredentials.Authority> authority;
    List<Address> seeds;
    LocalToken token;
    try {
      requireFree(settings.hub().listen(), "HTTP", "INTERCOM_HTTP_PORT or intercom.hub.listen");
      requireFree(
          new HostPort(settings.cluster().host(), settings.cluster().port()),
          "cluster",
          "INTERCOM_CLUSTER_PORT or intercom.cluster.port");
      authority = NodeCredentials.prepare(settings);
      seeds = seedNodes(settings);
      token = writeToken(settings);
    } catch (RuntimeException e) {
      // a start that fails here leaves nothing writing into the home behind it
      schema.handle((done, error) -> null).join();
      throw e;
    }

    CompletableFuture<InetSocketAddress> ready = new CompletableFuture<>();
    CompletableFuture<Guardian.Started> started = new CompletableFuture<>();
    ActorSystem<Void> system;
    try {
      system =
          ActorSystem.create(
              Guardian.create(
                  settings, policy, authority, () -> agentEnvironment(settings, ready), started),
              SYSTEM_NAME,
              nodeConfig(settings, config));
    } catch (RuntimeException e) {
      throw new StartupException("cannot start the actor system: " + Refusal.sentence(e), e);
    }
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "release-home",
            () -> {
              lock.close();
              return CompletableFuture.completedFuture(Done.getInstance());
            });
    try {
      schema.join();
    } catch (CompletionException e) {
      system.terminate();
      throw e.getCause() instanceof StartupException cause
          ? cause
          : new StartupException(Refusal.sentence(e), e);
    }
    // joining takes a few round trips: under way while the actors start
    join(system, seeds, ClusterPeers.file(settings.dataDir()));

    Guardian.Started actors;
    try {
      actors = started.join();
    } catch (CompletionException e) {
      system.terminate();
      throw new StartupException("cannot start the node's actors: " + Refusal.sentence(e), e);
    }
    actors.supervisor().ifPresent(agents -> interruptRunsOnStop(system, agents));
    ActorRef<ApprovalGate.Command> gate = actors.gate();
    Optional<ActorRef<SessionDesk.Command>> desk = actors.desk();

    CompletableFuture<Void> up = new CompletableFuture<>();
    // binding runs on the system's threads while the main thread starts sharding
    HttpServer.start(
            system,
            settings.hub().listen(),
            new ApiRoutes(
                    system,
                    settings,
                    token,
                    gate,
                    desk,
                    actors
                        .supervisor()
                        .map(
                            supervisor ->
                                () ->
                                    AskPattern.<AgentSupervisor.Command, Map<String, Long>>ask(
                                        supervisor,
                                        AgentSupervisor.RunningAgents::new,
                                        settings.askTimeout(),
                                        system.scheduler())),
                    actors.router(),
                    actors.permissions(),
                    new Directory(system, settings.askTimeout()),
                    actors.admissions(),
                    actors.kept())
                .route())
        .thenApply(ServerBinding::localAddress)
        .thenCombine(up, (address, ignored) -> address)
        .whenComplete(
            (address, error) -> {
              if (error == null) {
                ready.complete(address);
              } else {
                ready.completeExceptionally(
                    new StartupException(
                        "cannot serve HTTP on "
                            + settings.hub().listen()
                            + ": "
                            + Refusal.sentence(error),
                        error));
                system.terminate();
              }
            });
    if (role.hostsEntities()) {
      // reading the journal is not needed to serve: it waits until the start is over
      ready.thenRun(() -> followMissionEnds(system, gate));
    }
    system
        .getWhenTerminated()
        .thenRun(
            () ->
                ready.completeExceptionally(
                    new StartupException(
                        "the node stopped before it was up (see logs/intercom.log)")));
    // at once if this node is up already
    org.apache.pekko.cluster.Cluster.get(system.classicSystem())
        .registerOnMemberUp(() -> announce(system, settings, actors, up));

    return new Node(settings, system, gate, desk, ready);
  }

  /**
   * What launched agents find in their environment: how to reach this node, which mission they run.
   */
  private static Map<String, String> agentEnvironment(
      Settings settings, CompletableFuture<InetSocketAddress> ready) {
    Map<String, String> env = new HashMap<>();
    env.put("INTERCOM_HOME", settings.home().toString());
    env.put("INTERCOM_MACHINE_ID", settings.machine().id());
    InetSocketAddress bound = ready.getNow(null);
    env.put(
        "INTERCOM_HTTP_PORT",
        String.valueOf(bound == null ? settings.hub().listen().port() : bound.getPort()));
    return env;
  }

  /** While the entities still answer: the running missions say they were interrupted. */
  private static void interruptRunsOnStop(
      ActorSystem<?> system, ActorRef<AgentSupervisor.Command> agents) {
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeServiceUnbind(),
            "interrupt-agents",
            () ->
                AskPattern.<AgentSupervisor.Command, Done>ask(
                        agents,
                        AgentSupervisor.Shutdown::new,
                        Duration.ofSeconds(1),
                        system.scheduler())
                    .exceptionally(error -> Done.getInstance()));
  }

  private static void followMissionEnds(
      ActorSystem<?> system, ActorRef<ApprovalGate.Command> gate) {
    system
        .scheduler()
        .scheduleOnce(
            MISSION_ENDS_DELAY, () -> MissionEnds.follow(system, gate), system.executionContext());
  }

  /**
   * Once this node is Up: its machine's desk and supervisor are announced, and the node is up once
   * its desk can be found in the receptionist (this machine's agents can be reached).
   */
  private static void announce(
      ActorSystem<?> system,
      Settings settings,
      Guardian.Started actors,
      CompletableFuture<Void> up) {
    if (actors.desk().isEmpty()) {
      up.complete(null);
      return;
    }
    String machine = settings.machine().id();
    SessionDesk.announce(system, machine, actors.desk().get());
    actors.supervisor().ifPresent(s -> AgentSupervisor.announce(system, machine, s));
    ServiceKey<SessionDesk.Command> key = SessionDesk.keyFor(machine);
    ActorRef<Receptionist.Listing> listener =
        system.systemActorOf(
            Behaviors.receiveMessage(
                listing -> {
                  if (!listing.getServiceInstances(key).isEmpty()) {
                    up.complete(null);
                    return Behaviors.stopped();
                  }
                  return Behaviors.same();
                }),
            "desk-listed",
            Props.empty());
    system.receptionist().tell(Receptionist.subscribe(key, listener));
  }

  private static Policy loadPolicy(Settings settings) {
    try {
      return PolicyFile.load(settings.policiesFile());
    } catch (PolicyFile.InvalidPolicyException e) {
      throw new StartupException(e.getMessage(), e);
    }
  }

  private static LocalToken writeToken(Settings settings) {
    LocalToken token = LocalToken.generate();
    try {
      token.writeTo(settings.localTokenFile(), settings.agentsGroup());
      return token;
    } catch (IOException e) {
      throw new StartupException(
          "cannot write "
              + settings.localTokenFile()
              + ": "
              + IntercomHome.reason(e)
              + (settings.agentsGroup().isBlank()
                  ? ""
                  : " (intercom.security.agents-group = " + settings.agentsGroup() + ")"),
          e);
    }
  }

  /** The bound HTTP address, once the node is Up and serving. */
  public CompletionStage<InetSocketAddress> ready() {
    return ready;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public Settings settings() {
    return settings;
  }

  /** This machine's agent sessions; empty on hub-only nodes. */
  public Optional<ActorRef<SessionDesk.Command>> sessionDesk() {
    return sessionDesk;
  }

  /** The approval gate singleton (a proxy on daemon nodes). */
  public ActorRef<ApprovalGate.Command> approvalGate() {
    return approvalGate;
  }

  /** Leaves the cluster and stops, as on SIGTERM. */
  public CompletionStage<Done> stop() {
    return CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason());
  }

  private static void createJournalSchema(Settings settings) {
    Settings.Journal journal = settings.journal();
    try {
      if (journal.postgres()) {
        PostgresJournalSchema.ensure(journal.url(), journal.user(), journal.password());
      } else {
        SqliteJournalSchema.ensure(settings.journalFile());
      }
    } catch (SQLException e) {
      throw new StartupException(
          "cannot open the journal "
              + (journal.postgres() ? journal.url() : settings.journalFile())
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** Refuses early, with a clear line, a port that another process holds. */
  private static void requireFree(HostPort address, String what, String setting) {
    if (address.port() == 0) {
      return;
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(address.host(), address.port()));
    } catch (BindException e) {
      if (String.valueOf(e.getMessage()).contains("assign requested address")) {
        throw new StartupException(
            what
                + " address "
                + address
                + " is not an address of this machine"
                + " (check "
                + (what.equals("HTTP") ? "intercom.hub.listen" : "intercom.cluster.host")
                + "; is Tailscale up?)",
            e);
      }
      throw new StartupException(
          what
              + " address "
              + address
              + " is already in use (another node running? change "
              + setting
              + ")",
          e);
    } catch (IOException e) {
      throw new StartupException(
          "cannot listen on " + what + " address " + address + ": " + e.getMessage(), e);
    }
  }

  static Config nodeConfig(Settings settings, Config config) {
    List<String> roles = new ArrayList<>(settings.mode().clusterRoles());
    roles.add(NodeRole.machineRole(settings.machine().id()));
    Config node =
        ConfigFactory.empty()
            .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(roles))
            .withValue(
                "pekko.remote.artery.canonical.hostname",
                ConfigValueFactory.fromAnyRef(settings.cluster().host()))
            .withValue(
                "pekko.remote.artery.canonical.port",
                ConfigValueFactory.fromAnyRef(settings.cluster().port()));
    if (settings.journal().postgres()) {
      Settings.Journal journal = settings.journal();
      String db = "pekko-persistence-jdbc.shared-databases.intercom.";
      node =
          node.withValue(
                  db + "profile", ConfigValueFactory.fromAnyRef("slick.jdbc.PostgresProfile$"))
              .withValue(db + "db.url", ConfigValueFactory.fromAnyRef(journal.url()))
              .withValue(db + "db.user", ConfigValueFactory.fromAnyRef(journal.user()))
              .withValue(db + "db.password", ConfigValueFactory.fromAnyRef(journal.password()))
              .withValue(db + "db.driver", ConfigValueFactory.fromAnyRef("org.postgresql.Driver"))
              .withValue(db + "db.numThreads", ConfigValueFactory.fromAnyRef(4))
              .withValue(db + "db.maxConnections", ConfigValueFactory.fromAnyRef(4))
              .withValue(db + "db.minConnections", ConfigValueFactory.fromAnyRef(1));
    }
    if (settings.cluster().severalHubs()) {
      // keep-oldest keeps a side only with the oldest hub (two hubs: one lost, all lost); with
      // several hubs the side with most nodes stays, the hub that died is downed
      node =
          node.withValue(
              "pekko.cluster.split-brain-resolver.active-strategy",
              ConfigValueFactory.fromAnyRef("keep-majority"));
    }
    if (!settings.cluster().tls()) {
      log.warn(
          "intercom.cluster.tls is off: anyone who reaches port {} can join the cluster",
          settings.cluster().port());
      return node.withValue("pekko.remote.artery.transport", ConfigValueFactory.fromAnyRef("tcp"))
          .withFallback(config);
    }
    return node.withValue("pekko.remote.artery.transport", ConfigValueFactory.fromAnyRef("tls-tcp"))
        .withValue(
            "pekko.remote.artery.ssl.ssl-engine-provider",
            ConfigValueFactory.fromAnyRef(ClusterTls.class.getName()))
        .withValue(
            ClusterTls.DIR_SETTING, ConfigValueFactory.fromAnyRef(settings.tlsDir().toString()))
        .withFallback(config);
  }

  /**
   * Daemons join the hub; a hub or standalone node forms the cluster unless seeds are configured.
   */
  static List<Address> seedNodes(Settings settings) {
    List<HostPort> configured = settings.cluster().seedNodes();
    if (!configured.isEmpty()) {
      return configured.stream().map(Node::address).toList();
    }
    if (settings.mode() != NodeRole.DAEMON) {
      return List.of();
    }
    String hubUrl = settings.hub().url();
    if (hubUrl.isBlank()) {
      throw new StartupException(
          "a daemon needs the hub's address: set HUB_URL (e.g. http://100.64.0.1:7700) or intercom.cluster.seed-nodes");
    }
    String host;
    try {
      host = URI.create(hubUrl).getHost();
    } catch (IllegalArgumentException e) {
      host = null;
    }
    if (host == null) {
      throw new StartupException(
          "HUB_URL '" + hubUrl + "' is not a URL like http://100.64.0.1:7700");
    }
    return List.of(address(new HostPort(host, settings.hub().clusterPort())));
  }

  private static Address address(HostPort hostPort) {
    return new Address("pekko", SYSTEM_NAME, hostPort.host(), hostPort.port());
  }

  /**
   * Joins the seeds; without seeds (a hub), the cluster its daemons are still in when it had one
   * before (it restarted), else a new cluster of its own.
   */
  private static void join(ActorSystem<?> system, List<Address> seeds, Path peersFile) {
    Cluster cluster = Cluster.get(system);
    Address self = cluster.selfMember().address();
    List<Address> peers = seeds.isEmpty() ? ClusterPeers.read(peersFile, SYSTEM_NAME) : List.of();
    if (!peers.isEmpty()) {
      log.info("joining the cluster of its last run through {}, or forming one", peers);
      List<Address> withSelf = new ArrayList<>();
      withSelf.add(self);
      peers.stream().filter(peer -> !peer.equals(self)).forEach(withSelf::add);
      cluster.manager().tell(new JoinSeedNodes(withSelf));
    } else if (seeds.isEmpty()) {
      cluster.manager().tell(Join.create(self));
    } else {
      log.info("joining the cluster through {}", seeds);
      cluster.manager().tell(new JoinSeedNodes(seeds));
    }
  }
}
