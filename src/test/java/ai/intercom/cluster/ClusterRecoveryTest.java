package ai.intercom.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.protocol.JsonFormat;
import ai.intercom.testing.Joins;
import ai.intercom.testing.NodeProcess;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hub and a daemon as real processes: the daemon finds its way back into the cluster after the
 * hub restarts or crashes, and a node still stops promptly when its peer is dead.
 */
class ClusterRecoveryTest {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path hubHome;
  @TempDir Path daemonHome;

  private final int hubHttp = TestNodes.freePort();
  private final int hubCluster = TestNodes.freePort();
  private final int daemonHttp = TestNodes.freePort();
  private final int daemonCluster = TestNodes.freePort();

  private NodeProcess hub() throws Exception {
    NodeProcess hub =
        NodeProcess.start(
            Map.of(
                "INTERCOM_HOME", hubHome.toString(),
                "INTERCOM_MACHINE_ID", "hub-box",
                "INTERCOM_HTTP_PORT", String.valueOf(hubHttp),
                "INTERCOM_CLUSTER_PORT", String.valueOf(hubCluster)),
            "hub");
    assertNotNull(hub.nextLine(60), "hub did not start: " + hub.stderr());
    return hub;
  }

  private NodeProcess daemon() throws Exception {
    Joins.admit(hubHttp, hubHome, daemonHome, "laptop");
    Files.writeString(
        daemonHome.resolve("intercom.conf"),
        String.join(
            "\n",
            "intercom.hub.cluster-port = " + hubCluster,
            "intercom.cluster.hub-lost-after = 2s",
            "pekko.cluster.split-brain-resolver.stable-after = 3s",
            ""));
    NodeProcess daemon =
        NodeProcess.start(
            Map.of(
                "INTERCOM_HOME", daemonHome.toString(),
                "INTERCOM_MACHINE_ID", "laptop",
                "HUB_URL", "http://127.0.0.1:" + hubHttp,
                "INTERCOM_HTTP_PORT", String.valueOf(daemonHttp),
                "INTERCOM_CLUSTER_PORT", String.valueOf(daemonCluster)),
            "daemon");
    assertNotNull(daemon.nextLine(60), "daemon did not start: " + daemon.stderr());
    return daemon;
  }

  /** Members that the hub sees Up, or -1 while it does not answer. */
  private int upMembersSeenByHub() {
    try {
      String token = Files.readString(hubHome.resolve("local.token")).trim();
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hubHttp + "/api/cluster"))
                  .header("Authorization", "Bearer " + token)
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      int up = 0;
      for (JsonNode member : JsonFormat.MAPPER.readTree(response.body()).get("members")) {
        up += member.get("status").asText().equals("up") ? 1 : 0;
      }
      return up;
    } catch (Exception e) {
      return -1;
    }
  }

  private void awaitUpMembers(int count, Duration within, NodeProcess daemon)
      throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (upMembersSeenByHub() != count) {
      assertTrue(
          System.nanoTime() < deadline,
          "the hub never saw "
              + count
              + " members up; daemon said: "
              + String.join("\n", daemon.stderr()));
      Thread.sleep(200);
    }
  }

  private static long stopWithSigterm(NodeProcess process) throws InterruptedException {
    long start = System.nanoTime();
    process.terminate();
    assertNotEquals(-1, process.awaitExit(10), "still running 10 s after SIGTERM");
    return (System.nanoTime() - start) / 1_000_000;
  }

  @Test
  void theDaemonJoinsAgainAfterTheHubRestartsOrCrashes() throws Exception {
    NodeProcess hub = hub();
    try (NodeProcess daemon = daemon()) {
      awaitUpMembers(2, Duration.ofSeconds(20), daemon);

      // a clean restart of the hub
      long took = stopWithSigterm(hub);
      assertTrue(took < 5000, "hub stop took " + took + " ms");
      hub = hub();
      awaitUpMembers(2, Duration.ofSeconds(60), daemon);

      // a crash of the hub
      hub.close();
      assertNotEquals(-1, hub.awaitExit(10));
      hub = hub();
      awaitUpMembers(2, Duration.ofSeconds(60), daemon);
      assertEquals(-1, daemon.awaitExit(0), "the daemon process lives on: " + daemon.stderr());

      // a dead peer does not hold up the hub's stop
      daemon.close();
      assertNotEquals(-1, daemon.awaitExit(10));
      took = stopWithSigterm(hub);
      assertTrue(took < 5000, "hub stop with a dead daemon took " + took + " ms");
    } finally {
      hub.close();
    }
  }
}
