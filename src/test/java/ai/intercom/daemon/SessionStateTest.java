package ai.intercom.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.Await;
import ai.intercom.testing.NodeProcess;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live session state from the real hook scripts: a session is {@code active} when it registers,
 * {@code working} after a tool hook, {@code idle} while the waiting hook runs, {@code stuck} when
 * it works without a hook for too long, and {@code gone} (with when) once its process ended. The
 * directory, the CLI and delivery use it. A session that restarts under its id ({@code claude
 * --resume}) gets back what it had not read and the threads it held.
 */
class SessionStateTest {

  static final Path CHECK_HOOK = Path.of("scripts", "check-inbox-hook.sh").toAbsolutePath();
  static final Path WAIT_HOOK = Path.of("scripts", "wait-inbox-hook.sh").toAbsolutePath();

  @TempDir Path home;
  private final List<Process> agents = new ArrayList<>();

  /** Session id -> its project, as the hooks find it in CLAUDE_PROJECT_DIR. */
  private final Map<String, String> projects = new HashMap<>();

  private Node node;
  private ApiClient api;

  @AfterEach
  void stop() {
    agents.forEach(Process::destroyForcibly);
    if (node != null) {
      TestNodes.stop(node);
    }
  }

  private void start() throws Exception {
    Files.writeString(
        home.resolve("policies.yml"), "defaults:\n  require_approval: never\nrules: []\n");
    node =
        TestNodes.start(
            home,
            "standalone",
            Map.of(),
            Map.of(
                "intercom.sessions.stuck-after", "3s", "intercom.inbox.liveness-interval", "1s"));
    api = new ApiClient(node, home);
  }

  /** A Claude Code session: an agent process of its own, registered as its MCP server does. */
  private long session(String sessionId, String project) throws Exception {
    Process agent = new ProcessBuilder("sleep", "300").start();
    agents.add(agent);
    projects.put(sessionId, project);
    assertEquals(200, api.register(sessionId, project, agent.pid()).status());
    return agent.pid();
  }

  private Process hook(Path script, String sessionId, long agentPid, String event)
      throws Exception {
    ProcessBuilder builder = new ProcessBuilder("bash", script.toString());
    builder.environment().put("INTERCOM_HOME", home.toString());
    builder.environment().put("INTERCOM_HTTP_PORT", String.valueOf(api.port()));
    builder.environment().put("CLAUDE_CODE_SESSION_ID", sessionId);
    builder.environment().put("CLAUDE_PID", String.valueOf(agentPid));
    builder
        .environment()
        .put("CLAUDE_PROJECT_DIR", "/src/" + projects.getOrDefault(sessionId, "web"));
    Process hook = builder.start();
    hook.getOutputStream()
        .write(
            ("{\"session_id\":\"" + sessionId + "\",\"hook_event_name\":\"" + event + "\"}")
                .getBytes(StandardCharsets.UTF_8));
    hook.getOutputStream().close();
    return hook;
  }

  /** Ends a hook and what it started (its curl), as when Claude Code ends it. */
  private static void kill(Process hook) {
    hook.descendants().forEach(ProcessHandle::destroyForcibly);
    hook.destroyForcibly();
  }

