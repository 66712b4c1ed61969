package ai.intercom.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.testing.ApiClient.Answer;
import ai.intercom.testing.FakeClaude;
import ai.intercom.testing.NodePair;
import ai.intercom.testing.NodeProcess;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A machine lost in the middle of work, hub and daemon as real processes: the daemon is killed
 * (SIGKILL) while its agent runs a mission. The hub shows the machine offline, the split-brain
 * resolver downs it, the mission is interrupted and its requester told at once; a chat to the lost
 * machine is kept, and delivered once when the machine is back.
 */
class FailoverTest {

  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path hubHome;
  @TempDir Path daemonHome;

  @Test
  void aKilledDaemonIsOfflineItsMissionInterruptedAndItsMessagesKeptUntilItIsBack()
      throws Exception {
    Files.writeString(hubHome.resolve("policies.yml"), "defaults:\n  require_approval: never\n");
    Path projects = Files.createDirectories(daemonHome.resolve("projects"));
    Files.createDirectories(projects.resolve("web/.git"));
    FakeClaude claude = FakeClaude.install(daemonHome.resolve("bin"));
    nodes = new NodePair(hubHome, daemonHome);
    // a lost node is downed sooner than on a real network (20 s there)
    NodePair.configure(nodes.hub, "pekko.cluster.split-brain-resolver.stable-after = 3s");
    NodePair.configure(
        nodes.daemon,
        "intercom.discovery.scan-paths = [\"" + projects + "\"]",
        "intercom.agent-launcher.default-command = \"" + claude.executable() + "\"",
        "intercom.agent-launcher.environment { FAKE_AGENT_LOG = \"" + claude.log() + "\" }");
    try (NodeProcess hub = nodes.startHub()) {
      NodeProcess daemon = nodes.startDaemon();
      String mission;
      try {
        nodes.hub.register("s-api", "api");
        nodes.daemon.register("s-web", "web");
        await(() -> nodes.hub.online("beta"), "beta online");

        Answer started =
            nodes.hub.call(
                "/api/start_agent",
                Map.of(
                    "session_id", "s-api",
                    "machine", "beta",
                    "project", "web",
                    "mission", "mode:success sleep:120 a long job"));
        assertEquals(200, started.status(), started.toString());
        mission = started.text("mission_id");
        String id = mission;
        await(() -> status(id).equals("running"), "mission running");

        daemon.kill();
        long killed = System.nanoTime();
        await(() -> !nodes.hub.online("beta"), "beta offline");
        long offlineMs = (System.nanoTime() - killed) / 1_000_000;
        assertTrue(offlineMs < 15_000, "shown offline after " + offlineMs + " ms");
        System.out.println("a killed daemon shown offline after " + offlineMs + " ms");

        await(() -> status(id).equals("interrupted"), "mission interrupted");
        JsonNode state = nodes.hub.call("/api/missions/" + mission, null).json();
        assertTrue(
            state.path("reason").asText().contains("machine beta left the cluster"),
            state.toString());
        await(() -> read(nodes.hub, "s-api").contains("was interrupted"), "the requester told");

        // while it is away, a chat to it is kept, never refused
        Answer kept =
            nodes.hub.call(
                "/api/chat",
                Map.of("session_id", "s-api", "to", "beta/web", "message", "are you back?"));
        assertEquals(200, kept.status(), kept.toString());
        assertEquals("queued", kept.text("status"), kept.toString());
      } finally {
        daemon.close();
      }

      try (NodeProcess back = nodes.startDaemon()) {
        await(() -> nodes.hub.online("beta"), "beta online again");
        StringBuilder seen = new StringBuilder();
        await(
            () -> seen.append(read(nodes.daemon, "s-web")).toString().contains("are you back?"),
            "the kept chat delivered");
        Thread.sleep(2_000);
        seen.append(read(nodes.daemon, "s-web"));
        assertEquals(1, seen.toString().split("are you back\\?", -1).length - 1, seen.toString());
        // the interrupted mission stays interrupted: its agent is not started again
        assertEquals("interrupted", status(mission));
      }
    }
  }

  private NodePair nodes;

  @Test
  void whileTheHubIsDownADaemonServesItsInboxesAndKeepsWhatItsAgentsSend() throws Exception {
    Files.writeString(hubHome.resolve("policies.yml"), "defaults:\n  require_approval: never\n");
    nodes = new NodePair(hubHome, daemonHome);
    NodeProcess hub = nodes.startHub();
    try (NodeProcess daemon = nodes.startDaemon()) {
      nodes.hub.register("s-api", "api");
      nodes.daemon.register("s-web", "web");
      await(() -> nodes.hub.online("beta"), "beta online");

      hub.kill();
      Answer kept =
          nodes.daemon.call(
              "/api/chat",
              Map.of(
                  "session_id", "s-web",
                  "to", "alpha/api",
                  "message", "written while the hub was down",
                  "message_id", "kept-1"));
      assertEquals(200, kept.status(), kept.toString());
      assertEquals("queued", kept.text("status"), kept.toString());
      assertTrue(kept.text("note").contains("kept on this machine"), kept.toString());
      assertTrue(
          Files.readString(daemonHome.resolve("data/kept-messages.jsonl")).contains("kept-1"));
      // the daemon still serves its sessions' inboxes (the hooks' path)
      Answer inbox = nodes.daemon.call("/api/inbox/s-web/check", Map.of());
      assertEquals(200, inbox.status(), String.valueOf(inbox));

      hub = nodes.startHub();
      StringBuilder seen = new StringBuilder();
      await(
          () ->
              seen.append(read(nodes.hub, "s-api"))
                  .toString()
                  .contains("written while the hub was down"),
          "the kept message delivered");
      Thread.sleep(3_000);
      seen.append(read(nodes.hub, "s-api"));
      assertEquals(
          1,
          seen.toString().split("written while the hub was down", -1).length - 1,
          seen.toString());
      await(
          () -> {
            try {
              return Files.readString(daemonHome.resolve("data/kept-messages.jsonl")).isBlank();
            } catch (java.io.IOException e) {
              return false;
            }
          },
          "nothing kept any more");
    } finally {
      hub.close();
    }
  }

  private String hubLog() {
    try {
      java.util.List<String> lines = Files.readAllLines(hubHome.resolve("logs/intercom.log"));
      return String.join(
          "\n",
          lines.stream()
              .filter(
                  l ->
                      l.contains("DEBUG")
                          || l.contains("xception")
                          || l.contains("ERROR")
                          || l.contains("Lost"))
              .toList());
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  /**
   * What the session has not seen yet, as intercom_check_inbox hands it out; a node that forgot the
   * session (it restarted) has it registered again first, as the session's next hook does.
   */
  private static String read(NodePair.Side node, String session) {
    Answer checked = node.call("/api/inbox/" + session + "/check", Map.of());
    if (checked != null && checked.status() == 404 && checked.toString().contains("no_session")) {
      node.register(session, session.substring(2));
      checked = node.call("/api/inbox/" + session + "/check", Map.of());
    }
    return checked == null || checked.status() != 200
        ? ""
        : checked.json().path("messages").toString();
  }

  private String status(String mission) {
    Answer answer = nodes.hub.call("/api/missions/" + mission, null);
    return answer == null ? "" : answer.json().path("status").asText();
  }

  private void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(
          System.nanoTime() < deadline, () -> "never: " + what + "; the hub's log:\n" + hubLog());
      Thread.sleep(100);
    }
  }
}
