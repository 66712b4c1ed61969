package ai.intercom.mcp;

import static ai.intercom.testing.ModelScript.lastMessageContains;
import static ai.intercom.testing.ModelScript.text;
import static ai.intercom.testing.ModelScript.toolUse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Main;
import ai.intercom.app.Node;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.Await;
import ai.intercom.testing.ModelApi;
import ai.intercom.testing.ModelRequest;
import ai.intercom.testing.ModelScript;
import ai.intercom.testing.RealClaude;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Claude Code session (2.1.328, offline against {@link ModelApi}) set up as the README tells
 * a user: the intercom MCP server in the project's {@code .mcp.json}, the inbox hook on {@code
 * PostToolUse}. Its MCP server registers the session under the CLI's own session id, a chat to its
 * project reaches the model's context through the hook while it works, and when the CLI exits the
 * session leaves and its unread messages go back to the project.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RealClaudeSessionTest {

  static final String MACHINE = "test-standalone";
  static final long SELF = ProcessHandle.current().pid();
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir static Path home;
  private final ModelScript script = new ModelScript();
  private ModelApi model;
  private Node node;
  private ApiClient api;
  private Path project;
  private Path settings;

  @BeforeAll
  void start() throws Exception {
    Path projects = Files.createDirectories(home.resolve("projects"));
    project = Files.createDirectories(projects.resolve("shop/.git")).getParent().toRealPath();
    Files.writeString(
        home.resolve("policies.yml"), "defaults:\n  require_approval: never\nrules: []\n");
    model = ModelApi.start(script);
    node =
        TestNodes.start(
            home, "standalone", Map.of("INTERCOM_SCAN_PATHS", projects.toString()), Map.of());
    api = new ApiClient(node, home);
    assertEquals(200, api.register("s-sender", "sender", SELF).status());
    // as the README says: the MCP server in .mcp.json, the hooks of deploy/claude-hooks.json
    List<String> server =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "mcp-server");
    Files.writeString(
        project.resolve(".mcp.json"),
        JsonFormat.MAPPER.writeValueAsString(
            Map.of(
                "mcpServers",
                Map.of(
                    "ai-intercom",
                    Map.of("command", server.get(0), "args", server.subList(1, server.size()))))));
    settings = home.resolve("claude-settings.json");
    Files.writeString(
        settings,
        Files.readString(Path.of("deploy", "claude-hooks.json"))
            .replace("/path/to/ai-intercom", Path.of("").toAbsolutePath().toString()));
  }

  @AfterAll
  void stop() throws Exception {
    TestNodes.stop(node);
    model.close();
  }

  @Test
  void aChatReachesARealSessionsContextThroughItsHookAndItsEndReturnsWhatItDidNotRead()
      throws Exception {
    script
        .on(lastMessageContains("WORK-ONE"))
        .answerOnce(toolUse("Bash", Map.of("command", "echo working", "description", "work")))
        .on(request -> request.lastMessageIsToolResult())
        .answerAlways(text("Done with the work."));

    Process cli = startSession(postToolUseOnly(), "claude.err", "--allowedTools", "Bash");
    BufferedReader out =
        new BufferedReader(new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<List<String>> lines =
        CompletableFuture.supplyAsync(() -> out.lines().toList());
    OutputStream in = cli.getOutputStream();
    try {
      // the first turn starts the session; its MCP server registers it under the CLI's own id
      say(in, "hello");
      ModelRequest first = model.awaitAgentTurn(lastMessageContains("hello"), WAIT);
      String sessionId = first.header("x-claude-code-session-id");
      Await.until(() -> sessions().contains(sessionId), WAIT, this::sessions);

      // a chat to the project lands in that session's inbox, and its next tool use brings it in
      JsonNode sent =
          api.chat("s-sender", MACHINE + "/shop", "PING-FROM-SENDER: are you up?").json();
      assertEquals("delivered", sent.path("status").asText(), sent.toString());
      assertEquals(sessionId, sent.path("session_id").asText(), sent.toString());
      say(in, "WORK-ONE please");
      ModelRequest after =
          model.awaitAgentTurn(
              request ->
                  request.lastMessageIsToolResult()
                      && request.contextText().contains("PING-FROM-SENDER: are you up?"),
              WAIT);
      assertTrue(
          after.contextText().contains("PostToolUse:Bash hook additional context:"),
          after.contextText());

      // one it never reads: when the CLI ends, the session leaves and the message goes back
      api.chat("s-sender", MACHINE + "/shop", "UNREAD-AT-EXIT: still there?");
      in.close();
      assertTrue(cli.waitFor(30, TimeUnit.SECONDS), "the CLI ends when its input ends");
      long ended = System.nanoTime();
      Await.until(() -> !sessions().contains(sessionId), Duration.ofSeconds(5), this::sessions);
      long tookMs = (System.nanoTime() - ended) / 1_000_000;
      System.err.println("session left the directory " + tookMs + " ms after the CLI ended");
      assertEquals(200, api.register("s-next", "shop", SELF).status());
      assertTrue(
          api.inbox("s-next").toString().contains("UNREAD-AT-EXIT: still there?"),
          "the unread message went back to the project's queue");
      api.call("DELETE", "/api/sessions/s-next", "");
      assertTrue(
          lines.get(10, TimeUnit.SECONDS).stream()
              .anyMatch(l -> l.contains("\"type\":\"result\"")));
    } finally {
      cli.destroyForcibly();
    }
  }

  @Test
  void aKilledSessionIsNoticedByLivenessAndItsUnreadMessagesGoBack() throws Exception {
    script
        .on(lastMessageContains("KILLED-WORK"))
        .answerOnce(toolUse("Bash", Map.of("command", "echo working", "description", "work")))
        .on(request -> request.lastMessageIsToolResult())
        .answerAlways(text("Done with the work."));
    Process cli = startSession(postToolUseOnly(), "claude-killed.err", "--allowedTools", "Bash");
    BufferedReader out =
        new BufferedReader(new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture.runAsync(() -> out.lines().forEach(line -> {}));
    OutputStream in = cli.getOutputStream();
    try {
      say(in, "KILLED-HELLO");
      String sessionId =
          model
              .awaitAgentTurn(lastMessageContains("KILLED-HELLO"), WAIT)
              .header("x-claude-code-session-id");
      Await.until(() -> sessions().contains(sessionId), WAIT, this::sessions);

      // its MCP server killed (it cannot unregister): the agent lives on, and so does its session
      ProcessHandle server =
          cli.descendants()
              .filter(RealClaudeSessionTest::isMcpServer)
              .findFirst()
              .orElseThrow(
                  () ->
                      new AssertionError(
                          "the CLI started no MCP server: "
                              + cli.descendants().map(p -> p.pid() + " " + cmdline(p)).toList()));
      server.destroyForcibly();
      server.onExit().get(10, TimeUnit.SECONDS);
      JsonNode sent = api.chat("s-sender", MACHINE + "/shop", "AFTER-SERVER-KILL: hi").json();
      assertEquals(sessionId, sent.path("session_id").asText(), sent.toString());
      say(in, "KILLED-WORK please");
      model.awaitAgentTurn(
          request ->
              request.lastMessageIsToolResult()
                  && request.contextText().contains("AFTER-SERVER-KILL: hi"),
          WAIT);

      // the agent killed too: liveness notices, and what it did not read goes back
      api.chat("s-sender", MACHINE + "/shop", "UNREAD-AT-KILL: still there?");
      cli.descendants().forEach(ProcessHandle::destroyForcibly);
      cli.destroyForcibly();
      assertTrue(cli.waitFor(10, TimeUnit.SECONDS));
      long killed = System.nanoTime();
      Await.until(() -> !sessions().contains(sessionId), Duration.ofSeconds(15), this::sessions);
      System.err.println(
          "killed session left "
              + (System.nanoTime() - killed) / 1_000_000
              + " ms after the kill (liveness interval 5 s)");
      assertEquals(200, api.register("s-after-kill", "shop", SELF).status());
      assertTrue(
          api.inbox("s-after-kill").toString().contains("UNREAD-AT-KILL: still there?"),
          "the unread message went back to the project's queue");
    } finally {
      api.call("DELETE", "/api/sessions/s-after-kill", "");
      cli.descendants().forEach(ProcessHandle::destroyForcibly);
      cli.destroyForcibly();
      Await.until(() -> !sessions().contains("\"shop\""), WAIT, this::sessions);
    }
  }

  @Test
  void aHeadlessRunWithTheProductsHooksEndsAsFastAsOneWithout() throws Exception {
    script.on(lastMessageContains("HEADLESS-RUN")).answerAlways(text("Headless and done."));
    long started = System.nanoTime();
    RealClaude.Run bare =
        claude().run(WAIT, "-p", "HEADLESS-RUN without hooks", "--output-format", "json");
    long bareMs = (System.nanoTime() - started) / 1_000_000;
    started = System.nanoTime();
    // the Stop and SessionStart hooks wait for messages (asyncRewake): under -p they must not
    RealClaude.Run hooked =
        claude()
            .withEnv("INTERCOM_WAIT_SECONDS", "600")
            .run(
                WAIT,
                "-p",
                "HEADLESS-RUN with the hooks",
                "--output-format",
                "json",
                "--settings",
                settings.toString());
    long hookedMs = (System.nanoTime() - started) / 1_000_000;
    System.err.println("headless run: " + bareMs + " ms bare, " + hookedMs + " ms with the hooks");
    assertEquals(0, bare.exitCode(), bare.toString());
    assertEquals(0, hooked.exitCode(), hooked.toString());
    assertTrue(hooked.stdout().contains("Headless and done."), hooked.toString());
    assertTrue(
        hookedMs < bareMs + 5_000, "with the hooks " + hookedMs + " ms, without " + bareMs + " ms");
  }

  @Test
  void anIdleSessionWakesWhenAMessageArrives() throws Exception {
    script
        .on(lastMessageContains("IDLE-HELLO"))
        .answerOnce(text("Waiting for news."))
        .on(lastMessageContains("WAKE-UP-CALL"))
        .answerOnce(text("Woken by the message."));
    Process cli = startSession(settings, "claude-idle.err");
    BufferedReader out =
        new BufferedReader(new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture.runAsync(() -> out.lines().forEach(line -> {}));
    OutputStream in = cli.getOutputStream();
    try {
      say(in, "IDLE-HELLO");
      String sessionId =
          model
              .awaitAgentTurn(lastMessageContains("IDLE-HELLO"), WAIT)
              .header("x-claude-code-session-id");
      Await.until(() -> sessions().contains(sessionId), WAIT, this::sessions);
      // its turn is over, its Stop hook waits in the background; a message starts a new turn
      JsonNode sent = api.chat("s-sender", MACHINE + "/shop", "WAKE-UP-CALL: news for you").json();
      assertEquals(sessionId, sent.path("session_id").asText(), sent.toString());
      ModelRequest woken =
          model.awaitAgentTurn(lastMessageContains("WAKE-UP-CALL: news for you"), WAIT);
      assertEquals(sessionId, woken.header("x-claude-code-session-id"));
    } finally {
      in.close();
      cli.waitFor(10, TimeUnit.SECONDS);
      cli.destroyForcibly();
    }
  }

  /**
   * A real session taking user messages as stream-json lines on its stdin (open until closed), with
   * {@code hooks} as its settings.
   */
  private Process startSession(Path hooks, String errFile, String... more) throws Exception {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "-p",
                "--input-format",
                "stream-json",
                "--output-format",
                "stream-json",
                "--verbose",
                "--settings",
                hooks.toString()));
    args.addAll(List.of(more));
    return claude()
        .processBuilder(args.toArray(String[]::new))
        .redirectInput(ProcessBuilder.Redirect.PIPE)
        .redirectError(home.resolve(errFile).toFile())
        .start();
  }

  /**
   * Settings with only the PostToolUse hook: a waiting hook would read what a test leaves unread.
   */
  private Path postToolUseOnly() throws Exception {
    return RealClaude.postToolUseSettings(home.resolve("post-tool-use.json"));
  }

  /**
   * Whether the process is our MCP server (read from {@code /proc}: the JDK's {@code
   * ProcessHandle.Info} gives up on a command line as long as the test class path).
   */
  private static boolean isMcpServer(ProcessHandle process) {
    return cmdline(process).endsWith("\0mcp-server\0");
  }

  private static String cmdline(ProcessHandle process) {
    try {
      return Files.readString(Path.of("/proc", String.valueOf(process.pid()), "cmdline"));
    } catch (java.io.IOException gone) {
      return "(gone: " + gone + ")";
    }
  }

  /** One user message to a running session. */
  private static void say(OutputStream in, String text) throws Exception {
    in.write(RealClaude.userMessageLine(text).getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  private RealClaude claude() {
    return RealClaude.offline(model, home.resolve("claude-home"), project)
        .withEnv("INTERCOM_HOME", home.toString())
        .withEnv("INTERCOM_HTTP_PORT", String.valueOf(api.port()));
  }

  private String sessions() {
    return api.get("/api/sessions").json().toString();
  }
}
