package ai.intercom.mcp;

import static ai.intercom.testing.ModelScript.contextContains;
import static ai.intercom.testing.ModelScript.lastMessageContains;
import static ai.intercom.testing.ModelScript.text;
import static ai.intercom.testing.ModelScript.toolUse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real Claude Code sessions (2.1.328, offline against {@link ModelApi}) set up with the
 * commands and snippets of the README's "Claude Code" section, read from the README itself: one
 * with the MCP server from {@code claude mcp add -s user}, one from the project's {@code
 * .mcp.json}, both with the hooks merged into {@code ~/.claude/settings.json}. Their models talk:
 * A's {@code intercom_chat} reaches busy B's context through B's hook, B's {@code intercom_reply}
 * reaches A's the same way; of two sessions in one folder exactly one sees a message.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RealClaudeChatTest {

  static final String MACHINE = "test-standalone";
  static final Duration WAIT = Duration.ofSeconds(90);
  static final Path CHECKOUT = Path.of("").toAbsolutePath();
  static final Pattern REPLY_TO = Pattern.compile("intercom_reply\\(thread_id=\\\"([^\\\"]+)\\\"");

  @TempDir static Path home;
  private final ModelScript script = new ModelScript();
  private final List<Process> clis = new ArrayList<>();
  private ModelApi model;
  private Node node;
  private ApiClient api;
  private Path shop;
  private Path web;
  private Path userScopeHome;
  private Path projectScopeHome;

  @BeforeAll
  void start() throws Exception {
    Path projects = Files.createDirectories(home.resolve("projects"));
    shop = Files.createDirectories(projects.resolve("shop/.git")).getParent().toRealPath();
    web = Files.createDirectories(projects.resolve("web/.git")).getParent().toRealPath();
    Files.writeString(
        home.resolve("policies.yml"), "defaults:\n  require_approval: never\nrules: []\n");
    model = ModelApi.start(script);
    node =
        TestNodes.start(
            home, "standalone", Map.of("INTERCOM_SCAN_PATHS", projects.toString()), Map.of());
    api = new ApiClient(node, home);
    userScopeHome = home.resolve("claude-user-scope");
    projectScopeHome = home.resolve("claude-project-scope");
  }

  @AfterAll
  void stop() throws Exception {
    for (Process cli : clis) {
      cli.descendants().forEach(ProcessHandle::destroyForcibly);
      cli.destroyForcibly();
    }
    TestNodes.stop(node);
    model.close();
  }

  @Test
  void theReadmesSetUpConnectsTheServerAndMergesTheHooksKeepingTheUsersOwn() throws Exception {
    String setUp = readmeBlocks().get(0);
    assertTrue(setUp.startsWith("scripts/ai-intercom setup claude\n"), setUp);
    Path fresh = home.resolve("claude-readme");
    // a user's own settings and hooks survive the merge
    Path settings = Files.createDirectories(fresh.resolve(".claude")).resolve("settings.json");
    Files.writeString(
        settings,
        "{\"env\": {\"MY_OWN\": \"kept\"}, \"hooks\": {\"PostToolUse\": [{\"matcher\": \"Edit\","
            + " \"hooks\": [{\"type\": \"command\", \"command\": \"true\"}]}]}}");
    RunResult added = runReadme(setUp, fresh);
    assertEquals(0, added.exit(), added.output());
    assertTrue(
        added.output().contains("scripts/ai-intercom mcp-server - ✔ Connected"), added.output());
    String once = Files.readString(settings);
    RunResult again = runReadme(setUp, fresh);
    assertEquals(0, again.exit(), again.output());
    assertEquals(once, Files.readString(settings), "a second run changes nothing");
    JsonNode merged = JsonFormat.MAPPER.readTree(once);
    assertEquals("kept", merged.path("env").path("MY_OWN").asText(), once);
    assertEquals(2, merged.path("hooks").path("PostToolUse").size(), once);
    assertEquals("Edit", merged.path("hooks").path("PostToolUse").get(0).path("matcher").asText());
    assertTrue(once.contains(CHECKOUT.resolve("scripts/check-inbox-hook.sh").toString()), once);
    assertFalse(once.contains("/path/to/ai-intercom"), once);
  }

  @Test
  void aChatFromOneRealSessionReachesAnotherBusyOneAndItsReplyComesBack() throws Exception {
    setUpBothHomes();
    AtomicBoolean bored = new AtomicBoolean();
    script
        // B, at work in the shop, answers the chat its hook brought in
        .on(contextContains("B-WORK").and(contextContains("CHAT-A-TO-B")).and(not("REPLY-B-TO-A")))
        .answerOnceWith(
            request ->
                toolUse(
                    "mcp__ai-intercom__intercom_reply",
                    Map.of(
                        "thread_id",
                        threadToAnswer(request),
                        "message",
                        "REPLY-B-TO-A: the shop listens on 8080")))
        .on(contextContains("B-WORK").and(contextContains("REPLY-B-TO-A")))
        .answerAlways(text("B replied."))
        .on(contextContains("B-WORK").and(request -> !bored.get()))
        .answerAlways(busy())
        // A asks the shop, then keeps working until the answer shows up in its context
        .on(lastMessageContains("A-START"))
        .answerOnce(
            toolUse(
                "mcp__ai-intercom__intercom_chat",
                Map.of("to", MACHINE + "/shop", "message", "CHAT-A-TO-B: which port?")))
        .on(contextContains("A-START").and(contextContains("REPLY-B-TO-A")))
        .answerAlways(text("A has the port."))
        .on(contextContains("A-START").and(request -> !bored.get()))
        .answerAlways(busy());
    try {
      OutputStream b = session(userScopeHome, shop, "B-WORK: build the shop");
      String bId = sessionOf(lastMessageContains("B-WORK"));
      Await.until(() -> sessions().contains(bId), WAIT, this::sessions);
      OutputStream a = session(projectScopeHome, web, "A-START: ask the shop for its port");
      String aId = sessionOf(lastMessageContains("A-START"));

      // A's tool call found B's session
      ModelRequest chatResult =
          model.awaitAgentTurn(
              request ->
                  aId.equals(request.header("x-claude-code-session-id"))
                      && request.lastMessageIsToolResult()
                      && request.contextText().contains("\"session_id\":\"" + bId + "\""),
              WAIT);
      assertTrue(chatResult.contextText().contains("delivered"), chatResult.contextText());

      // B sees it while busy: after a Bash call of its own, through its PostToolUse hook
      ModelRequest seenByB =
          model.awaitAgentTurn(
              request ->
                  bId.equals(request.header("x-claude-code-session-id"))
                      && request.contextText().contains("CHAT-A-TO-B: which port?"),
              WAIT);
      assertTrue(seenByB.lastMessageIsToolResult(), seenByB.summary());
      assertTrue(
          seenByB.contextText().contains("PostToolUse:Bash hook additional context:"),
          seenByB.contextText());
      assertTrue(seenByB.contextText().contains("From " + MACHINE + "/web"), seenByB.contextText());

      // B's reply reaches A's next request the same way
      ModelRequest seenByA =
          model.awaitAgentTurn(
              request ->
                  aId.equals(request.header("x-claude-code-session-id"))
                      && request.contextText().contains("REPLY-B-TO-A: the shop listens on 8080"),
              WAIT);
      assertTrue(
          seenByA.contextText().contains("PostToolUse:Bash hook additional context:"),
          seenByA.contextText());
      assertTrue(
          seenByA.contextText().contains("From " + MACHINE + "/shop"), seenByA.contextText());
      bored.set(true);
      a.close();
      b.close();
      endAll();
    } finally {
      bored.set(true);
      endAll();
    }
  }

  @Test
  void ofTwoSessionsOfOneProjectInOneFolderExactlyOneSeesAMessage() throws Exception {
    setUpBothHomes();
    assertEquals(200, api.register("s-sender", "sender", ProcessHandle.current().pid()).status());
    AtomicBoolean bored = new AtomicBoolean();
    script.on(contextContains("TWIN-").and(request -> !bored.get())).answerAlways(busy());
    try {
      OutputStream one = session(userScopeHome, shop, "TWIN-ONE: work in the shop");
      OutputStream two = session(userScopeHome, shop, "TWIN-TWO: work in the shop too");
      String oneId = sessionOf(lastMessageContains("TWIN-ONE"));
      String twoId = sessionOf(lastMessageContains("TWIN-TWO"));
      Await.until(
          () -> sessions().contains(oneId) && sessions().contains(twoId), WAIT, this::sessions);

      JsonNode sent = api.chat("s-sender", MACHINE + "/shop", "FOR-ONE-TWIN: hello").json();
      String target = sent.path("session_id").asText();
      assertTrue(target.equals(oneId) || target.equals(twoId), sent.toString());
      String other = target.equals(oneId) ? twoId : oneId;
      model.awaitAgentTurn(
          request ->
              target.equals(request.header("x-claude-code-session-id"))
                  && request.contextText().contains("FOR-ONE-TWIN: hello"),
          WAIT);
      // the other twin works on for three more tool calls and never sees it
      int before = turnsOf(other).size();
      Await.until(() -> turnsOf(other).size() >= before + 3, WAIT, () -> "the other twin stalled");
      for (ModelRequest request : turnsOf(other)) {
        assertFalse(request.contextText().contains("FOR-ONE-TWIN"), request.summary());
      }
      assertNotEquals(target, other);
      bored.set(true);
      one.close();
      two.close();
      endAll();
    } finally {
      bored.set(true);
      api.call("DELETE", "/api/sessions/s-sender", "");
      endAll();
    }
  }

  // The README's set-up.

  /** The {@code sh} and {@code json} blocks of the README's "Claude Code" section, in order. */
  static List<String> readmeBlocks() throws IOException {
    String readme = Files.readString(CHECKOUT.resolve("README.md"));
    int start = readme.indexOf("\n## Claude Code\n");
    assertTrue(start >= 0, "the README has a Claude Code section");
    int end = readme.indexOf("\n## ", start + 1);
    String section = readme.substring(start, end < 0 ? readme.length() : end);
    Matcher block = Pattern.compile("```(sh|json)\n(.*?)```", Pattern.DOTALL).matcher(section);
    List<String> blocks = new ArrayList<>();
    while (block.find()) {
      blocks.add(block.group(2));
    }
    assertEquals(2, blocks.size(), "setup claude, and .mcp.json: " + blocks);
    return blocks;
  }

  /**
   * Both homes as the README says: one set up with {@code setup claude} (the server added for the
   * user), one with only the hooks from it (no {@code claude} on its PATH) and the project's {@code
   * .mcp.json}.
   */
  private void setUpBothHomes() throws Exception {
    if (!Files.exists(userScopeHome.resolve(".claude.json"))) {
      List<String> blocks = readmeBlocks();
      RunResult added = runReadme(blocks.get(0), userScopeHome);
      assertEquals(0, added.exit(), added.output());
      Files.writeString(
          web.resolve(".mcp.json"),
          blocks.get(1).replace("/path/to/ai-intercom", CHECKOUT.toString()));
      RunResult hooks = runReadme("scripts/ai-intercom setup claude", projectScopeHome, false);
      assertEquals(0, hooks.exit(), hooks.output());
      assertTrue(hooks.output().contains("'claude' is not on PATH"), hooks.output());
    }
  }

  record RunResult(int exit, String output) {}

  /** Runs a README block with bash in the checkout, as a user of {@code claudeHome} would. */
  private RunResult runReadme(String block, Path claudeHome) throws Exception {
    return runReadme(block, claudeHome, true);
  }

  private RunResult runReadme(String block, Path claudeHome, boolean claudeOnPath)
      throws Exception {
    ProcessBuilder bash =
        claude(claudeHome, CHECKOUT)
            .processBuilder()
            .command("bash", "-euo", "pipefail", "-c", block)
            .redirectErrorStream(true);
    Path claudeDir = RealClaude.executable().getParent();
    if (claudeOnPath) {
      bash.environment().put("PATH", claudeDir + ":" + bash.environment().get("PATH"));
    }
    Process process = bash.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the README block ends: " + block);
    return new RunResult(process.exitValue(), output);
  }

  // Sessions.

  /**
   * A real session in {@code folder} with {@code claudeHome}'s settings, fed stream-json on its
   * stdin, given its first message; the intercom tools and Bash allowed.
   */
  private OutputStream session(Path claudeHome, Path folder, String first) throws Exception {
    Process cli =
        claude(claudeHome, folder)
            .processBuilder(
                "-p",
                "--input-format",
                "stream-json",
                "--output-format",
                "stream-json",
                "--verbose",
                "--allowedTools",
                "Bash,mcp__ai-intercom")
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(Files.createTempFile(home, "claude-", ".err").toFile())
            .start();
    clis.add(cli);
    OutputStream in = cli.getOutputStream();
    in.write(RealClaude.userMessageLine(first).getBytes(StandardCharsets.UTF_8));
    in.flush();
    return in;
  }

  /** The session id of the CLI whose request first matches. */
  private String sessionOf(Predicate<ModelRequest> first) throws Exception {
    return model.awaitAgentTurn(first, WAIT).header("x-claude-code-session-id");
  }

  private List<ModelRequest> turnsOf(String sessionId) {
    return model.agentTurns().stream()
        .filter(request -> sessionId.equals(request.header("x-claude-code-session-id")))
        .toList();
  }

  /** Ends the sessions started so far: their input is closed, they get 20 s, then are killed. */
  private void endAll() throws Exception {
    for (Process cli : clis) {
      try {
        cli.getOutputStream().close();
      } catch (IOException alreadyClosed) {
        // closed by the test
      }
      if (!cli.waitFor(20, TimeUnit.SECONDS)) {
        cli.descendants().forEach(ProcessHandle::destroyForcibly);
        cli.destroyForcibly();
      }
    }
    clis.clear();
  }

  private RealClaude claude(Path claudeHome, Path folder) {
    return RealClaude.offline(model, claudeHome, folder)
        .withEnv("INTERCOM_HOME", home.toString())
        .withEnv("INTERCOM_HTTP_PORT", String.valueOf(api.port()))
        .withEnv("INTERCOM_CLASSPATH", System.getProperty("java.class.path"));
  }

  private String sessions() {
    return api.get("/api/sessions").json().toString();
  }

  /** A tool call that keeps a session busy for half a second. */
  private static ModelScript.Answer busy() {
    return toolUse("Bash", Map.of("command", "sleep 0.5", "description", "work"));
  }

  private static Predicate<ModelRequest> not(String text) {
    return contextContains(text).negate();
  }

  /** The thread id the hook's notice tells the model to answer. */
  private static String threadToAnswer(ModelRequest request) {
    Matcher matcher = REPLY_TO.matcher(request.contextText());
    String thread = null;
    while (matcher.find()) {
      thread = matcher.group(1);
    }
    assertTrue(thread != null, "the notice names a thread: " + request.contextText());
    return thread;
  }
}
