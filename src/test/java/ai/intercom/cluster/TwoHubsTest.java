package ai.intercom.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.testing.ApiClient;
import ai.intercom.testing.ApiClient.Answer;
import ai.intercom.testing.Joins;
import ai.intercom.testing.NodeProcess;
import ai.intercom.testing.Postgres;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hub nodes sharing one real PostgreSQL journal, and a daemon, as real processes. The oldest
 * hub is killed (SIGKILL): the other carries on with every entity, what was written before the kill
 * included, and the daemon's sessions go on chatting.
 */
class TwoHubsTest {

  static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path hub1Home;
  @TempDir Path hub2Home;
  @TempDir Path daemonHome;

  @Test
  void whenOneHubDiesTheOtherCarriesOnWithEveryEntity() throws Exception {
    int http1 = TestNodes.freePort();
    int http2 = TestNodes.freePort();
    int cluster1 = TestNodes.freePort();
    int cluster2 = TestNodes.freePort();
    int daemonHttp = TestNodes.freePort();
    String policy = "defaults:\n  require_approval: never\n";
    Files.writeString(hub1Home.resolve("policies.yml"), policy);
    Files.writeString(hub2Home.resolve("policies.yml"), policy);
    String fast =
        "intercom.cluster.several-hubs = on\n"
            + "pekko.cluster.split-brain-resolver.stable-after = 3s\n";
    Files.writeString(hub1Home.resolve("intercom.conf"), fast);
    try (Postgres pg = Postgres.start()) {
      Map<String, String> journal =
          Map.of(
              "INTERCOM_JOURNAL",
              "postgres",
              "INTERCOM_JOURNAL_URL",
              pg.url(),
              "INTERCOM_JOURNAL_USER",
              Postgres.USER);
      NodeProcess hub1 = started(hubEnv(hub1Home, "hub1", http1, cluster1, journal), "hub");
      NodeProcess hub2 = null;
      NodeProcess daemon = null;
      try {
        // the second hub shares the first one's authority, and joins it
        copyTree(hub1Home.resolve("ca"), hub2Home.resolve("ca"));
        Files.writeString(
            hub2Home.resolve("intercom.conf"),
            fast + "intercom.cluster.seed-nodes = [\"127.0.0.1:" + cluster1 + "\"]\n");
        hub2 = started(hubEnv(hub2Home, "hub2", http2, cluster2, journal), "hub");

        Joins.admit(http1, hub1Home, daemonHome, "beta");
        Files.writeString(
            daemonHome.resolve("intercom.conf"),
            fast
                + "intercom.cluster.seed-nodes = [\"127.0.0.1:"
                + cluster1
                + "\", \"127.0.0.1:"
                + cluster2
                + "\"]\n");
        Map<String, String> env = new HashMap<>();
        env.put("INTERCOM_HOME", daemonHome.toString());
        env.put("INTERCOM_MACHINE_ID", "beta");
        env.put("INTERCOM_HTTP_PORT", String.valueOf(daemonHttp));
        env.put("INTERCOM_CLUSTER_PORT", String.valueOf(TestNodes.freePort()));
        daemon = started(env, "daemon");
        ApiClient beta = new ApiClient(daemonHttp, daemonHome);
        long self = ProcessHandle.current().pid();
        assertEquals(200, beta.register("s-a", "a", self).status());
        assertEquals(200, beta.register("s-b", "b", self).status());
        await(() -> upMembers(http2, hub2Home) == 3, "three members");

        Answer first = beta.chat("s-a", "beta/b", "before the hub died");
        assertEquals("delivered", first.text("status"), first.toString());
        String thread = first.text("thread_id");
        String mission = first.text("mission_id");

        hub1.kill();
        try {
          afterTheKill(beta, thread, mission, http2);
        } catch (RuntimeException | AssertionError e) {
          throw new AssertionError(
              "the daemon's log:\n" + log(daemonHome) + "\nhub2's log:\n" + log(hub2Home), e);
        }
      } finally {
        if (daemon != null) {
          daemon.close();
        }
        if (hub2 != null) {
          hub2.close();
        }
        hub1.close();
      }
    }
  }

  private void afterTheKill(ApiClient beta, String thread, String mission, int http2)
      throws Exception {
    // the other hub takes over: the thread written before goes on (a call the dying hub
    // left unanswered is kept on the daemon and sent again under its id)
    Answer after =
        beta.post(
            "/api/reply",
            Map.of(
                "session_id", "s-b",
                "thread_id", thread,
                "message", "after the hub died",
                "message_id", "after-1"));
    assertEquals(200, after.status(), after.toString());
    assertTrue(after.text("status").matches("delivered|queued"), after.toString());
    Answer fresh =
        beta.post(
            "/api/chat",
            Map.of(
                "session_id", "s-a",
                "to", "beta/b",
                "message", "a new thread on the other hub",
                "message_id", "new-1"));
    assertEquals(200, fresh.status(), fresh.toString());
    StringBuilder seen = new StringBuilder();
    await(
        () -> {
          try {
            seen.append(beta.inbox("s-a")).append(beta.inbox("s-b"));
          } catch (RuntimeException e) {
            throw new AssertionError(
                "the daemon stopped answering; its log:\n" + log(daemonHome), e);
          }
          return seen.toString().contains("after the hub died")
              && seen.toString().contains("a new thread on the other hub");
        },
        "both messages delivered through the other hub");
    Thread.sleep(3_000);
    seen.append(beta.inbox("s-a")).append(beta.inbox("s-b"));
    assertEquals(1, seen.toString().split("after the hub died", -1).length - 1, seen.toString());
    assertEquals(
        1, seen.toString().split("a new thread on the other hub", -1).length - 1, seen.toString());
    // what was written before the kill is read back from the shared journal
    JsonNode before = new ApiClient(http2, hub2Home).get("/api/missions/" + mission).json();
    assertEquals(mission, before.path("mission_id").asText(), before.toString());
    assertEquals("before the hub died", before.path("prompt").asText(), before.toString());
  }

  private static Map<String, String> hubEnv(
      Path home, String id, int http, int cluster, Map<String, String> journal) {
    Map<String, String> env = new HashMap<>(journal);
    env.put("INTERCOM_HOME", home.toString());
    env.put("INTERCOM_MACHINE_ID", id);
    env.put("INTERCOM_HTTP_PORT", String.valueOf(http));
    env.put("INTERCOM_CLUSTER_PORT", String.valueOf(cluster));
    return env;
  }

  private static NodeProcess started(Map<String, String> env, String mode) throws Exception {
    NodeProcess node = NodeProcess.start(env, mode);
    if (node.nextLine(60) == null) {
      node.close();
      throw new IllegalStateException(mode + " did not start: " + node.stderr());
    }
    return node;
  }

  private static int upMembers(int port, Path home) {
    try {
      int up = 0;
      for (JsonNode m : new ApiClient(port, home).get("/api/cluster").json().path("members")) {
        up += m.path("status").asText().equals("up") ? 1 : 0;
      }
      return up;
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private static String log(Path home) {
    try {
      return String.join(
          "\n",
          Files.readAllLines(home.resolve("logs/intercom.log")).stream()
              .filter(l -> l.contains("WARN") || l.contains("ERROR") || l.contains("SBR"))
              .toList());
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  private static void copyTree(Path from, Path to) throws Exception {
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path file : files.toList()) {
        Files.copy(
            file, to.resolve(file.getFileName()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "never: " + what);
      Thread.sleep(200);
    }
  }
}
