package ai.intercom.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.Await;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After a node restart its session desk knows no sessions: the first hook of a Claude Code session
 * that was registered before registers it again (one call), so that what comes for its project
 * reaches it now instead of waiting in the project's queue until the MCP server next calls.
 */
class HookReRegistrationTest {

  static final Path HOOK = Path.of("scripts", "check-inbox-hook.sh").toAbsolutePath();
  static final String SESSION = "7d1e0c2a-3333-4c3b-9d2e-0a1b2c3d4e5f";

  @TempDir Path home;

  @Test
  void theFirstHookAfterARestartRegistersItsSessionAgainAndBringsWhatWaited() throws Exception {
    Files.createDirectories(home.resolve("projects/web/.git"));
    Files.writeString(
        home.resolve("policies.yml"), "defaults:\n  require_approval: never\nrules: []\n");
    Map<String, String> env = Map.of("INTERCOM_SCAN_PATHS", home.resolve("projects").toString());
    Process agent = new ProcessBuilder("sleep", "120").start();
    Node node = TestNodes.start(home, "standalone", env);
    try {
      ApiClient api = new ApiClient(node, home);
      register(api, SESSION, "web", agent.pid());
      TestNodes.stop(node);
      assertTrue(
          Files.exists(home.resolve("inbox/pid/" + agent.pid())), "the link outlives the node");

      node = TestNodes.start(home, "standalone", env);
      api = new ApiClient(node, home);
      assertEquals(200, api.register("s-desk", "desk", ProcessHandle.current().pid()).status());
      JsonNode sent = api.chat("s-desk", "test-standalone/web", "WHILE-FORGOTTEN: hello").json();
      assertEquals("queued", sent.path("status").asText(), "the desk forgot the session: " + sent);

      // the session's next tool call: its hook registers it, and brings the message
      String first = runHook(api, agent.pid());
      ApiClient finalApi = api;
      assertTrue(
          finalApi.get("/api/sessions").json().toString().contains(SESSION),
          "registered again: " + finalApi.get("/api/sessions").json());
      String context = first.contains("WHILE-FORGOTTEN") ? first : runHook(api, agent.pid());
      assertTrue(context.contains("WHILE-FORGOTTEN: hello"), context);

      // from then on, the fast path: nothing new, nothing printed, no registration again
      Path link = home.resolve("inbox/pid/" + agent.pid());
      assertTrue(
          Files.getLastModifiedTime(link)
                  .compareTo(Files.getLastModifiedTime(home.resolve("inbox/desk.started")))
              > 0,
          "the link is newer than the desk");
      assertEquals("", runHook(api, agent.pid()));
    } finally {
      agent.destroyForcibly();
      TestNodes.stop(node);
    }
  }

  @Test
  void anIdleSessionsWaitingHookOutlivesARestartAndIsWokenByWhatComesAfter() throws Exception {
    Files.createDirectories(home.resolve("projects/web/.git"));
    Files.writeString(
        home.resolve("policies.yml"), "defaults:\n  require_approval: never\nrules: []\n");
    int port = TestNodes.freePort();
    Map<String, String> env =
        Map.of(
            "INTERCOM_SCAN_PATHS", home.resolve("projects").toString(),
            "INTERCOM_HTTP_PORT", String.valueOf(port));
    Process agent = new ProcessBuilder("sleep", "120").start();
    Node node = TestNodes.start(home, "standalone", env);
    Process hook = null;
    try {
      ApiClient api = new ApiClient(node, home);
      register(api, SESSION, "web", agent.pid());
      // the agent's turn ended: its Stop hook waits for a message
      ProcessBuilder builder =
          new ProcessBuilder("bash", Path.of("scripts", "wait-inbox-hook.sh").toString())
              .redirectOutput(ProcessBuilder.Redirect.DISCARD);
      builder.environment().put("INTERCOM_HOME", home.toString());
      builder.environment().put("INTERCOM_HTTP_PORT", String.valueOf(port));
      builder.environment().put("CLAUDE_CODE_SESSION_ID", SESSION);
      builder.environment().put("CLAUDE_PID", String.valueOf(agent.pid()));
      builder.environment().put("CLAUDE_PROJECT_DIR", home.resolve("projects/web").toString());
      hook = builder.start();
      try (var in = hook.getOutputStream()) {
        in.write(
            ("{\"session_id\":\"" + SESSION + "\",\"hook_event_name\":\"Stop\"}")
                .getBytes(StandardCharsets.UTF_8));
      }
      Process waiting = hook;
      Await.until(
          () -> waiting.descendants().anyMatch(p -> p.info().command().orElse("").endsWith("curl")),
          Await.DEFAULT,
          () -> "the waiting hook's long poll");

      TestNodes.stop(node);
      node = TestNodes.start(home, "standalone", env);
      api = new ApiClient(node, home);
      ApiClient restarted = api;
      // the hook asks again, finds the session forgotten and registers it
      Await.until(
          () -> restarted.get("/api/sessions").json().toString().contains(SESSION),
          Await.DEFAULT,
          () -> "the waiting hook registers its session with the restarted node");
      assertEquals(200, api.register("s-desk", "desk", ProcessHandle.current().pid()).status());
      JsonNode sent = api.chat("s-desk", "test-standalone/web", "AFTER-RESTART: wake up").json();
      assertEquals("in_inbox", sent.path("state").asText(), sent.toString());

      assertTrue(hook.waitFor(30, TimeUnit.SECONDS), "the hook wakes the agent");
      assertEquals(2, hook.exitValue());
      String woken = new String(hook.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(woken.contains("AFTER-RESTART: wake up"), woken);
    } finally {
      if (hook != null) {
        hook.descendants().forEach(ProcessHandle::destroyForcibly);
        hook.destroyForcibly();
      }
      agent.destroyForcibly();
      TestNodes.stop(node);
    }
  }

  private static void register(ApiClient api, String sessionId, String project, long pid) {
    ApiClient.Answer registered =
        api.post(
            "/api/sessions",
            Map.of(
                "session_id",
                sessionId,
                "project",
                project,
                "pid",
                pid,
                "ancestors",
                List.of(pid)));
    assertEquals(200, registered.status(), registered.toString());
  }

  /** The hook as Claude Code runs it for the session of {@code claudePid}, on PostToolUse. */
  private String runHook(ApiClient api, long claudePid) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("bash", HOOK.toString());
    builder.environment().put("INTERCOM_HOME", home.toString());
    builder.environment().put("INTERCOM_HTTP_PORT", String.valueOf(api.port()));
    builder.environment().put("CLAUDE_CODE_SESSION_ID", SESSION);
    builder.environment().put("CLAUDE_PID", String.valueOf(claudePid));
    builder.environment().put("CLAUDE_PROJECT_DIR", home.resolve("projects/web").toString());
    Process hook = builder.start();
    try (var in = hook.getOutputStream()) {
      in.write(
          ("{\"session_id\":\"" + SESSION + "\",\"hook_event_name\":\"PostToolUse\"}")
              .getBytes(StandardCharsets.UTF_8));
    }
    String stdout = new String(hook.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(hook.waitFor(10, TimeUnit.SECONDS));
    if (stdout.isBlank()) {
      return "";
    }
    return JsonFormat.MAPPER
        .readTree(stdout)
        .path("hookSpecificOutput")
        .path("additionalContext")
        .asText();
  }
}
