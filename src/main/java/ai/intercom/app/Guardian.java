package ai.intercom.app;

import ai.intercom.approval.ApprovalGate;
import ai.intercom.approval.Policy;
import ai.intercom.cluster.ClusterPeers;
import ai.intercom.cluster.HubWatch;
import ai.intercom.cluster.MachineServices;
import ai.intercom.config.Settings;
import ai.intercom.daemon.Discovery;
import ai.intercom.daemon.Inbox;
import ai.intercom.daemon.Mailbag;
import ai.intercom.daemon.ProjectScanner;
import ai.intercom.daemon.SessionDesk;
import ai.intercom.directory.Directory;
import ai.intercom.launcher.AgentSupervisor;
import ai.intercom.launcher.LostMachines;
import ai.intercom.launcher.MachineRuns;
import ai.intercom.launcher.SupervisorRuns;
import ai.intercom.mission.ChatThread;
import ai.intercom.mission.Courier;
import ai.intercom.mission.KeptMessages;
import ai.intercom.mission.Mission;
import ai.intercom.mission.MissionIds;
import ai.intercom.mission.PermissionPrompts;
import ai.intercom.mission.RecentMissions;
import ai.intercom.mission.Router;
import ai.intercom.mission.ThreadReceipts;
import ai.intercom.network.Admissions;
import ai.intercom.network.NodeCredentials;
import ai.intercom.network.RevokedCertificates;
import ai.intercom.protocol.NodeRole;
import ai.intercom.registry.Machine;
import ai.intercom.registry.MachineIndex;
import ai.intercom.registry.Session;
import ai.intercom.security.NodeKeys;
import ai.intercom.telegram.Operator;
import ai.intercom.telegram.TelegramBridge;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * What a node runs, by role: the sharded entities and the approval gate everywhere (hosted on hub
 * nodes, proxies elsewhere), and on a machine with agents (daemon, standalone) its session desk,
 * agent supervisor and project discovery; a daemon also watches for its hub. The actors are this
 * guardian's children; it hands their references to the node, which serves them over HTTP.
 */
final class Guardian {

  /** The actors and services the node's HTTP API and its tests reach. */
  record Started(
      ActorRef<ApprovalGate.Command> gate,
      Router router,
      PermissionPrompts permissions,
      Optional<ActorRef<SessionDesk.Command>> desk,
      Optional<ActorRef<AgentSupervisor.Command>> supervisor,
      Optional<Admissions> admissions,
      Optional<ActorRef<KeptMessages.Command>> kept) {}

  private Guardian() {}

  /**
   * {@code agentEnvironment}: what launched agents find in their environment (how to reach this
   * node), known once the HTTP API is bound.
   */
  static Behavior<Void> create(
      Settings settings,
      Policy policy,
      Optional<NodeCredentials.Authority> authority,
      Supplier<Map<String, String>> agentEnvironment,
      CompletableFuture<Started> started) {
    return Behaviors.setup(
        context -> {
          try {
            started.complete(start(context, settings, policy, authority, agentEnvironment));
          } catch (RuntimeException e) {
            started.completeExceptionally(e);
            throw e;
          }
          return Behaviors.empty();
        });
  }

  /**
   * The operator's Telegram bot, one for the cluster; off without a token, said once. It shows
   * machines that ask to join with buttons to decide.
   */
  private static void operatorsBot(
      ActorContext<Void> context,
      Settings settings,
      ActorRef<ApprovalGate.Command> gate,
      Router router,
      Optional<Admissions> admissions,
      AtomicReference<ActorRef<TelegramBridge.Command>> bridge) {
    var system = context.getSystem();
    if (!settings.telegram().enabled()) {
      context.getLog().info("Telegram off: no TELEGRAM_BOT_TOKEN (telegram.bot-token)");
      return;
    }
    bridge.set(
        TelegramBridge.init(
            system,
            settings.telegram(),
            new Operator.Services(
                system,
                gate,
                router,
                new Directory(system, settings.askTimeout()),
                new RecentMissions(
                    system,
                    settings.askTimeout(),
                    settings.journalUrl(),
                    settings.journal().user(),
                    settings.journal().password()),
                settings.askTimeout(),
                admissions)));
  }

  /** The hub's side of admitting machines; they join the cluster at this node's address. */
  private static Admissions admissions(
      ActorContext<Void> context,
      Settings settings,
      NodeCredentials.Authority authority,
      ActorRef<RevokedCertificates.Command> revoked,
      AtomicReference<ActorRef<TelegramBridge.Command>> bridge) {
    var self =
        org.apache.pekko.cluster.typed.Cluster.get(context.getSystem()).selfMember().address();
    return new Admissions(
        context.getSystem(),
        authority.ca(),
        authority.tokens(),
        new NodeKeys(settings.tlsDir()),
        List.of(self.getHost().orElse(settings.cluster().host()) + ":" + self.getPort().orElse(0)),
        settings.hub().joinExpireAfter(),
        settings.askTimeout(),
        revoked,
        pending -> {
          ActorRef<TelegramBridge.Command> to = bridge.get();
          if (to != null) {
            to.tell(
                new TelegramBridge.JoinAsked(
                    pending.machineId(), pending.displayName(), pending.description()));
          }
        });
  }

