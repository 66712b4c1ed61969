package ai.intercom.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.testing.AgentProcess;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.ApiClient.Answer;
import ai.intercom.testing.Await;
import ai.intercom.testing.FakeClaude;
import ai.intercom.testing.Joins;
import ai.intercom.testing.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent started on another machine: a session on node A (the hub) asks for a mission in a
 * project of node B (a daemon); the operator approves it on A, B's supervisor runs the agent, and
 * its result, a stop and a follow-up travel between the two real actor systems.
 */
class CrossNodeLaunchTest {

  /** The agents' process: not this one, which is the operator. */
  static final long AGENT = AgentProcess.pid();

  @TempDir Path homeA;
  @TempDir Path homeB;

  @Test
  void aMissionApprovedOnTheHubRunsOnTheDaemonAndIsFollowedAndStoppedFromTheHub() throws Exception {
    Files.writeString(
        homeA.resolve("policies.yml"),
        """
        defaults:
          require_approval: never
        rules:
          - type: start_agent
            message_pattern: "review"
            approval: once
        """);
    Path projects = Files.createDirectories(homeB.resolve("projects"));
    Path web = Files.createDirectories(projects.resolve("web/.git")).getParent().toRealPath();
    FakeClaude claude = FakeClaude.install(homeB.resolve("bin"));
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
              Map.of(
                  "INTERCOM_MACHINE_ID",
                  "beta",
                  "HUB_URL",
                  "http://127.0.0.1:" + apiA.port(),
                  "INTERCOM_SCAN_PATHS",
                  projects.toString(),
                  "INTERCOM_AGENT_COMMAND",
                  claude.executable().toString()),
              Map.of(
                  "intercom.hub.cluster-port",
                  clusterPort,
                  "intercom.agent-launcher.environment",
                  Map.of("FAKE_AGENT_LOG", claude.log().toString())));
      assertEquals(200, apiA.register("s-api", "api", AGENT).status());
      // B is online for A once its desk and supervisor are known through the receptionist
      Await.until(
          () -> apiA.get("/api/agents?filter=online").json().toString().contains("beta/web"));

      Answer held =
          apiA.post(
              "/api/start_agent",
              Map.of(
                  "session_id",
                  "s-api",
                  "machine",
                  "beta",
                  "project",
                  "web",
                  "mission",
                  "mode:success review the diff"));
      assertEquals("pending_approval", held.text("status"), held.toString());
      String id = held.text("mission_id");
      assertEquals(
          200,
          apiA.post("/api/approvals/" + held.text("approval_id") + "/approve", Map.of()).status());
      Await.until(
          () -> apiA.get("/api/missions/" + id).json().path("status").asText().equals("completed"),
          Duration.ofSeconds(30),
          () -> apiA.get("/api/missions/" + id).json().toString());
      assertEquals(
          "done: mode:success review the diff",
          apiA.get("/api/missions/" + id).json().path("result").asText());
      assertEquals(web.toString(), claude.startOf(id).path("cwd").asText());
      Await.until(
          () ->
              apiA.inbox("s-api")
                  .toString()
                  .contains("Mission " + id + " (start_agent) completed"));

      // a follow-up from the requester on A continues the conversation on B
      assertEquals(200, apiA.reply("s-api", id, "mode:success and the tests").status());
      Await.until(
          () ->
              apiA.get("/api/missions/" + id).json().path("result").asText().startsWith("resumed"),
          Duration.ofSeconds(30),
          () -> apiA.get("/api/missions/" + id).json().toString());

      // stopped on A, ended on B
      String hanging =
          apiA.post(
                  "/api/start_agent",
                  Map.of(
                      "session_id",
                      "s-api",
                      "machine",
                      "beta",
                      "project",
                      "web",
                      "mission",
                      "mode:hang stop me"))
              .text("mission_id");
      Await.until(
          () -> claude.childOf(hanging) > 0,
          Duration.ofSeconds(30),
          () -> "the agent did not start on B");
      assertEquals(
          "stopped", apiA.post("/api/missions/" + hanging + "/stop", Map.of()).text("status"));
      long agent = claude.startOf(hanging).path("pid").asLong();
      Await.until(
          () -> ProcessHandle.of(agent).map(p -> !p.isAlive()).orElse(true),
          Duration.ofSeconds(10),
          () -> "the agent on B still runs");
      assertTrue(
          apiA.get("/api/missions/" + hanging)
              .json()
              .path("reason")
              .asText()
              .contains("stopped by human"));
    } finally {
      if (b != null) {
        TestNodes.stop(b);
      }
      TestNodes.stop(a);
    }
  }
}
