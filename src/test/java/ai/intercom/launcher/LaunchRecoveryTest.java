package ai.intercom.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.Await;
import ai.intercom.testing.FakeClaude;
import ai.intercom.testing.NodeProcess;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node that stops while its agents run: nothing outlives it, and when it starts again the
 * missions that were running say they were interrupted while the queued ones run.
 */
class LaunchRecoveryTest {

  static final String MACHINE = "test-standalone";
  static final long SELF = ProcessHandle.current().pid();

  @TempDir Path home;

  private Node start(FakeClaude claude, Path projects) {
    Map<String, Object> config = new HashMap<>();
    config.put("intercom.agent-launcher.max-concurrent", 1);
    config.put(
        "intercom.agent-launcher.environment", Map.of("FAKE_AGENT_LOG", claude.log().toString()));
    return TestNodes.start(
        home,
        "standalone",
        Map.of(
            "INTERCOM_SCAN_PATHS",
            projects.toString(),
            "INTERCOM_AGENT_COMMAND",
            claude.executable().toString()),
        config);
  }

  /** A home with the project web under its scan path and a policy that lets everything pass. */
  private Path prepare() throws Exception {
    Path projects = Files.createDirectories(home.resolve("projects"));
    Files.createDirectories(projects.resolve("web/.git"));
    Files.writeString(
        home.resolve("policies.yml"), "defaults:\n  require_approval: never\nrules: []\n");
    return projects;
  }

  @Test
  void runningMissionsAreInterruptedByARestartAndQueuedOnesRunAfterIt() throws Exception {
    Path projects = prepare();
    FakeClaude claude = FakeClaude.install(home.resolve("bin"));

    Node node = start(claude, projects);
    String running;
    String queued;
    try {
      ApiClient api = new ApiClient(node, home);
      api.register("s-api", "api", SELF);
      Await.until(() -> api.get("/api/agents").json().toString().contains(MACHINE + "/web"));
      running =
          api.post(
                  "/api/start_agent",
                  Map.of(
                      "session_id",
                      "s-api",
                      "machine",
                      MACHINE,
                      "project",
                      "web",
                      "mission",
                      "mode:hang long work"))
              .text("mission_id");
      queued =
          api.post(
                  "/api/start_agent",
                  Map.of(
                      "session_id",
                      "s-api",
                      "machine",
                      MACHINE,
                      "project",
                      "web",
                      "mission",
                      "mode:success next in line"))
              .text("mission_id");
      Await.until(() -> claude.childOf(running) > 0);
      Await.until(
          () ->
              api.get("/api/missions/" + queued)
                  .json()
                  .path("latest_progress")
                  .asText()
                  .startsWith("queued"));
    } finally {
      TestNodes.stop(node);
    }
    long agent = claude.startOf(running).path("pid").asLong();
    long child = claude.childOf(running);
    Await.until(
        () -> !alive(agent) && !alive(child),
        Duration.ofSeconds(10),
        () -> "the agent or its child outlived the node");

    node = start(claude, projects);
    try {
      ApiClient api = new ApiClient(node, home);
      Await.until(
          () ->
              api.get("/api/missions/" + running)
                  .json()
                  .path("status")
                  .asText()
                  .equals("interrupted"),
          Duration.ofSeconds(30),
          () -> api.get("/api/missions/" + running).json().toString());
      JsonNode interrupted = api.get("/api/missions/" + running).json();
      assertTrue(
          interrupted.path("reason").asText().contains("stopped while the agent ran"),
          interrupted.toString());
      Await.until(
          () ->
              api.get("/api/missions/" + queued).json().path("status").asText().equals("completed"),
          Duration.ofSeconds(30),
          () -> api.get("/api/missions/" + queued).json().toString());
      assertEquals(
          "done: mode:success next in line",
          api.get("/api/missions/" + queued).json().path("result").asText());
    } finally {
      TestNodes.stop(node);
    }
  }

  @Test
  void aCrashedNodesOrphanAgentIsEndedAndItsMissionInterruptedWhenItStartsAgain() throws Exception {
    Path projects = prepare();
    FakeClaude claude = FakeClaude.install(home.resolve("bin"));
    Files.writeString(
        home.resolve("intercom.conf"),
        "intercom.agent-launcher.environment.FAKE_AGENT_LOG = \"" + claude.log() + "\"\n");
    int port = TestNodes.freePort();
    String running;
    try (NodeProcess crashing =
        NodeProcess.start(
            Map.of(
                "INTERCOM_HOME",
                home.toString(),
                "INTERCOM_HTTP_PORT",
                String.valueOf(port),
                "INTERCOM_CLUSTER_PORT",
                String.valueOf(TestNodes.freePort()),
                "INTERCOM_MACHINE_ID",
                MACHINE,
                "INTERCOM_SCAN_PATHS",
                projects.toString(),
                "INTERCOM_AGENT_COMMAND",
                claude.executable().toString()),
            "standalone")) {
      Await.until(
          () ->
              crashing.stdout().stream().anyMatch(line -> line.contains("is up on"))
                  || crashing.stderr().stream().anyMatch(line -> line.contains("is up on")),
          Duration.ofSeconds(30),
          () -> "the node did not start: " + crashing.stderr());
      ApiClient api = new ApiClient(port, home);
      api.register("s-api", "api", SELF);
      Await.until(() -> api.get("/api/agents").json().toString().contains(MACHINE + "/web"));
      running =
          api.post(
                  "/api/start_agent",
                  Map.of(
                      "session_id",
                      "s-api",
                      "machine",
                      MACHINE,
                      "project",
                      "web",
                      "mission",
                      "mode:hang long work"))
              .text("mission_id");
      Await.until(() -> claude.childOf(running) > 0);
      // the ledger knows the agent's process before the crash
      Thread.sleep(300);
      crashing.kill();
    }
    long agent = claude.startOf(running).path("pid").asLong();
    long child = claude.childOf(running);
    assertTrue(alive(agent), "a crashed node leaves its agent running");

    Node node = start(claude, projects);
    try {
      ApiClient api = new ApiClient(node, home);
      Await.until(
          () ->
              api.get("/api/missions/" + running)
                  .json()
                  .path("status")
                  .asText()
                  .equals("interrupted"),
          Duration.ofSeconds(30),
          () -> api.get("/api/missions/" + running).json().toString());
      Await.until(
          () -> !alive(agent) && !alive(child),
          Duration.ofSeconds(15),
          () -> "the orphan agent " + agent + " or its child " + child + " still runs");
    } finally {
      TestNodes.stop(node);
    }
  }

  private static boolean alive(long pid) {
    return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }
}
