package ai.intercom.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.ApiClient.Answer;
import ai.intercom.testing.Await;
import ai.intercom.testing.FakeAgent;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two agent sessions of the same project on one machine, run as Claude Code runs them (agent
 * processes, each with its own MCP server and its own hook processes as children), each see only
 * their own messages: in their hooks, in their inbox tool and in the replies of their threads; the
 * node notices when they quit; and an agent without a session of its own sees none of theirs.
 */
class SessionIsolationTest {

  private static final String MACHINE = "test-standalone";
  private static final long SELF = ProcessHandle.current().pid();
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Path HOOK = Path.of("scripts", "check-inbox-hook.sh").toAbsolutePath();

  @TempDir Path home;
  private Node node;
  private ApiClient api;
  private Map<String, String> env;
  private final List<FakeAgent> agents = java.util.Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void start() throws Exception {
    Files.writeString(
        home.resolve("policies.yml"),
        """
        defaults:
          require_approval: never
        """);
    node =
        TestNodes.start(
            home, "standalone", Map.of(), Map.of("intercom.inbox.liveness-interval", "200ms"));
    api = new ApiClient(node, home);
    env =
        Map.of("INTERCOM_HOME", home.toString(), "INTERCOM_HTTP_PORT", String.valueOf(api.port()));
  }

  @AfterEach
  void stop() {
    agents.forEach(FakeAgent::close);
    TestNodes.stop(node);
  }