  private String toolHook(String sessionId, long agentPid) throws Exception {
    Process hook = hook(CHECK_HOOK, sessionId, agentPid, "PostToolUse");
    assertTrue(hook.waitFor(20, TimeUnit.SECONDS));
    return new String(hook.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  /** The session as the directory shows it (also after it ended). */
  private JsonNode listed(String agent, String sessionId) {
    for (JsonNode a : api.get("/api/agents").json().path("agents")) {
      if (a.path("agent").asText().equals(agent)) {
        for (JsonNode session : a.path("sessions")) {
          if (session.path("session_id").asText().equals(sessionId)) {
            return session;
          }
        }
      }
    }
    return api.get("/api/agents").json();
  }

  private String status(String agent, String sessionId) {
    return listed(agent, sessionId).path("status").asText();
  }

  @Test
  void hooksSayWorkingAndIdleSilenceSaysStuckAndAnEndedProcessSaysGone() throws Exception {
    start();
    String web = "test-standalone/web";
    long pid = session("s-state", "web");
    assertEquals("active", status(web, "s-state"));

    assertEquals("", toolHook("s-state", pid), "nothing pending: the hook prints nothing");
    assertEquals("working", status(web, "s-state"));
    assertTrue(listed(web, "s-state").hasNonNull("last_activity"));

    Process waiting = hook(WAIT_HOOK, "s-state", pid, "Stop");
    Await.until(() -> status(web, "s-state").equals("idle"));
    kill(waiting);

    toolHook("s-state", pid);
    assertEquals("working", status(web, "s-state"));
    // no hook for longer than sessions.stuck-after while working
    Await.until(() -> status(web, "s-state").equals("stuck"));

    // the CLI shows the states
    try (NodeProcess cli =
        NodeProcess.start(
            Map.of(
                "INTERCOM_HOME", home.toString(), "INTERCOM_HTTP_PORT", String.valueOf(api.port())),
            "agents")) {
      assertEquals(0, cli.awaitExit(30), String.join("\n", cli.stderr()));
      assertTrue(
          cli.stdout().stream().anyMatch(line -> line.startsWith(web) && line.contains("1: stuck")),
          String.join("\n", cli.stdout()));
    }

    agents.get(0).destroyForcibly().waitFor();
    Await.until(() -> status(web, "s-state").equals("gone"));
    assertTrue(listed(web, "s-state").hasNonNull("ended_at"), "kept a while, with when");
    assertTrue(
        !api.get("/api/sessions").json().toString().contains("s-state"),
        "no longer a live session");
  }

  @Test
  void aLetterGoesToAnIdleOrWorkingSessionBeforeAStuckOne() throws Exception {
    start();
    long older = session("s-older", "api");
    long newer = session("s-newer", "api");
    toolHook("s-older", older);
    toolHook("s-newer", newer);
    Await.until(() -> status("test-standalone/api", "s-newer").equals("stuck"));
    // the older one reports again (working), the newer one stays silent (stuck)
    toolHook("s-older", older);
    assertEquals(200, api.register("s-desk", "desk", ProcessHandle.current().pid()).status());
    ApiClient.Answer sent = api.chat("s-desk", "test-standalone/api", "Who is awake?");
    assertEquals("s-older", sent.text("session_id"), sent.toString());
  }

  @Test
  void aWaitingHookFromAnEarlierTurnDoesNotTakeALetterWhileTheAgentWorks() throws Exception {
    start();
    long pid = session("s-turns", "web");
    assertEquals(200, api.register("s-desk", "desk", ProcessHandle.current().pid()).status());
    Process waiting = hook(WAIT_HOOK, "s-turns", pid, "Stop");
    try {
      Await.until(() -> status("test-standalone/web", "s-turns").equals("idle"));
      // the user typed again: the agent works, the hook of the last turn still waits
      toolHook("s-turns", pid);
      api.chat("s-desk", "test-standalone/web", "For the working agent.");
      Thread.sleep(1500);
      assertTrue(waiting.isAlive(), "the waiting hook did not take it");
      assertTrue(
          toolHook("s-turns", pid).contains("For the working agent."),
          "the next tool hook injects it");
    } finally {
      kill(waiting);
    }

    // while the turn is over, the waiting hook takes it and wakes the agent (exit 2)
    Process idle = hook(WAIT_HOOK, "s-turns", pid, "Stop");
    try {
      Await.until(() -> status("test-standalone/web", "s-turns").equals("idle"));
      // the hook writes idle before its long poll starts: wait for the poll itself
      Await.until(
          () -> idle.descendants().anyMatch(p -> p.info().command().orElse("").endsWith("/curl")));
      Thread.sleep(300);
      api.chat("s-desk", "test-standalone/web", "Wake up.");
      assertTrue(idle.waitFor(20, TimeUnit.SECONDS));
      assertEquals(2, idle.exitValue());
      assertTrue(
          new String(idle.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)
              .contains("Wake up."));
    } finally {
      kill(idle);
    }
  }

  @Test
  void aResumedSessionGetsItsUnreadLettersAndItsThreadsBack() throws Exception {
    start();
    String web = "test-standalone/web";
    assertEquals(200, api.register("s-desk", "desk", ProcessHandle.current().pid()).status());
    session("s-resumed", "web");
    ApiClient.Answer first = api.chat("s-desk", web, "First, before the restart.");
    assertEquals("s-resumed", first.text("session_id"), first.toString());
    String thread = first.text("thread_id");

    // the agent's process ends (the user quit claude) with the letter unread
    agents.get(0).destroyForcibly().waitFor();
    Await.until(() -> status(web, "s-resumed").equals("gone"));
    ApiClient.Answer away = api.reply("s-desk", thread, "Second, while it is away.");
    assertEquals(200, away.status(), away.toString());

    // claude --resume: a new process, the same session id; its SessionStart hook registers it
    // before its MCP server does, and brings what it had not read
    Process resumed = new ProcessBuilder("sleep", "300").start();
    agents.add(resumed);
    Process start = hook(CHECK_HOOK, "s-resumed", resumed.pid(), "SessionStart");
    assertTrue(start.waitFor(20, TimeUnit.SECONDS));
    String injected = new String(start.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(injected.contains("First, before the restart."), injected);
    assertTrue(injected.contains("Second, while it is away."), injected);
    // then its MCP server registers (the same session, the same process)
    assertEquals(200, api.register("s-resumed", "web", resumed.pid()).status());

    // the thread's next reply goes to the session that holds it again
    ApiClient.Answer third = api.reply("s-desk", thread, "Third, after the resume.");
    assertEquals("s-resumed", third.text("session_id"), third.toString());
    assertTrue(toolHook("s-resumed", resumed.pid()).contains("Third, after the resume."));

    // one entry for the project, the session once, live
    int entries = 0;
    int listings = 0;
    for (JsonNode agent : api.get("/api/agents").json().path("agents")) {
      if (agent.path("agent").asText().equals(web)) {
        entries++;
        for (JsonNode listedSession : agent.path("sessions")) {
          listings += listedSession.path("session_id").asText().equals("s-resumed") ? 1 : 0;
        }
      }
    }
    assertEquals(1, entries);
    assertEquals(1, listings);
    assertEquals("working", status(web, "s-resumed"));
  }

  @Test
  void aSessionEndedAndResumedAtOnceKeepsItsLetters() throws Exception {
    start();
    assertEquals(200, api.register("s-desk", "desk", ProcessHandle.current().pid()).status());
    long pid = session("s-quick", "web");
    api.chat("s-desk", "test-standalone/web", "Still yours after the SessionEnd hook.");
    // the SessionEnd hook, then the resumed session's registration straight after it
    assertEquals(200, api.call("DELETE", "/api/sessions/s-quick", null).status());
    assertEquals(200, api.register("s-quick", "web", pid).status());
    Await.until(
        () -> api.inbox("s-quick").toString().contains("Still yours after the SessionEnd hook."));
  }
}