  private static Started start(
      ActorContext<Void> context,
      Settings settings,
      Policy policy,
      Optional<NodeCredentials.Authority> authority,
      Supplier<Map<String, String>> agentEnvironment) {
    var system = context.getSystem();
    NodeRole role = settings.mode();

    // every node: the entities (hosted where the journal is), the gate singleton, routing
    MachineServices<SessionDesk.Command> desks =
        new MachineServices<>(
            system, settings.askTimeout(), SessionDesk.Command.class, SessionDesk.KEY_PREFIX);
    Courier courier =
        new Courier(
            system,
            settings.askTimeout(),
            desks,
            new SupervisorRuns(system, settings.askTimeout()));
    ActorRef<ApprovalGate.Command> gate =
        ApprovalGate.init(
            system,
            new AtomicReference<>(policy),
            settings.policiesFile(),
            settings.approvalTimeout(),
            courier);
    Router router =
        new Router(system, gate, courier, settings.maxMessageBytes(), settings.askTimeout());
    // before anything can reach them: the desk and the supervisor talk to entities at once
    Machine.init(system);
    MachineIndex.init(system);
    Mission.init(system);
    MissionIds.init(system);
    ChatThread.init(system);
    Mailbag.init(system);
    Session.init(system);
    MachineRuns.init(system);
    PermissionPrompts permissions =
        new PermissionPrompts(system, gate, settings.askTimeout(), settings.approvalTimeout());

    ActorRef<RevokedCertificates.Command> revoked =
        context.spawn(
            RevokedCertificates.create(new NodeKeys(settings.tlsDir())), "revoked-certificates");
    if (role == NodeRole.DAEMON) {
      context.spawn(HubWatch.create(settings.cluster().hubLostAfter()), "hub-watch");
    }
    AtomicReference<ActorRef<TelegramBridge.Command>> bridge = new AtomicReference<>();
    Optional<Admissions> admissions =
        authority.map(a -> admissions(context, settings, a, revoked, bridge));
    if (role.clusterRoles().contains(NodeRole.HUB_ROLE)) {
      context.spawn(ClusterPeers.keeper(ClusterPeers.file(settings.dataDir())), "cluster-peers");
      LostMachines.init(system, desks, settings.askTimeout());
      operatorsBot(context, settings, gate, router, admissions, bridge);
    }
    if (!role.clusterRoles().contains(NodeRole.DAEMON_ROLE)) {
      return new Started(
          gate,
          router,
          permissions,
          Optional.empty(),
          Optional.empty(),
          admissions,
          Optional.empty());
    }

    // a machine with agents: its sessions, their agents' runs, its projects
    ActorRef<SessionDesk.Command> desk =
        context.spawn(
            SessionDesk.create(
                settings.inboxDir(),
                settings.machine().id(),
                settings.inbox().compactBytes(),
                settings.inbox().livenessInterval(),
                settings.inbox().stuckAfter(),
                SessionDesk::processAlive,
                new ThreadReceipts(system)),
            "session-desk",
            Inbox.DISPATCHER);
    ActorRef<AgentSupervisor.Command> supervisor =
        context.spawn(
            AgentSupervisor.create(
                new AgentSupervisor.Setup(
                    settings.machine().id(),
                    settings.agentLauncher(),
                    settings.logsDir(),
                    agentEnvironment,
                    settings.askTimeout(),
                    desks)),
            "agent-supervisor");
    context.spawn(
        Discovery.create(
            new Discovery.Identity(
                settings.machine().id(),
                settings.machine().displayName(),
                settings.machine().description()),
            new ProjectScanner(settings.discovery().detectBy(), settings.discovery().exclude()),
            scanRoots(settings.discovery()),
            desk,
            settings.askTimeout()),
        "discovery",
        Inbox.DISPATCHER);
    // a daemon keeps what its agents send while the hub does not answer (a hub has the entities)
    Optional<ActorRef<KeptMessages.Command>> kept =
        role == NodeRole.DAEMON
            ? Optional.of(
                context.spawn(
                    KeptMessages.create(settings.dataDir().resolve("kept-messages.jsonl"), router),
                    "kept-messages"))
            : Optional.empty();
    return new Started(
        gate, router, permissions, Optional.of(desk), Optional.of(supervisor), admissions, kept);
  }

  /** Where this machine's projects are looked for: the scan paths, else the usual places. */
  private static List<ProjectScanner.Root> scanRoots(Settings.Discovery discovery) {
    if (!discovery.enabled()) {
      return List.of();
    }
    return discovery.scanPaths().isEmpty()
        ? ProjectScanner.usualPlaces(discovery.userHome())
        : ProjectScanner.roots(discovery.scanPaths());
  }
}
