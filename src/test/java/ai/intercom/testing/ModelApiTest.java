package ai.intercom.testing;

import static ai.intercom.testing.ModelScript.contextContains;
import static ai.intercom.testing.ModelScript.lastMessageContains;
import static ai.intercom.testing.ModelScript.lastMessageIsToolResult;
import static ai.intercom.testing.ModelScript.text;
import static ai.intercom.testing.ModelScript.toolUse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the {@link ModelApi} stand-in: the real Claude Code CLI runs against it offline (print
 * mode, a tool call, a resumed session), and its HTTP answers have the Messages API's shapes.
 */
@Timeout(120)
class ModelApiTest {

  private static final Duration RUN = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path temp;
  private ModelApi api;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() {
    api = ModelApi.start();
  }

  @AfterEach
  void stop() {
    api.close();
  }

  // With the real CLI.

  /** The CLI with one HOME and project per test (a resumed session needs the same two). */
  private RealClaude claude() {
    return RealClaude.offline(api, temp.resolve("home"), temp.resolve("project"));
  }

  @Test
  void printModeAnswersWithTheScriptedText() throws Exception {
    api.script()
        .on(contextContains("say the password"))
        .answerOnce(text("The password is swordfish."));

    RealClaude.Run run =
        claude().run(RUN, "-p", "say the password", "--output-format", "stream-json", "--verbose");

    assertEquals(0, run.exitCode(), run::toString);
    JsonNode result = run.resultLine();
    assertEquals("success", result.path("subtype").asText(), run::toString);
    assertFalse(result.path("is_error").asBoolean(), run::toString);
    assertEquals("The password is swordfish.", result.path("result").asText());
    assertEquals(0, api.script().rulesLeft());

    ModelRequest turn = api.agentTurns().get(0);
    assertTrue(turn.contextText().contains("say the password"), turn::summary);
    assertTrue(turn.isStreaming());
    assertEquals("beta=true", turn.query());
    assertEquals(result.path("session_id").asText(), turn.header("x-claude-code-session-id"));
    assertTrue(
        api.requests().stream().allMatch(ModelRequest::isMessages),
        () -> "the CLI sent something else too: " + api.requests());
  }

