package ai.intercom.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.mission.Mission;
import ai.intercom.protocol.MissionStatus;
import ai.intercom.testing.Await;
import ai.intercom.testing.Joins;
import ai.intercom.testing.TestIds;
import ai.intercom.testing.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two real actor systems on loopback: a hub with the entities and a daemon that reaches them. */
class HubAndDaemonTest {

  @TempDir Path hubHome;
  @TempDir Path daemonHome;

  @Test
  void aCommandFromTheDaemonReachesAnEntityOnTheHubAndGetsItsAnswer() throws Exception {
    int hubClusterPort = TestNodes.freePort();
    Node hub =
        TestNodes.start(
            hubHome,
            "hub",
            Map.of(
                "INTERCOM_MACHINE_ID",
                "hub-box",
                "INTERCOM_CLUSTER_PORT",
                String.valueOf(hubClusterPort)));
    Node daemon = null;
    try {
      // admitted, then found through HUB_URL, as an operator sets it up
      Joins.admit(TestNodes.http(hub).getPort(), hubHome, daemonHome, "laptop");
      daemon =
          TestNodes.start(
              daemonHome,
              "daemon",
              Map.of(
                  "INTERCOM_MACHINE_ID",
                  "laptop",
                  "HUB_URL",
                  "http://127.0.0.1:" + TestNodes.http(hub).getPort()),
              Map.of("intercom.hub.cluster-port", hubClusterPort));

      // the daemon was Up when it reported ready; the hub's view follows by gossip
      Node hubNode = hub;
      Node daemonNode = daemon;
      Await.until(
          () ->
              Cluster.get(hubNode.system()).state().members().size() == 2
                  && Cluster.get(daemonNode.system())
                      .selfMember()
                      .status()
                      .equals(MemberStatus.up()));
      assertEquals(
          Set.of("daemon", "machine:laptop"),
          Cluster.get(daemon.system()).selfMember().getRoles().stream()
              .filter(r -> !r.startsWith("dc-"))
              .collect(java.util.stream.Collectors.toSet()));

      String missionId = TestIds.missionId();
      Mission.Summary created =
          ClusterSharding.get(daemon.system())
              .entityRefFor(Mission.ENTITY_KEY, missionId)
              .<Mission.Summary>askWithStatus(
                  r ->
                      new Mission.Create(
                          "laptop/api", "hub-box/web", Mission.Kind.ASK, "review the PR", r),
                  Duration.ofSeconds(10))
              .toCompletableFuture()
              .get(20, TimeUnit.SECONDS);
      assertEquals(MissionStatus.PENDING_APPROVAL, created.status());

      // the same entity, asked on the hub, has the daemon's write
      Mission.State onHub =
          ClusterSharding.get(hub.system())
              .entityRefFor(Mission.ENTITY_KEY, missionId)
              .<Mission.State>askWithStatus(Mission.Get::new, Duration.ofSeconds(10))
              .toCompletableFuture()
              .get(20, TimeUnit.SECONDS);
      assertEquals(created, onHub.summary());
      assertEquals("review the PR", onHub.prompt());

      // it was persisted in the hub's journal; the daemon has none
      assertFalse(Files.exists(daemonHome.resolve("data/intercom.db")));
      try (var connection =
              DriverManager.getConnection("jdbc:sqlite:" + hubHome.resolve("data/intercom.db"));
          var statement =
              connection.prepareStatement(
                  "SELECT count(*) FROM event_journal WHERE persistence_id = ?")) {
        statement.setString(1, "Mission|" + missionId);
        var rows = statement.executeQuery();
        assertTrue(rows.next());
        assertEquals(1, rows.getInt(1));
      }
    } finally {
      if (daemon != null) {
        TestNodes.stop(daemon);
      }
      TestNodes.stop(hub);
    }
  }
}
