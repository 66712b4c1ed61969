package ai.intercom.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.ApiClient.Answer;
import ai.intercom.testing.Await;
import ai.intercom.testing.Joins;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Broadcasts across two real nodes: {@code *}, {@code <machine>/*} and {@code *}{@code /<project>}
 * reach each running agent once, each through the gate as a message of its own, and the answer
 * lists every target with its state.
 */
class BroadcastTest {

  static final long SELF = ProcessHandle.current().pid();

  @TempDir Path homeA;
  @TempDir Path homeB;

  /** Target agent -> its outcome. */
  private static Map<String, JsonNode> targets(Answer sent) {
    Map<String, JsonNode> byAgent = new TreeMap<>();
    sent.json().path("targets").forEach(target -> byAgent.put(target.path("to").asText(), target));
    assertEquals(sent.json().path("count").asInt(), byAgent.size(), sent.toString());
    return byAgent;
  }

  private static Answer broadcast(ApiClient api, String path, String to, String message) {
    return api.post(path, Map.of("session_id", "s-api", "to", to, "message", message));
  }

  @Test
  void eachRunningTargetGetsItOnceThroughTheGateAndTheAnswerListsTheirStates() throws Exception {
    Files.writeString(
        homeA.resolve("policies.yml"),
        "defaults:\n  require_approval: never\nrules:\n"
            + "  - from: \"*\"\n    to: \"beta/db\"\n    approval: once\n");
    int clusterPort = TestNodes.freePort();
    Node a =
        TestNodes.start(
            homeA,
            "standalone",
            Map.of(
                "INTERCOM_MACHINE_ID",
                "alpha",
                "INTERCOM_CLUSTER_PORT",
                String.valueOf(clusterPort)));
    Node b = null;
    try {
      ApiClient apiA = new ApiClient(a, homeA);
      Joins.admit(apiA.port(), homeA, homeB, "beta");
      b =
          TestNodes.start(
              homeB,
              "daemon",
              Map.of("INTERCOM_MACHINE_ID", "beta", "HUB_URL", "http://127.0.0.1:" + apiA.port()),
              Map.of("intercom.hub.cluster-port", clusterPort));
      ApiClient apiB = new ApiClient(b, homeB);
      assertEquals(200, apiA.register("s-api", "api", SELF).status());
      assertEquals(200, apiA.register("s-web-a", "web", SELF).status());
      assertEquals(200, apiB.register("s-web-b", "web", SELF).status());
      assertEquals(200, apiB.register("s-db", "db", SELF).status());
      Await.until(
          () -> apiA.get("/api/agents?filter=machine:beta").json().toString().contains("s-db"));

      Answer all = broadcast(apiA, "/api/chat", "*", "Freeze merges until 14:00.");
      assertEquals(200, all.status(), all.toString());
      assertEquals("sent", all.text("status"), all.toString());
      Map<String, JsonNode> reached = targets(all);
      assertEquals(
          Set.of("alpha/web", "beta/web", "beta/db"), reached.keySet(), "all but the sender");
      assertEquals("in_inbox", reached.get("alpha/web").path("state").asText());
      assertEquals("in_inbox", reached.get("beta/web").path("state").asText());
      assertEquals("pending_approval", reached.get("beta/db").path("state").asText());
      assertTrue(reached.get("beta/db").hasNonNull("approval_id"), "the gate decided per pair");
      Set<String> threads = new HashSet<>();
      reached.values().forEach(target -> threads.add(target.path("thread_id").asText()));
      assertEquals(3, threads.size(), "a thread per target: " + threads);

      assertEquals(1, apiA.inbox("s-web-a").size());
      assertEquals(1, apiB.inbox("s-web-b").size());
      assertEquals(0, apiB.inbox("s-db").size(), "held for the operator");
      assertEquals(0, apiA.inbox("s-api").size(), "not to the sender");

      Map<String, JsonNode> webs =
          targets(broadcast(apiA, "/api/send", "*/web", "Rebuild against API v3."));
      assertEquals(Set.of("alpha/web", "beta/web"), webs.keySet());
      JsonNode sentB = apiB.inbox("s-web-b");
      assertEquals(1, sentB.size(), sentB.toString());
      assertEquals("Rebuild against API v3.", sentB.get(0).path("message").asText());
      assertEquals(1, apiA.inbox("s-web-a").size());

      Map<String, JsonNode> beta = targets(broadcast(apiA, "/api/chat", "beta/*", "Hello beta."));
      assertEquals(Set.of("beta/db", "beta/web"), beta.keySet());
      assertEquals(1, apiB.inbox("s-web-b").size());

      // bad patterns and empty audiences change nothing
      for (String bad : List.of("be*ta/web", "*/", "beta/*/x", "*/we b")) {
        Answer refused = broadcast(apiA, "/api/chat", bad, "x");
        assertEquals(400, refused.status(), bad + " -> " + refused);
        assertTrue(refused.error().contains("broadcast") || refused.error().contains("agent id"));
      }
      Answer nobody = broadcast(apiA, "/api/chat", "*/nothing", "x");
      assertEquals(404, nobody.status(), nobody.toString());
      assertTrue(
          nobody.error().contains("no agent with a running session matches"), nobody.error());
      Answer tooLong = broadcast(apiA, "/api/chat", "*", "x".repeat(70_000));
      assertEquals(400, tooLong.status(), tooLong.toString());
      assertEquals(0, apiA.inbox("s-web-a").size(), "nothing was sent by the refused calls");
      assertEquals(0, apiB.inbox("s-web-b").size(), "nothing was sent by the refused calls");
    } finally {
      if (b != null) {
        TestNodes.stop(b);
      }
      TestNodes.stop(a);
    }
  }
}
