package ai.intercom.launcher;

import static ai.intercom.testing.ModelScript.lastMessageContains;
import static ai.intercom.testing.ModelScript.text;
import static ai.intercom.testing.ModelScript.toolUse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.ApiClient.Answer;
import ai.intercom.testing.Await;
import ai.intercom.testing.ModelApi;
import ai.intercom.testing.ModelRequest;
import ai.intercom.testing.ModelScript;
import ai.intercom.testing.RealClaude;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Missions run by the real Claude Code CLI (2.1.328), offline against the scripted model of {@link
 * ModelApi}: the launcher's command line as the real CLI reads it, the real stream-json relayed as
 * progress and result, {@code --resume} for follow-ups, and the real permission prompts through our
 * MCP server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RealClaudeLaunchTest {

  static final String MACHINE = "test-standalone";
  static final String WEB = MACHINE + "/web";
  static final long SELF = ai.intercom.testing.AgentProcess.pid();
  static final Duration RUN = Duration.ofSeconds(60);

  @TempDir static Path home;
  private final ModelScript script = new ModelScript();
  private ModelApi model;
  private Node node;
  private ApiClient api;
  private Path webPath;

  @BeforeAll
  void start() throws Exception {
    Path projects = Files.createDirectories(home.resolve("projects"));
    webPath = Files.createDirectories(projects.resolve("web/.git")).getParent().toRealPath();
    Files.writeString(webPath.resolve("README.md"), "The web project serves the shop.\n");
    // permission prompts for touch wait for the operator, the rest of Bash passes
    Files.writeString(
        home.resolve("policies.yml"),
        """
        defaults:
          require_approval: never
        rules:
          - type: permission
            message_pattern: "touch"
            approval: once
        """);
    model = ModelApi.start(script);
    Map<String, String> env = new HashMap<>();
    env.put("INTERCOM_SCAN_PATHS", projects.toString());
    env.put("INTERCOM_AGENT_COMMAND", RealClaude.executable().toString());
    Map<String, Object> config = new HashMap<>();
    config.put("intercom.agent-launcher.allowed-paths", List.of(projects.toString()));
    config.put("intercom.approval.timeout", "30s");
    config.put("intercom.agent-launcher.max-mission-duration", "90s");
    // offline: the model is the stand-in, the CLI's own traffic is off, a throwaway HOME
    config.put(
        "intercom.agent-launcher.environment",
        Map.of(
            "HOME", Files.createDirectories(home.resolve("agent-home")).toString(),
            "ANTHROPIC_BASE_URL", model.baseUrl(),
            "ANTHROPIC_API_KEY", "sk-ant-offline-test",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1",
            "CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL", "1",
            "DISABLE_AUTOUPDATER", "1"));
    node = TestNodes.start(home, "standalone", env, config);
    api = new ApiClient(node, home);
    assertEquals(200, api.register("s-api", "api", SELF).status());
    Await.until(() -> api.get("/api/agents").json().toString().contains(WEB));
  }

  @AfterAll
  void stop() throws Exception {
    TestNodes.stop(node);
    model.close();
  }

  @Test
  void aMissionRunsTheRealCliWhoseToolsAndResultReachTheMissionAndAFollowUpResumesIt()
      throws Exception {
    script
        .on(lastMessageContains("MISSION-README"))
        .answerOnce(toolUse("Read", Map.of("file_path", webPath.resolve("README.md").toString())))
        .on(lastToolResultContains("serves the shop"))
        .answerOnce(toolUse("Bash", Map.of("command", "echo bash-ran-here", "description", "echo")))
        .on(lastToolResultContains("bash-ran-here"))
        .answerOnce(text("The README says the web project serves the shop."))
        .on(lastMessageContains("FOLLOW-UP-ONE"))
        .answerOnce(text("Still the same conversation: it serves the shop."));

    String id = launch("MISSION-README: what does this project do?");
    JsonNode done = finished(id);
    assertEquals("completed", done.path("status").asText(), done.toString());
    assertEquals("The README says the web project serves the shop.", done.path("result").asText());
    // what the real result line says
    String session = done.path("agent_session_id").asText();
    assertTrue(session.matches("[0-9a-f-]{36}"), done.toString());
    assertTrue(done.path("duration_ms").asLong() > 0, done.toString());
    assertTrue(done.has("cost_usd"), done.toString());
    String history = history(id);
    assertTrue(history.contains("Read README.md"), history);
    assertTrue(history.contains("Bash: echo bash-ran-here"), history);
    // the real CLI sent the whole prompt, and its session id, to the model
    ModelRequest first =
        model.awaitAgentTurn(lastMessageContains("MISSION-README"), Duration.ofSeconds(5));
    assertTrue(
        first.contextText().contains("MISSION-README: what does this project do?"),
        first.contextText());
    assertEquals(session, first.header("x-claude-code-session-id"));

    // a follow-up continues the same conversation: the model sees the earlier turns
    assertEquals(200, api.reply("s-api", id, "FOLLOW-UP-ONE: and now?").status());
    Await.until(
        () -> status(id).path("result").asText().startsWith("Still the same conversation"),
        RUN,
        () -> status(id).toString());
    ModelRequest resumed =
        model.awaitAgentTurn(lastMessageContains("FOLLOW-UP-ONE"), Duration.ofSeconds(5));
    String context = resumed.contextText();
    assertTrue(context.contains("MISSION-README: what does this project do?"), context);
    assertTrue(context.contains("The README says the web project serves the shop."), context);
    assertEquals(session, status(id).path("agent_session_id").asText());
  }

  @Test
  void theRealCliAsksTheOperatorBeforeBashAndObeysTheAnswer() throws Exception {
    script
        .on(lastMessageContains("MISSION-TOUCH-YES"))
        .answerOnce(toolUse("Bash", Map.of("command", "touch approved.txt", "description", "t")))
        .on(lastMessageContains("MISSION-TOUCH-NO"))
        .answerOnce(toolUse("Bash", Map.of("command", "touch denied.txt", "description", "t")))
        .on(lastToolResultContains("not in this repository"))
        .answerOnce(text("I was not allowed to create denied.txt."))
        .on(lastMessageIsToolResultOf("touch approved.txt"))
        .answerOnce(text("approved.txt is there."));

    String yes = launch("MISSION-TOUCH-YES create a file");
    JsonNode prompt = permissionPrompt(yes);
    assertTrue(
        prompt.at("/request/message").asText().contains("touch approved.txt"), prompt.toString());
    assertEquals(
        200,
        api.post("/api/approvals/" + prompt.path("id").asText() + "/approve", Map.of()).status());
    assertEquals("approved.txt is there.", finished(yes).path("result").asText());
    assertTrue(Files.exists(webPath.resolve("approved.txt")));

    String no = launch("MISSION-TOUCH-NO create a file");
    JsonNode refused = permissionPrompt(no);
    assertEquals(
        200,
        api.post(
                "/api/approvals/" + refused.path("id").asText() + "/deny",
                Map.of("reason", "not in this repository"))
            .status());
    assertEquals("I was not allowed to create denied.txt.", finished(no).path("result").asText());
    assertFalse(Files.exists(webPath.resolve("denied.txt")));
    // the denial reached the model as the tool's result
    ModelRequest after =
        model.awaitAgentTurn(lastToolResultContains("not in this repository"), RUN);
    JsonNode result = after.toolResults().get(after.toolResults().size() - 1);
    assertTrue(result.path("is_error").asBoolean(), result.toString());
  }

  private static Predicate<ModelRequest> lastToolResultContains(String text) {
    return request ->
        request.lastMessageIsToolResult()
            && request.toolResults().stream()
                .map(ModelRequest::toolResultText)
                .reduce((a, b) -> b)
                .orElse("")
                .contains(text);
  }

  /** The last message is the result of the tool use whose input holds {@code text}. */
  private static Predicate<ModelRequest> lastMessageIsToolResultOf(String text) {
    return request ->
        request.lastMessageIsToolResult()
            && request.toolUses().stream()
                .reduce((a, b) -> b)
                .map(use -> use.path("input").toString().contains(text))
                .orElse(false);
  }

  private String launch(String mission) {
    Answer started =
        api.post(
            "/api/start_agent",
            Map.of(
                "session_id", "s-api", "machine", MACHINE, "project", "web", "mission", mission));
    assertEquals(200, started.status(), started.toString());
    return started.text("mission_id");
  }

  private JsonNode status(String missionId) {
    return api.mission(missionId);
  }

  private JsonNode finished(String missionId) throws InterruptedException {
    return api.finishedMission(missionId, RUN);
  }

  private String history(String missionId) {
    return api.missionHistory(missionId);
  }

  /** The pending permission prompt of a mission, once the agent asked. */
  private JsonNode permissionPrompt(String missionId) throws InterruptedException {
    return api.pendingApprovalOf(missionId, RUN);
  }
}
