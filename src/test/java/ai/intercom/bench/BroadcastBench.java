package ai.intercom.bench;

import ai.intercom.app.Node;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.Joins;
import ai.intercom.testing.TestNodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A broadcast ({@code intercom_send} to {@code *}) from one session to 50 others, each of its own
 * project, spread over three nodes (a hub and two daemons): how long the call takes (it answers
 * once every target's message is in its inbox or held) and how long until the last of the 50 inbox
 * files holds it. Run with {@code bench/broadcast [ROUNDS] [SESSIONS]}.
 */
public final class BroadcastBench {

  private static final long SELF = ProcessHandle.current().pid();

  private record Target(Path inboxFile) {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    int sessions = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    Path[] homes = {
      Files.createTempDirectory("broadcast-alpha"),
      Files.createTempDirectory("broadcast-beta"),
      Files.createTempDirectory("broadcast-gamma")
    };
    Files.writeString(
        homes[0].resolve("policies.yml"), "defaults:\n  require_approval: never\nrules: []\n");
    int clusterPort = TestNodes.freePort();
    List<Node> nodes = new ArrayList<>();
    nodes.add(
        TestNodes.start(
            homes[0],
            "standalone",
            Map.of(
                "INTERCOM_MACHINE_ID",
                "alpha",
                "INTERCOM_CLUSTER_PORT",
                String.valueOf(clusterPort))));
    ApiClient hub = new ApiClient(nodes.get(0), homes[0]);
    String[] machines = {"alpha", "beta", "gamma"};
    for (int i = 1; i < 3; i++) {
      Joins.admit(hub.port(), homes[0], homes[i], machines[i]);
      nodes.add(
          TestNodes.start(
              homes[i],
              "daemon",
              Map.of(
                  "INTERCOM_MACHINE_ID", machines[i], "HUB_URL", "http://127.0.0.1:" + hub.port()),
              Map.of("intercom.hub.cluster-port", clusterPort)));
    }
    try {
      hub.register("s-lead", "lead", SELF);
      List<Target> targets = new ArrayList<>();
      for (int s = 0; s < sessions; s++) {
        int n = s % 3;
        String session = "s-" + s;
        ApiClient api = new ApiClient(nodes.get(n), homes[n]);
        if (api.register(session, String.format("p%02d", s), SELF).status() != 200) {
          throw new IllegalStateException("cannot register " + session);
        }
        targets.add(new Target(homes[n].resolve("inbox").resolve(session + ".jsonl")));
      }
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (hub.get("/api/agents?filter=online").json().path("agents").size() < sessions + 1) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the hub does not see the " + sessions + " sessions");
        }
        Thread.sleep(100);
      }
      System.out.printf(
          "broadcast from one session to %d sessions on 3 nodes, %d rounds%n", sessions, rounds);
      for (int i = 0; i < 3; i++) {
        broadcast(hub, "warm-up " + i, targets, sessions);
      }
      List<Double> calls = new ArrayList<>();
      List<Double> lastInInbox = new ArrayList<>();
      long all = System.nanoTime();
      for (int round = 0; round < rounds; round++) {
        double[] took = broadcast(hub, "round " + round, targets, sessions);
        calls.add(took[0]);
        lastInInbox.add(took[1]);
      }
      double seconds = (System.nanoTime() - all) / 1e9;
      Latencies.print("call (answer with every target's state)", calls);
      Latencies.print("until the last of the " + sessions + " inboxes holds it", lastInInbox);
      System.out.printf(
          "%.0f deliveries/s (%d broadcasts one after the other)%n",
          rounds * sessions / seconds, rounds);
    } finally {
      nodes.forEach(TestNodes::stop);
    }
    System.exit(0);
  }

  /** One broadcast: the call's time and the time until every inbox holds it, in ms. */
  private static double[] broadcast(ApiClient hub, String text, List<Target> targets, int expected)
      throws InterruptedException, IOException {
    long start = System.nanoTime();
    ApiClient.Answer sent =
        hub.post("/api/send", Map.of("session_id", "s-lead", "to", "*", "message", text));
    double call = (System.nanoTime() - start) / 1e6;
    if (sent.status() != 200 || sent.json().path("count").asInt() != expected) {
      throw new IllegalStateException("broadcast: " + sent);
    }
    String quoted = "\"" + text + "\"";
    for (Target target : targets) {
      while (!Files.exists(target.inboxFile())
          || !Files.readString(target.inboxFile()).contains(quoted)) {
        if (System.nanoTime() - start > 30_000_000_000L) {
          throw new IllegalStateException("not in " + target.inboxFile() + ": " + text);
        }
        Thread.sleep(1);
      }
    }
    return new double[] {call, (System.nanoTime() - start) / 1e6};
  }
}
