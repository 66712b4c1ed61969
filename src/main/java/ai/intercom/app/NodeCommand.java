package ai.intercom.app;

import ai.intercom.client.NodeClient;
import ai.intercom.cluster.HubWatch;
import ai.intercom.config.ConfigLoader;
import ai.intercom.config.IntercomHome;
import ai.intercom.config.Settings;
import ai.intercom.config.StartupException;
import ai.intercom.config.Version;
import ai.intercom.protocol.NodeRole;
import ai.intercom.protocol.Refusal;
import com.typesafe.config.Config;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ai-intercom standalone|hub|daemon}: runs a node in the foreground until Ctrl-C or SIGTERM.
 */
@Command(mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class)
final class NodeCommand implements Callable<Integer> {

  /** Not a static field: logging is set up on the warm-up thread, in parallel with the start. */
  private static Logger log() {
    return LoggerFactory.getLogger(NodeCommand.class);
  }

  static final int RESTART_ATTEMPTS = 30;

  private final NodeRole role;

  @Option(
      names = "--exit-when-ready",
      description =
          "Start, wait until the node is up, check that its API answers, then shut down"
              + " (a start-up check; exit code 0 when all is well).")
  boolean exitWhenReady;

  NodeCommand(NodeRole role) {
    this.role = role;
  }

  /**
   * The command for exactly {@code standalone|hub|daemon [--exit-when-ready]}, else null (then
   * picocli parses, with help and errors).
   */
  static NodeCommand parseExact(String[] args) {
    if (args.length == 0
        || args.length > 2
        || (args.length == 2 && !args[1].equals("--exit-when-ready"))) {
      return null;
    }
    for (NodeRole role : NodeRole.values()) {
      if (role.id().equals(args[0])) {
        NodeCommand command = new NodeCommand(role);
        command.exitWhenReady = args.length == 2;
        return command;
      }
    }
    return null;
  }

  static String[] describe(NodeRole role) {
    String what =
        switch (role) {
          case STANDALONE ->
              "Runs hub and daemon in one node (SQLite journal): the default set-up.";
          case HUB -> "Runs a hub node: entities, approval gate, Telegram bridge.";
          case DAEMON -> "Runs a daemon node for this machine's agents; joins the hub at HUB_URL.";
        };
    return new String[] {what, "Stays in the foreground until Ctrl-C or SIGTERM."};
  }

  @Override
  public Integer call() throws Exception {
    StartupWarmup.start(role);
    ConfigLoader loader = ConfigLoader.fromEnvironment();
    Config config = loader.load(Map.of("intercom.mode", role.id()));
    Settings settings = Settings.from(config);
    IntercomHome.prepare(settings);
    LogFile.attach(settings.logsDir());

    boolean first = true;
    while (true) {
      Node node = first ? Node.start(settings, config) : restart(settings, config);
      InetSocketAddress http;
      try {
        http = node.ready().toCompletableFuture().get();
      } catch (ExecutionException e) {
        node.system().terminate();
        node.system().getWhenTerminated().toCompletableFuture().join();
        if (stoppedBySignal(node)) {
          return 0;
        }
        if (role == NodeRole.DAEMON && cutOff(node)) {
          log().warn("cut off from the hub before joining it; starting again");
          first = false;
          continue;
        }
        throw unwrap(e);
      }
      if (first) {
        System.out.printf(
            "ai-intercom %s: %s node '%s' is up on http://%s:%d (cluster %s, home %s)%n",
            Version.current(),
            role.id(),
            settings.machine().id(),
            http.getHostString(),
            http.getPort(),
            node.system().address().hostPort(),
            settings.home());
        System.out.flush();
      } else {
        log().info("joined the cluster again");
      }
      first = false;
      if (exitWhenReady) {
        try {
          checkApi(settings, http.getPort());
        } finally {
          node.stop().toCompletableFuture().join();
        }
        return 0;
      }
      awaitEnd(node);
      if (!cutOff(node)) {
        return 0;
      }
      Optional<CoordinatedShutdown.Reason> reason =
          CoordinatedShutdown.get(node.system()).getShutdownReason();
      if (role != NodeRole.DAEMON) {
        throw new StartupException(
            "the cluster removed this node (" + reason.orElseThrow() + "); start it again");
      }
      log().warn("cut off from the hub ({}); starting again to join it", reason.orElseThrow());
    }
  }

  /** Whether the node stopped because the hub was lost or the cluster downed it. */
  private static boolean cutOff(Node node) {
    return CoordinatedShutdown.get(node.system())
        .getShutdownReason()
        .filter(r -> r == HubWatch.HUB_LOST || r == CoordinatedShutdown.clusterDowningReason())
        .isPresent();
  }

  /**
   * Starts the node again; the ports and the home of the previous run may take a moment to be free.
   */
  private static Node restart(Settings settings, Config config) throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try {
        return Node.start(settings, config);
      } catch (StartupException e) {
        if (attempt >= RESTART_ATTEMPTS) {
          throw e;
        }
        log().warn("cannot start again yet ({}); retrying", e.getMessage());
        Thread.sleep(1000);
      }
    }
  }

  private static boolean stoppedBySignal(Node node) {
    return CoordinatedShutdown.get(node.system())
        .getShutdownReason()
        .filter(r -> r == CoordinatedShutdown.jvmExitReason())
        .isPresent();
  }

  /** The start-up check: the API answers health, and the local token is accepted. */
  private static void checkApi(Settings settings, int port) {
    NodeClient client = new NodeClient(settings, port);
    String status = client.get("/api/health").path("status").asText();
    if (!status.equals("ok")) {
      throw new StartupException("the node started but its health says '" + status + "'");
    }
    client.get("/api/cluster");
    client.get("/api/approvals");
    System.out.println("ai-intercom: start-up check passed (health ok, local token accepted)");
  }

  private static Exception unwrap(ExecutionException e) {
    return Refusal.cause(e.getCause()) instanceof Exception cause ? cause : e;
  }

  /** How long a node's actor system may take to terminate once its shutdown ran. */
  static final java.time.Duration TERMINATION_GRACE = java.time.Duration.ofSeconds(40);

  /**
   * Until the node's actor system has terminated; once its coordinated shutdown has begun, at most
   * {@link #TERMINATION_GRACE} longer. Pekko 1.7's Artery can wait without a deadline for a stalled
   * remoting stream at termination (apache/pekko#3247, bounded in a later release): the command
   * then goes on rather than hang.
   */
  private static void awaitEnd(Node node) throws InterruptedException {
    var terminated = node.system().getWhenTerminated().toCompletableFuture();
    long deadline = Long.MAX_VALUE;
    while (!terminated.isDone()) {
      if (deadline == Long.MAX_VALUE
          && CoordinatedShutdown.get(node.system()).getShutdownReason().isPresent()) {
        deadline = System.nanoTime() + TERMINATION_GRACE.toNanos();
      }
      if (System.nanoTime() > deadline) {
        log()
            .warn(
                "the node's actor system did not terminate in time after its shutdown"
                    + " (a stalled remoting stream); going on without it");
        return;
      }
      try {
        terminated.get(1, java.util.concurrent.TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException | ExecutionException e) {
        // not yet, or failed: look again
      }
    }
  }
}
