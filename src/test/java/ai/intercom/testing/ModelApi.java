package ai.intercom.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * A local stand-in for the Anthropic Messages API, on a real socket (127.0.0.1, a free port), so
 * the real agent CLIs can run offline in tests ({@code ANTHROPIC_BASE_URL=}{@link #baseUrl()}). It
 * answers as the API does: {@code POST /v1/messages} streams server-sent events when the request
 * says {@code "stream": true} ({@code message_start}, {@code content_block_start}, {@code ping},
 * {@code content_block_delta} with {@code text_delta} or {@code input_json_delta}, {@code
 * content_block_stop}, {@code message_delta}, {@code message_stop}) and returns the whole message
 * otherwise; {@code POST /v1/messages/count_tokens} counts; errors are {@code {"type":"error",
 * "error":{"type":...,"message":...}}} with the API's status codes. What "the model" says comes
 * from a {@link ModelScript}; every request is recorded, so a test can assert what reached the
 * model's context.
 */
public final class ModelApi implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ID_CHARS =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

  private final HttpServer server;
  private final ExecutorService executor;
  private final ModelScript script;
  private final List<ModelRequest> requests = new ArrayList<>();

  private ModelApi(HttpServer server, ExecutorService executor, ModelScript script) {
    this.server = server;
    this.executor = executor;
    this.script = script;
  }

  /** Starts a stand-in with an empty script (every agent turn is answered "ok"). */
  public static ModelApi start() {
    return start(new ModelScript());
  }

  public static ModelApi start(ModelScript script) {
    try {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      // A thread per exchange: the CLI keeps several connections, and a stream must not hold up
      // a side request.
      ExecutorService executor =
          Executors.newCachedThreadPool(
              task -> {
                Thread thread = new Thread(task, "model-api");
                thread.setDaemon(true);
                return thread;
              });
      ModelApi api = new ModelApi(server, executor, script);
      server.createContext("/", api::handle);
      server.setExecutor(executor);
      server.start();
      return api;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the model API stand-in", e);
    }
  }

  /** The value for {@code ANTHROPIC_BASE_URL}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public ModelScript script() {
    return script;
  }

  /** Every request received so far, oldest first (also those answered with an error). */
  public synchronized List<ModelRequest> requests() {
    return List.copyOf(requests);
  }

  /**
   * Drops the requests kept so far (a long bench would otherwise keep every context it was sent);
   * not while an {@link #awaitRequest} is waiting.
   */
  public synchronized void forget() {
    requests.clear();
  }

  /** The {@code POST /v1/messages} requests. */
  public List<ModelRequest> messageRequests() {
    return requests().stream().filter(ModelRequest::isMessages).toList();
  }

  /** The agent-loop turns: message requests with tools. */
  public List<ModelRequest> agentTurns() {
    return requests().stream().filter(ModelRequest::isAgentTurn).toList();
  }

  /** The CLI's side requests: message requests without tools (titles, summaries, ...). */
  public List<ModelRequest> sideRequests() {
    return requests().stream().filter(r -> r.isMessages() && !r.hasTools()).toList();
  }

  /** All the text of a request's context: system, messages, tool calls and tool results. */
  public static String contextText(ModelRequest request) {
    return request.contextText();
  }

  /**
   * The first request (already received or still to come) that matches, waiting up to {@code
   * timeout}; fails with the list of what did arrive.
   */
  public synchronized ModelRequest awaitRequest(Predicate<ModelRequest> matches, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int seen = 0;
    while (true) {
      for (; seen < requests.size(); seen++) {
        if (matches.test(requests.get(seen))) {
          return requests.get(seen);
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(
            "no matching model request within "
                + timeout.toMillis()
                + " ms; received:"
                + requests.stream()
                    .map(r -> "\n  " + r.summary())
                    .collect(Collectors.joining("", "", requests.isEmpty() ? " nothing" : "")));
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  /** The first agent turn that matches, waiting up to {@code timeout}. */
  public ModelRequest awaitAgentTurn(Predicate<ModelRequest> matches, Duration timeout)
      throws InterruptedException {
    return awaitRequest(request -> request.isAgentTurn() && matches.test(request), timeout);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private synchronized void record(ModelRequest request) {
    requests.add(request);
    notifyAll();
  }

  private void handle(HttpExchange exchange) {
    try {
      byte[] raw = exchange.getRequestBody().readAllBytes();
      ModelRequest request =
          new ModelRequest(
              exchange.getRequestMethod().toUpperCase(Locale.ROOT),
              exchange.getRequestURI().getPath(),
              exchange.getRequestURI().getRawQuery(),
              lowerCaseHeaders(exchange),
              parse(raw));
      record(request);
      route(exchange, request, raw.length);
    } catch (IOException e) {
      // The client went away in the middle of an answer: nobody left to tell.
    } catch (RuntimeException e) {
      try {
        sendError(exchange, 500, "api_error", "the stand-in failed: " + e);
      } catch (IOException ignored) {
        // as above
      }
    } finally {
      exchange.close();
    }
  }

  private void route(HttpExchange exchange, ModelRequest request, int bodyLength)
      throws IOException {
    boolean messages = "/v1/messages".equals(request.path());
    boolean countTokens = "/v1/messages/count_tokens".equals(request.path());
    if (!messages && !countTokens) {
      sendError(exchange, 404, "not_found_error", "Not Found");
      return;
    }
    if (!"POST".equals(request.method())) {
      sendError(exchange, 405, "invalid_request_error", "Method Not Allowed");
      return;
    }
    if (request.header("x-api-key") == null && request.header("authorization") == null) {
      sendError(exchange, 401, "authentication_error", "x-api-key header is required");
      return;
    }
    String problem = problemWith(request, bodyLength, messages);
    if (problem != null) {
      sendError(exchange, 400, "invalid_request_error", problem);
      return;
    }
    if (countTokens) {
      sendJson(exchange, 200, JSON.createObjectNode().put("input_tokens", inputTokens(request)));
      return;
    }
    ObjectNode message = message(request, script.answer(request));
    if (request.isStreaming()) {
      stream(exchange, message);
    } else {
      sendJson(exchange, 200, message);
    }
  }

  /** What the API would refuse in this request, in its words, or null. */
  private static String problemWith(ModelRequest request, int bodyLength, boolean messages) {
    JsonNode body = request.body();
    if (body.isMissingNode()) {
      return bodyLength == 0
          ? "request body is required"
          : "There was an issue with the format or content of your request: the body is not valid"
              + " JSON";
    }
    if (!body.isObject()) {
      return "request body must be a JSON object";
    }
    if (!body.path("model").isTextual()) {
      return body.has("model") ? "model: Input should be a valid string" : "model: Field required";
    }
    if (!body.path("messages").isArray()) {
      return body.has("messages")
          ? "messages: Input should be a valid list"
          : "messages: Field required";
    }
    if (messages && !body.path("max_tokens").canConvertToInt()) {
      return body.has("max_tokens")
          ? "max_tokens: Input should be a valid integer"
          : "max_tokens: Field required";
    }
    return null;
  }

  /** The assistant message for an answer, as the non-streaming API returns it. */
  private static ObjectNode message(ModelRequest request, ModelScript.Answer answer) {
    ObjectNode message = JSON.createObjectNode();
    message.put("id", newId("msg_"));
    message.put("type", "message");
    message.put("role", "assistant");
    message.put("model", request.model());
    ArrayNode content = message.putArray("content");
    int outputChars = 0;
    for (ModelScript.Block block : answer.blocks()) {
      ObjectNode node = content.addObject();
      if (block instanceof ModelScript.TextBlock text) {
        node.put("type", "text");
        node.put("text", text.text());
        outputChars += text.text().length();
      } else if (block instanceof ModelScript.ToolUseBlock toolUse) {
        node.put("type", "tool_use");
        node.put("id", newId("toolu_"));
        node.put("name", toolUse.name());
        node.set("input", JSON.valueToTree(toolUse.input()));
        outputChars += node.get("input").toString().length();
      }
    }
    message.put("stop_reason", answer.stopReason());
    message.putNull("stop_sequence");
    ObjectNode usage = message.putObject("usage");
    usage.put("input_tokens", inputTokens(request));
    usage.put("cache_creation_input_tokens", 0);
    usage.put("cache_read_input_tokens", 0);
    usage.put("output_tokens", Math.max(1, outputChars / 4));
    return message;
  }

  /** Sends a message as the API streams it: the same message, in events. */
  private static void stream(HttpExchange exchange, ObjectNode message) throws IOException {
    exchange.getResponseHeaders().set("content-type", "text/event-stream; charset=utf-8");
    exchange.getResponseHeaders().set("cache-control", "no-cache");
    exchange.getResponseHeaders().set("request-id", newId("req_"));
    exchange.sendResponseHeaders(200, 0);
    OutputStream out = exchange.getResponseBody();

    ObjectNode start = message.deepCopy();
    start.putArray("content");
    start.putNull("stop_reason");
    ((ObjectNode) start.get("usage")).put("output_tokens", 1);
    event(
        out,
        "message_start",
        JSON.createObjectNode().put("type", "message_start"),
        "message",
        start);

    JsonNode content = message.get("content");
    for (int index = 0; index < content.size(); index++) {
      JsonNode block = content.get(index);
      ObjectNode opening = block.deepCopy();
      if ("text".equals(block.get("type").asText())) {
        opening.put("text", "");
      } else {
        opening.putObject("input");
      }
      ObjectNode blockStart =
          JSON.createObjectNode().put("type", "content_block_start").put("index", index);
      blockStart.set("content_block", opening);
      event(out, "content_block_start", blockStart);
      if (index == 0) {
        event(out, "ping", JSON.createObjectNode().put("type", "ping"));
      }
      if ("text".equals(block.get("type").asText())) {
        for (String piece : pieces(block.get("text").asText())) {
          ObjectNode delta = JSON.createObjectNode().put("type", "text_delta").put("text", piece);
          event(out, "content_block_delta", blockDelta(index), "delta", delta);
        }
      } else {
        // The API opens a tool's input with an empty fragment, then sends the JSON in pieces.
        List<String> fragments = new ArrayList<>();
        fragments.add("");
        fragments.addAll(pieces(block.get("input").toString()));
        for (String fragment : fragments) {
          ObjectNode delta =
              JSON.createObjectNode().put("type", "input_json_delta").put("partial_json", fragment);
          event(out, "content_block_delta", blockDelta(index), "delta", delta);
        }
      }
      event(
          out,
          "content_block_stop",
          JSON.createObjectNode().put("type", "content_block_stop").put("index", index));
    }

    ObjectNode messageDelta = JSON.createObjectNode().put("type", "message_delta");
    messageDelta
        .putObject("delta")
        .put("stop_reason", message.get("stop_reason").asText())
        .putNull("stop_sequence");
    messageDelta
        .putObject("usage")
        .put("output_tokens", message.at("/usage/output_tokens").asInt());
    event(out, "message_delta", messageDelta);
    event(out, "message_stop", JSON.createObjectNode().put("type", "message_stop"));
    out.close();
  }

  private static ObjectNode blockDelta(int index) {
    return JSON.createObjectNode().put("type", "content_block_delta").put("index", index);
  }

  private static void event(
      OutputStream out, String name, ObjectNode data, String field, JsonNode value)
      throws IOException {
    data.set(field, value);
    event(out, name, data);
  }

  private static void event(OutputStream out, String name, ObjectNode data) throws IOException {
    out.write(("event: " + name + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** Up to three pieces, so that a client has to join deltas as it does with the real API. */
  private static List<String> pieces(String text) {
    List<String> pieces = new ArrayList<>();
    int size = Math.max(1, (text.length() + 2) / 3);
    for (int from = 0; from < text.length(); from += size) {
      pieces.add(text.substring(from, Math.min(text.length(), from + size)));
    }
    return pieces;
  }

  /** A rough count (four characters a token), enough for the CLI's cost and context figures. */
  private static int inputTokens(ModelRequest request) {
    return Math.max(
        1, (request.contextText().length() + request.body().path("tools").toString().length()) / 4);
  }

  private static void sendError(HttpExchange exchange, int status, String type, String message)
      throws IOException {
    ObjectNode error = JSON.createObjectNode().put("type", "error");
    error.putObject("error").put("type", type).put("message", message);
    error.put("request_id", newId("req_"));
    sendJson(exchange, status, error);
  }

  private static void sendJson(HttpExchange exchange, int status, JsonNode body)
      throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("content-type", "application/json");
    String requestId = body.path("request_id").asText(newId("req_"));
    exchange.getResponseHeaders().set("request-id", requestId);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static JsonNode parse(byte[] raw) {
    if (raw.length == 0) {
      return MissingNode.getInstance();
    }
    try {
      JsonNode node = JSON.readTree(raw);
      return node == null ? MissingNode.getInstance() : node;
    } catch (JsonProcessingException e) {
      return MissingNode.getInstance();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, List<String>> lowerCaseHeaders(HttpExchange exchange) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    exchange
        .getRequestHeaders()
        .forEach(
            (name, values) ->
                headers
                    .computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .addAll(values));
    return headers;
  }

  private static String newId(String prefix) {
    StringBuilder id = new StringBuilder(prefix).append("01");
    for (int i = 0; i < 22; i++) {
      id.append(ID_CHARS.charAt(RANDOM.nextInt(ID_CHARS.length())));
    }
    return id.toString();
  }
}
