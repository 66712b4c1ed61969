package ai.intercom.app;

import ai.intercom.cli.NodeClient;
import ai.intercom.cluster.NodeRole;
import com.typesafe.config.Config;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ai-intercom standalone|hub|daemon}: runs a node in the foreground until Ctrl-C or SIGTERM. */
@Command(mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class)
final class NodeCommand implements Callable<Integer> {

  private final NodeRole role;

  @Option(
      names = "--exit-when-ready",
      description = "Start, wait until the node is up, check that its API answers, then shut down"
          + " (a start-up check; exit code 0 when all is well).")
  boolean exitWhenReady;

  NodeCommand(NodeRole role) {
    this.role = role;
  }

  /**
   * The command for exactly {@code standalone|hub|daemon [--exit-when-ready]},
   * else null (then picocli parses, with help and errors).
   */
  static NodeCommand parseExact(String[] args) {
    if (args.length == 0 || args.length > 2 || (args.length == 2 && !args[1].equals("--exit-when-ready"))) {
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
          case STANDALONE -> "Runs hub and daemon in one node (SQLite journal): the default set-up.";
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

    Node node = Node.start(settings, config);
    InetSocketAddress http;
    try {
      http = node.ready().toCompletableFuture().get();
    } catch (ExecutionException e) {
      node.system().terminate();
      throw unwrap(e);
    }

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
    if (exitWhenReady) {
      try {
        checkApi(settings, http.getPort());
      } finally {
        node.stop().toCompletableFuture().join();
      }
    }
    node.system().getWhenTerminated().toCompletableFuture().join();
    return 0;
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
    Throwable cause = e.getCause();
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause instanceof Exception ex ? ex : e;
  }
}