  @Test
  void scriptedBashCallRunsAndItsResultReachesTheModel() throws Exception {
    api.script()
        .on(contextContains("create the marker"))
        .answerOnce(
            text("Creating it.")
                .then(
                    toolUse(
                        "Bash",
                        Map.of(
                            "command",
                            "touch marker.txt && echo marker-made",
                            "description",
                            "Create the marker file"))));
    api.script().on(lastMessageIsToolResult()).answerOnce(text("The marker exists."));

    // --allowedTools takes every argument up to the next option: the prompt goes first.
    RealClaude.Run run =
        claude()
            .run(
                RUN,
                "-p",
                "create the marker",
                "--allowedTools",
                "Bash",
                "--output-format",
                "stream-json",
                "--verbose");

    assertEquals(0, run.exitCode(), run::toString);
    assertTrue(Files.exists(claude().workDir().resolve("marker.txt")), run::toString);
    assertEquals("The marker exists.", run.resultLine().path("result").asText());

    String toolUseId =
        run.linesOfType("assistant").stream()
            .flatMap(line -> stream(line.at("/message/content")))
            .filter(block -> "tool_use".equals(block.path("type").asText()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no tool_use in the output: " + run))
            .path("id")
            .asText();
    assertTrue(toolUseId.startsWith("toolu_"), toolUseId);

    ModelRequest next = api.awaitAgentTurn(ModelRequest::lastMessageIsToolResult, RUN);
    JsonNode toolResult = next.toolResults().get(0);
    assertEquals(toolUseId, toolResult.path("tool_use_id").asText());
    assertEquals("marker-made", ModelRequest.toolResultText(toolResult));
    assertFalse(toolResult.path("is_error").asBoolean());
    assertEquals(2, api.agentTurns().size());
  }

  @Test
  void resumeSendsTheEarlierTurns() throws Exception {
    api.script().on(lastMessageContains("first question")).answerOnce(text("first answer ALPHA"));
    api.script().on(lastMessageContains("second question")).answerOnce(text("second answer BETA"));

    RealClaude.Run first =
        claude().run(RUN, "-p", "first question", "--output-format", "stream-json", "--verbose");
    String session = first.resultLine().path("session_id").asText();
    RealClaude.Run second =
        claude()
            .run(
                RUN,
                "-p",
                "second question",
                "--resume",
                session,
                "--output-format",
                "stream-json",
                "--verbose");

    assertEquals(0, second.exitCode(), second::toString);
    assertEquals("second answer BETA", second.resultLine().path("result").asText());
    assertEquals(session, second.resultLine().path("session_id").asText());

    ModelRequest resumed = api.agentTurns().get(1);
    List<String> conversation = new ArrayList<>();
    for (JsonNode message : resumed.messages()) {
      if (!"system".equals(message.path("role").asText())) {
        String text = ModelRequest.messageText(message).strip();
        conversation.add(message.path("role").asText() + ": " + lastLine(text));
      }
    }
    assertEquals(
        List.of("user: first question", "assistant: first answer ALPHA", "user: second question"),
        conversation);
  }

  // Over plain HTTP.

  @Test
  void streamedAnswerHasTheApiEventSequence() throws Exception {
    api.script()
        .on(contextContains("hello there"))
        .answerOnce(text("Running it.").then(toolUse("Bash", Map.of("command", "touch x"))));

    HttpResponse<String> response =
        post("/v1/messages?beta=true", messagesRequest("hello there", true, true));

    assertEquals(200, response.statusCode());
    assertTrue(
        response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
    List<String> names = new ArrayList<>();
    List<JsonNode> events = new ArrayList<>();
    for (String event : response.body().split("\n\n")) {
      String[] lines = event.split("\n");
      assertTrue(lines[0].startsWith("event: ") && lines[1].startsWith("data: "), event);
      names.add(lines[0].substring("event: ".length()));
      JsonNode data = JSON.readTree(lines[1].substring("data: ".length()));
      assertEquals(names.get(names.size() - 1), data.path("type").asText(), event);
      events.add(data);
    }
    List<String> shape = new ArrayList<>();
    for (String name : names) {
      if (!name.equals("content_block_delta") || !shape.get(shape.size() - 1).equals(name)) {
        shape.add(name);
      }
    }
    assertEquals(
        List.of(
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"),
        shape);

    JsonNode start = events.get(0).path("message");
    assertTrue(start.path("id").asText().startsWith("msg_"));
    assertEquals("assistant", start.path("role").asText());
    assertEquals("claude-test", start.path("model").asText());
    assertTrue(start.path("content").isEmpty());
    assertTrue(start.path("stop_reason").isNull());
    assertTrue(start.at("/usage/input_tokens").asInt() > 0);

    StringBuilder text = new StringBuilder();
    StringBuilder partialJson = new StringBuilder();
    int textDeltas = 0;
    int jsonDeltas = 0;
    for (JsonNode event : events) {
      JsonNode delta = event.path("delta");
      if ("text_delta".equals(delta.path("type").asText())) {
        text.append(delta.path("text").asText());
        textDeltas++;
      } else if ("input_json_delta".equals(delta.path("type").asText())) {
        partialJson.append(delta.path("partial_json").asText());
        jsonDeltas++;
      }
    }
    assertEquals("Running it.", text.toString());
    assertTrue(textDeltas > 1 && jsonDeltas > 2, "deltas come in pieces");
    JsonNode toolStart = events.get(names.lastIndexOf("content_block_start"));
    assertEquals(1, toolStart.path("index").asInt());
    assertEquals("tool_use", toolStart.at("/content_block/type").asText());
    assertEquals("Bash", toolStart.at("/content_block/name").asText());
    assertTrue(toolStart.at("/content_block/id").asText().startsWith("toolu_"));
    assertTrue(toolStart.at("/content_block/input").isEmpty());
    assertEquals(JSON.readTree("{\"command\":\"touch x\"}"), JSON.readTree(partialJson.toString()));

    JsonNode messageDelta = events.get(names.indexOf("message_delta"));
    assertEquals("tool_use", messageDelta.at("/delta/stop_reason").asText());
    assertTrue(messageDelta.at("/delta/stop_sequence").isNull());
    assertTrue(messageDelta.at("/usage/output_tokens").asInt() > 0);
  }

  @Test
  void unstreamedAnswerIsTheWholeMessage() throws Exception {
    api.script().on(contextContains("hello there")).answerOnce(text("General Kenobi."));

    HttpResponse<String> response =
        post("/v1/messages", messagesRequest("hello there", false, true));

    assertEquals(200, response.statusCode());
    JsonNode message = JSON.readTree(response.body());
    assertTrue(message.path("id").asText().startsWith("msg_"));
    assertEquals("message", message.path("type").asText());
    assertEquals("assistant", message.path("role").asText());
    assertEquals("claude-test", message.path("model").asText());
    assertEquals(
        JSON.readTree("[{\"type\":\"text\",\"text\":\"General Kenobi.\"}]"),
        message.path("content"));
    assertEquals("end_turn", message.path("stop_reason").asText());
    assertTrue(message.has("stop_sequence") && message.path("stop_sequence").isNull());
    assertTrue(message.at("/usage/input_tokens").asInt() > 0);
    assertTrue(message.at("/usage/output_tokens").asInt() > 0);
  }

  @Test
  void sideRequestsDoNotUseUpTheScript() throws Exception {
    api.script().on(contextContains("hello there")).answerOnce(text("scripted"));

    JsonNode side =
        JSON.readTree(post("/v1/messages", messagesRequest("hello there", false, false)).body());
    JsonNode turn =
        JSON.readTree(post("/v1/messages", messagesRequest("hello there", false, true)).body());
    JsonNode unmatched =
        JSON.readTree(post("/v1/messages", messagesRequest("hello there", false, true)).body());

    assertEquals("ok", side.at("/content/0/text").asText());
    assertEquals("scripted", turn.at("/content/0/text").asText());
    assertEquals("ok", unmatched.at("/content/0/text").asText());
    assertEquals(1, api.sideRequests().size());
    assertEquals(2, api.agentTurns().size());
  }

  @Test
  void countTokensAnswersANumber() throws Exception {
    HttpResponse<String> response =
        post("/v1/messages/count_tokens", "{\"model\":\"claude-test\",\"messages\":[]}");

    assertEquals(200, response.statusCode());
    JsonNode count = JSON.readTree(response.body());
    assertEquals(1, count.size(), response.body());
    assertTrue(count.path("input_tokens").asInt() > 0, response.body());
  }

  @Test
  void errorsComeInTheApiShape() throws Exception {
    assertError(post("/v1/messages", "{not json"), 400, "invalid_request_error", "JSON");
    assertError(
        post("/v1/messages", "{\"max_tokens\":5,\"messages\":[]}"),
        400,
        "invalid_request_error",
        "model: Field required");
    assertError(
        post("/v1/messages", "{\"model\":\"m\",\"max_tokens\":5}"),
        400,
        "invalid_request_error",
        "messages: Field required");
    assertError(
        post("/v1/messages", "{\"model\":\"m\",\"messages\":[]}"),
        400,
        "invalid_request_error",
        "max_tokens: Field required");
    assertError(
        send(
            HttpRequest.newBuilder(URI.create(api.baseUrl() + "/v1/messages"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(messagesRequest("hi", false, false)))),
        401,
        "authentication_error",
        "x-api-key");
    assertError(post("/v1/nothing-here", "{}"), 404, "not_found_error", "Not Found");
  }

  @Test
  void awaitRequestWaitsForOneStillToCome() throws Exception {
    CompletableFuture<ModelRequest> awaited =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return api.awaitRequest(
                    request -> request.contextText().contains("late one"), Duration.ofSeconds(10));
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    post("/v1/messages", messagesRequest("early one", false, false));
    post("/v1/messages", messagesRequest("late one", false, false));

    assertEquals(api.requests().get(1), awaited.get());
    AssertionError none =
        assertThrows(
            AssertionError.class, () -> api.awaitRequest(request -> false, Duration.ofMillis(100)));
    assertTrue(none.getMessage().contains("early one"), none.getMessage());
  }

  private HttpResponse<String> post(String path, String body)
      throws IOException, InterruptedException {
    return send(
        HttpRequest.newBuilder(URI.create(api.baseUrl() + path))
            .header("content-type", "application/json")
            .header("x-api-key", "sk-test")
            .header("anthropic-version", "2023-06-01")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  private HttpResponse<String> send(HttpRequest.Builder request)
      throws IOException, InterruptedException {
    return http.send(request.timeout(RUN).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertError(
      HttpResponse<String> response, int status, String type, String messagePart)
      throws IOException {
    assertEquals(status, response.statusCode(), response.body());
    assertTrue(
        response.headers().firstValue("content-type").orElse("").startsWith("application/json"));
    JsonNode body = JSON.readTree(response.body());
    assertEquals("error", body.path("type").asText(), response.body());
    assertEquals(type, body.at("/error/type").asText(), response.body());
    assertTrue(body.at("/error/message").asText().contains(messagePart), response.body());
    assertTrue(body.path("request_id").asText().startsWith("req_"), response.body());
  }

  /** A Messages API request with one user message; with a tool it is an agent-loop turn. */
  private static String messagesRequest(String userText, boolean stream, boolean withTool) {
    ObjectNode body = JSON.createObjectNode().put("model", "claude-test").put("max_tokens", 64);
    body.putArray("messages").addObject().put("role", "user").put("content", userText);
    if (stream) {
      body.put("stream", true);
    }
    if (withTool) {
      ObjectNode tool = body.putArray("tools").addObject();
      tool.put("name", "Bash").put("description", "Runs a command");
      tool.putObject("input_schema").put("type", "object");
    }
    return body.toString();
  }

  private static Stream<JsonNode> stream(JsonNode array) {
    List<JsonNode> items = new ArrayList<>();
    array.forEach(items::add);
    return items.stream();
  }

  private static String lastLine(String text) {
    return text.substring(text.lastIndexOf('\n') + 1);
  }
}