  @Test
  void twoSessionsOfOneProjectEachSeeOnlyTheirOwnMessages() throws Exception {
    List<FakeAgent> web = startAgents("web", 2);
    Map<Long, String> sessionOf = awaitSessions("web", web);
    assertEquals(200, api.register("s-api", "api", SELF).status());

    // the api agent asks "web": one web session gets it, and only its agent's hook shows it
    Answer sent = api.chat("s-api", MACHINE + "/web", "Is the schema migrated?");
    assertEquals("delivered", sent.text("status"), sent.toString());
    String thread = sent.text("thread_id");
    FakeAgent receiver =
        web.stream()
            .filter(a -> sessionOf.get(a.pid()).equals(sent.text("session_id")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("delivered to no web agent: " + sent));
    FakeAgent other = web.get(0) == receiver ? web.get(1) : web.get(0);
    String receiving = sessionOf.get(receiver.pid());
    String otherSession = sessionOf.get(other.pid());

    assertSilent(other.hook("PostToolUse"), "the other agent's hook");
    JsonNode told = receiver.hook("PostToolUse");
    String context = context(told, "PostToolUse");
    assertTrue(context.contains("From " + MACHINE + "/api (thread " + thread), context);
    assertTrue(context.contains("Is the schema migrated?"), context);
    assertTrue(context.contains("intercom_reply(thread_id=\"" + thread + "\""), context);
    assertSilent(receiver.hook("PostToolUse"), "a message reaches the context once");
    assertEquals(0, other.toolJson("intercom_check_inbox", Map.of()).get("count").asInt());

    // the receiver answers through its own MCP server; the api agent gets it
    JsonNode answered =
        receiver.toolJson(
            "intercom_reply", Map.of("thread_id", thread, "message", "Yes, since v12."));
    assertEquals("delivered", answered.path("status").asText(), answered.toString());
    assertEquals("s-api", answered.path("session_id").asText());
    JsonNode back = api.inbox("s-api");
    assertEquals(1, back.size(), back.toString());
    assertEquals("Yes, since v12.", back.get(0).path("message").asText());
    assertEquals(MACHINE + "/web", back.get(0).path("from").asText());
    assertEquals(thread, back.get(0).path("thread_id").asText());

    // the api agent answers in the thread: it goes back to the session that wrote, not to the other
    Answer again = api.reply("s-api", thread, "Thanks. And the indexes?");
    assertEquals("delivered", again.text("status"), again.toString());
    assertEquals(receiving, again.text("session_id"));
    assertSilent(other.hook("UserPromptSubmit"), "the other agent's hook, second message");
    assertEquals(0, other.toolJson("intercom_check_inbox", Map.of()).get("count").asInt());
    JsonNode inbox = receiver.toolJson("intercom_check_inbox", Map.of());
    assertEquals(1, inbox.get("count").asInt(), inbox.toString());
    assertEquals("Thanks. And the indexes?", inbox.at("/messages/0/message").asText());
    assertSilent(receiver.hook("UserPromptSubmit"), "read through the tool, so not shown again");

    // the other session's own thread: its answer comes to it, though it may not be the newest web
    // session
    JsonNode opened =
        other.toolJson("intercom_chat", Map.of("to", MACHINE + "/api", "message", "Which port?"));
    assertEquals("s-api", opened.path("session_id").asText(), opened.toString());
    String otherThread = opened.path("thread_id").asText();
    assertNotEquals(thread, otherThread);
    assertEquals("Which port?", api.inbox("s-api").get(0).path("message").asText());
    Answer port = api.reply("s-api", otherThread, "8081");
    assertEquals(otherSession, port.text("session_id"), port.toString());
    assertSilent(receiver.hook("PostToolUse"), "the receiver's hook, the other's thread");
    String portContext = context(other.hook("PostToolUse"), "PostToolUse");
    assertTrue(
        portContext.contains("(thread " + otherThread) && portContext.contains("8081"),
        portContext);

    // both agents quit: their MCP servers end, their sessions and links with them
    List<CompletableFuture<Integer>> quits =
        web.stream()
            .map(
                agent ->
                    CompletableFuture.supplyAsync(
                        () -> {
                          try {
                            return agent.quit();
                          } catch (Exception e) {
                            throw new IllegalStateException(e);
                          }
                        }))
            .toList();
    for (int i = 0; i < web.size(); i++) {
      assertEquals(
          0,
          quits.get(i).get(30, TimeUnit.SECONDS),
          "agent did not quit; stderr:\n" + web.get(i).stderr());
      assertFalse(
          ProcessHandle.of(web.get(i).mcpPid()).map(ProcessHandle::isAlive).orElse(false),
          "the MCP server outlived its agent");
    }
    await(
        () -> webSessions().isEmpty(),
        () -> "the sessions outlived their agents: " + api.get("/api/sessions"));
    for (FakeAgent agent : web) {
      assertFalse(
          Files.exists(home.resolve("inbox/pid/" + agent.pid())), "the hook link of a gone agent");
    }
  }

  /**
   * The hooks of an agent whose own MCP server did not register (not configured for its project, or
   * not up yet when SessionStart runs) walk up past the agent to the processes it shares with the
   * other agents (here this JVM; in real life the terminal, tmux or systemd --user): they must not
   * take another session's messages.
   */
  @Test
  void anAgentWithoutASessionOfItsOwnSeesNoOtherSessionsMessages() throws Exception {
    assertEquals(200, api.register("s-api", "api", SELF).status());
    List<FakeAgent> web = startAgents("web", 2);
    Map<Long, String> sessionOf = awaitSessions("web", web);
    FakeAgent stranger =
        FakeAgent.startWithoutMcpServer(
            env, Files.createDirectories(home.resolve("projects/docs")), "docs", HOOK);
    agents.add(stranger);

    Answer sent = api.chat("s-api", MACHINE + "/web", "Is the schema migrated?");
    assertEquals("delivered", sent.text("status"), sent.toString());
    assertSilent(
        stranger.hook("SessionStart"),
        "the SessionStart hook of an agent without a session (it took a web"
            + " session's message through a pid link on an ancestor it shares with that session)");
    assertSilent(stranger.hook("PostToolUse"), "the hook of an agent without a session");
    FakeAgent receiver =
        web.stream()
            .filter(a -> sessionOf.get(a.pid()).equals(sent.text("session_id")))
            .findFirst()
            .orElseThrow();
    assertTrue(
        context(receiver.hook("PostToolUse"), "PostToolUse").contains("Is the schema migrated?"),
        "the message is still there for the session it was delivered to");
  }

  /**
   * Claude Code gives a session's hooks and its MCP server the same {@code CLAUDE_CODE_SESSION_ID}:
   * a hook finds its session by it even where no process links them (here the hook's parent is this
   * JVM, and the agents are other processes), and only its own.
   */
  @Test
  void aHookFindsItsSessionByTheClaudeSessionIdAndOnlyItsOwn() throws Exception {
    assertEquals(200, api.register("s-api", "api", SELF).status());
    Process first = new ProcessBuilder("sleep", "60").start();
    Process second = new ProcessBuilder("sleep", "60").start();
    try {
      String older = "4f0c2a9e-1111-4c3b-9d2e-0a1b2c3d4e5f";
      String newer = "4f0c2a9e-2222-4c3b-9d2e-0a1b2c3d4e5f";
      assertEquals(200, api.register(older, "web", first.pid()).status());
      assertEquals(200, api.register(newer, "web", second.pid()).status());
      Answer sent = api.chat("s-api", MACHINE + "/web", "Which session reads this?");
      assertEquals(newer, sent.text("session_id"), sent.toString());

      assertSilent(runHook(older, "PostToolUse"), "the other session's hook");
      assertSilent(runHook(null, "PostToolUse"), "a hook with no session id and no link");
      assertTrue(
          context(runHook(newer, "PostToolUse"), "PostToolUse")
              .contains("Which session reads this?"));
      assertSilent(runHook(newer, "PostToolUse"), "a message reaches the context once");
    } finally {
      first.destroyForcibly();
      second.destroyForcibly();
    }
  }

  /** Runs the hook script as Claude Code would, with {@code sessionId} in its environment. */
  private JsonNode runHook(String sessionId, String event) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("bash", HOOK.toString());
    builder.environment().putAll(env);
    builder.environment().remove("CLAUDE_CODE_SESSION_ID");
    if (sessionId != null) {
      builder.environment().put("CLAUDE_CODE_SESSION_ID", sessionId);
    }
    Process hook = builder.start();
    try (var in = hook.getOutputStream()) {
      in.write(
          ("{\"session_id\":\"" + sessionId + "\",\"hook_event_name\":\"" + event + "\"}")
              .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    String stdout = new String(hook.getInputStream().readAllBytes());
    String stderr = new String(hook.getErrorStream().readAllBytes());
    assertTrue(hook.waitFor(10, TimeUnit.SECONDS));
    return JsonFormat.MAPPER
        .createObjectNode()
        .put("exit", hook.exitValue())
        .put("stdout", stdout)
        .put("stderr", stderr);
  }

  /** {@code count} agents of {@code project}, started side by side. */
  private List<FakeAgent> startAgents(String project, int count) throws Exception {
    Path dir = Files.createDirectories(home.resolve("projects").resolve(project));
    List<CompletableFuture<FakeAgent>> starting = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      starting.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return FakeAgent.start(env, dir, project, HOOK);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              }));
    }
    List<FakeAgent> started = new ArrayList<>();
    try {
      for (CompletableFuture<FakeAgent> agent : starting) {
        started.add(agent.get(60, TimeUnit.SECONDS));
      }
    } finally {
      // every agent that came up is killed after the test, even when another did not
      starting.forEach(agent -> agent.thenAccept(agents::add));
    }
    return started;
  }

  /**
   * Waits until each agent's MCP server registered a session of {@code project} in its agent's
   * name: pid to id.
   */
  private Map<Long, String> awaitSessions(String project, List<FakeAgent> agents) throws Exception {
    Map<Long, String> sessions = new HashMap<>();
    await(
        () -> {
          sessions.clear();
          for (JsonNode session : api.get("/api/sessions").json().path("sessions")) {
            if (session.path("project").asText().equals(project)) {
              sessions.put(session.path("pid").asLong(), session.path("session_id").asText());
            }
          }
          return sessions.size() == agents.size();
        },
        () -> "the agents' MCP servers never registered: " + api.get("/api/sessions"));
    for (FakeAgent agent : agents) {
      String session = sessions.get(agent.pid());
      assertTrue(
          session != null, "no session names agent " + agent.pid() + " as its agent: " + sessions);
      assertEquals(
          session,
          Files.readString(home.resolve("inbox/pid/" + agent.pid())).trim(),
          "the link a hook of this agent finds first");
    }
    return sessions;
  }

  private List<JsonNode> webSessions() {
    List<JsonNode> web = new ArrayList<>();
    api.get("/api/sessions")
        .json()
        .path("sessions")
        .forEach(
            session -> {
              if (session.path("project").asText().equals("web")) {
                web.add(session);
              }
            });
    return web;
  }

  private static void assertSilent(JsonNode hook, String what) {
    assertEquals(0, hook.path("exit").asInt(-1), what + ": " + hook);
    assertEquals("", hook.path("stdout").asText(), what + " printed something: " + hook);
    assertEquals("", hook.path("stderr").asText(), what + ": " + hook);
  }

  /**
   * The additionalContext of a hook's output, checked to be Claude Code's format for {@code event}.
   */
  private static String context(JsonNode hook, String event) throws Exception {
    assertEquals(0, hook.path("exit").asInt(-1), hook.toString());
    assertFalse(hook.path("stdout").asText().isBlank(), "the hook printed nothing: " + hook);
    JsonNode output =
        JsonFormat.MAPPER.readTree(hook.path("stdout").asText()).path("hookSpecificOutput");
    assertEquals(event, output.path("hookEventName").asText(), hook.toString());
    return output.path("additionalContext").asText();
  }

  private static void await(BooleanSupplier condition, Supplier<String> what)
      throws InterruptedException {
    Await.until(condition, WAIT, what);
  }
}
