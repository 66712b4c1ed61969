package ai.intercom.bench;

import ai.intercom.app.Node;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.Joins;
import ai.intercom.testing.NodePair;
import ai.intercom.testing.NodeProcess;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The network: a hub and four admitted daemons converging into one cluster; a daemon killed
 * (SIGKILL) until the hub shows it offline; chat across two nodes with the cluster's TLS against
 * without (latency of a call that waits for the other machine's inbox, and throughput). Run with
 * {@code bench/network [DAEMONS] [KILLS] [MESSAGES]}.
 */
public final class NetworkBench {

  private static final String POLICY = "defaults:\n  require_approval: never\n";
  private static final long SELF = ProcessHandle.current().pid();

  public static void main(String[] args) throws Exception {
    int daemons = args.length > 0 ? Integer.parseInt(args[0]) : 4;
    int kills = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int messages = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
    converge(daemons);
    killedShownOffline(kills);
    chat(true, messages);
    chat(false, messages);
    System.exit(0);
  }

  /** From starting every daemon at once to all of them Up in the hub's view. */
  private static void converge(int daemons) throws Exception {
    Path hubHome = Files.createTempDirectory("net-bench-hub");
    Node hub = TestNodes.start(hubHome, "hub", Map.of("INTERCOM_MACHINE_ID", "hub"), Map.of());
    int port = new ApiClient(hub, hubHome).port();
    List<Path> homes = new ArrayList<>();
    for (int i = 1; i <= daemons; i++) {
      Path home = Files.createTempDirectory("net-bench-d" + i);
      Joins.admit(port, hubHome, home, "d" + i);
      homes.add(home);
    }
    long start = System.nanoTime();
    List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < daemons; i++) {
      nodes.add(
          TestNodes.launch(
              homes.get(i), "daemon", Map.of("INTERCOM_MACHINE_ID", "d" + (i + 1)), Map.of()));
    }
    while (TestNodes.upMembers(hub) < daemons + 1) {
      Thread.sleep(5);
    }
    long upMs = (System.nanoTime() - start) / 1_000_000;
    ApiClient api = new ApiClient(hub, hubHome);
    while (onlineMachines(api) < daemons) {
      Thread.sleep(20);
    }
    long onlineMs = (System.nanoTime() - start) / 1_000_000;
    System.out.printf(
        "converge: %d nodes (1 hub, %d daemons started at once, TLS): all Up in the hub's view"
            + " after %d ms, all online in its machines list after %d ms%n",
        daemons + 1, daemons, upMs, onlineMs);
    for (Node node : nodes) {
      TestNodes.stop(node);
    }
    TestNodes.stop(hub);
  }

  /** kill -9 of a daemon process until the hub's machines list says offline. */
  private static void killedShownOffline(int rounds) throws Exception {
    Path hubHome = Files.createTempDirectory("net-bench-kill-hub");
    Path daemonHome = Files.createTempDirectory("net-bench-kill-daemon");
    NodePair pair = new NodePair(hubHome, daemonHome);
    List<Double> offline = new ArrayList<>();
    try (NodeProcess hub = pair.startHub()) {
      for (int i = 0; i < rounds; i++) {
        NodeProcess daemon = pair.startDaemon();
        while (!pair.hub.online("beta")) {
          Thread.sleep(50);
        }
        Thread.sleep(1_000);
        daemon.kill();
        long killed = System.nanoTime();
        while (pair.hub.online("beta")) {
          Thread.sleep(20);
        }
        offline.add((System.nanoTime() - killed) / 1e6);
        daemon.close();
      }
    }
    Latencies.print("a killed daemon shown offline", offline);
  }

  /** Chats from a session on the hub to one on the daemon, each call waiting for its inbox. */
  private static void chat(boolean tls, int messages) throws Exception {
    Path homeA = Files.createTempDirectory("net-bench-a");
    Path homeB = Files.createTempDirectory("net-bench-b");
    Files.writeString(homeA.resolve("policies.yml"), POLICY);
    Map<String, Object> transport = Map.of("intercom.cluster.tls", tls);
    Node a =
        TestNodes.start(homeA, "standalone", Map.of("INTERCOM_MACHINE_ID", "alpha"), transport);
    ApiClient apiA = new ApiClient(a, homeA);
    Joins.admit(apiA.port(), homeA, homeB, "beta");
    Node b = TestNodes.start(homeB, "daemon", Map.of("INTERCOM_MACHINE_ID", "beta"), transport);
    ApiClient apiB = new ApiClient(b, homeB);
    apiA.register("s-api", "api", SELF);
    apiB.register("s-web", "web", SELF);
    while (!apiA.get("/api/agents?filter=online").json().toString().contains("beta/web")) {
      Thread.sleep(50);
    }
    String thread = apiA.chat("s-api", "beta/web", "hello").text("thread_id");
    for (int i = 0; i < 200; i++) {
      send(apiA, thread, "warm " + i);
    }
    List<Double> latencies = new ArrayList<>();
    for (int i = 0; i < messages; i++) {
      long t0 = System.nanoTime();
      send(apiA, thread, "message " + i);
      latencies.add((System.nanoTime() - t0) / 1e6);
    }
    Collections.sort(latencies);
    int threads = 16;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicInteger next = new AtomicInteger();
    long t0 = System.nanoTime();
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      done.add(
          pool.submit(
              () -> {
                int i;
                while ((i = next.getAndIncrement()) < messages) {
                  send(apiA, thread, "burst " + i);
                }
                return null;
              }));
    }
    for (Future<?> f : done) {
      f.get();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    pool.shutdown();
    System.out.printf(
        "chat alpha -> beta, %s: p50 %.1f ms, p99 %.1f ms over %d calls (each until the message is in"
            + " beta's inbox); %d concurrent: %.0f msg/s%n",
        tls ? "TLS" : "plain TCP",
        latencies.get(latencies.size() / 2),
        latencies.get((int) Math.ceil(latencies.size() * 0.99) - 1),
        messages,
        threads,
        messages / seconds);
    TestNodes.stop(b);
    TestNodes.stop(a);
  }

  private static void send(ApiClient api, String thread, String text) {
    ApiClient.Answer sent =
        api.post(
            "/api/reply",
            Map.of(
                "session_id",
                "s-api",
                "thread_id",
                thread,
                "message",
                text,
                "wait_for",
                "in_inbox"));
    if (sent.status() != 200 || !"in_inbox".equals(sent.text("state"))) {
      throw new IllegalStateException("not in the inbox: " + sent);
    }
  }

  private static int onlineMachines(ApiClient api) {
    int online = 0;
    for (JsonNode m : api.get("/api/machines").json().path("machines")) {
      online += m.path("online").asBoolean() ? 1 : 0;
    }
    return online;
  }
}
