package ai.intercom.bench;

import ai.intercom.testing.ApiClient.Answer;
import ai.intercom.testing.NodePair;
import ai.intercom.testing.NodeProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * From a node's restart to its first delivered message, with real node processes: a hub (with the
 * sending session) and a daemon (with the receiving one). Each round kills one node with SIGKILL,
 * starts it again and clocks from the new process's start until a message sent to the other side is
 * in the receiving session's inbox. The sender retries with the same message id while the nodes do
 * not answer, as the MCP server does; the hooks register their session again when the node forgot
 * it. Run with {@code bench/restart [ROUNDS]}.
 */
public final class RestartBench {

  private static final long SELF = ProcessHandle.current().pid();

  private final NodePair nodes;
  private int sent;

  private RestartBench() throws IOException {
    nodes =
        new NodePair(
            Files.createTempDirectory("restart-hub"),
            Files.createTempDirectory("restart-daemon"),
            true);
    Files.writeString(
        nodes.hub.home().resolve("policies.yml"), "defaults:\n  require_approval: never\n");
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    new RestartBench().run(rounds);
  }

  private void run(int rounds) throws Exception {
    NodeProcess hub = nodes.startHub();
    NodeProcess daemon = nodes.startDaemon();
    try {
      registerBoth();
      long before = System.currentTimeMillis();
      System.out.printf(
          "warm: a message hub -> daemon in %.0f ms%n", since(before, deliver("beta", "web")));
      List<Double> daemonRestart = new ArrayList<>();
      List<Double> hubRestartToDaemon = new ArrayList<>();
      List<Double> hubRestartFromDaemon = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        daemon.kill();
        daemon = nodes.startDaemon();
        long start = daemon.startedAt();
        daemonRestart.add(since(start, deliver("beta", "web")));

        hub.kill();
        hub = nodes.startHub();
        start = hub.startedAt();
        hubRestartToDaemon.add(since(start, deliver("beta", "web")));
        hubRestartFromDaemon.add(since(start, deliver("alpha", "api")));
        System.out.printf(
            "round %d: daemon restart -> delivery %.0f ms; hub restart -> delivery to the daemon"
                + " %.0f ms, from the daemon %.0f ms%n",
            round + 1,
            daemonRestart.get(round),
            hubRestartToDaemon.get(round),
            hubRestartFromDaemon.get(round));
      }
      Latencies.print("daemon restart -> first delivery", daemonRestart);
      Latencies.print("hub restart -> first delivery to the daemon", hubRestartToDaemon);
      Latencies.print("hub restart -> first delivery from the daemon", hubRestartFromDaemon);
    } finally {
      daemon.close();
      hub.close();
    }
  }

  /** Milliseconds from a process start (epoch ms) to a moment given as epoch ms. */
  private static double since(long startMillis, double deliveredAtMillis) {
    return deliveredAtMillis - startMillis;
  }

  private void registerBoth() throws InterruptedException {
    register(nodes.hub, "s-api", "api");
    register(nodes.daemon, "s-web", "web");
  }

  private static void register(NodePair.Side node, String session, String project)
      throws InterruptedException {
    while (true) {
      Answer answer = node.register(session, project);
      if (answer != null && answer.status() == 200) {
        return;
      }
      Thread.sleep(20);
    }
  }

  /**
   * Sends a message to {@code machine/project} from the other side's session and waits until it is
   * in the receiver's inbox; answers the epoch milliseconds at which it was seen there.
   */
  private double deliver(String machine, String project) throws InterruptedException {
    boolean toDaemon = machine.equals("beta");
    NodePair.Side sender = toDaemon ? nodes.hub : nodes.daemon;
    NodePair.Side receiver = toDaemon ? nodes.daemon : nodes.hub;
    String from = toDaemon ? "s-api" : "s-web";
    String to = toDaemon ? "s-web" : "s-api";
    String text = "restart bench " + (++sent);
    boolean posted = false;
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (!posted) {
        Answer answer =
            sender.call(
                "/api/chat",
                Map.of(
                    "session_id",
                    from,
                    "to",
                    machine + "/" + project,
                    "message",
                    text,
                    "message_id",
                    "bench-" + sent));
        if (answer != null && answer.status() == 404 && answer.toString().contains("no_session")) {
          register(sender, from, toDaemon ? "api" : "web");
        } else if (answer != null && answer.status() == 200) {
          posted = true;
        }
      }
      Answer inbox = receiver.call("/api/inbox/" + to + "/check", Map.of());
      if (inbox != null && inbox.status() == 404 && inbox.toString().contains("no_session")) {
        register(receiver, to, toDaemon ? "web" : "api");
      } else if (inbox != null && inbox.toString().contains(text)) {
        return System.currentTimeMillis();
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("not delivered in 120 s: " + text);
  }
}
