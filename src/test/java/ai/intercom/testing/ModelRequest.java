package ai.intercom.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One HTTP request that reached the {@link ModelApi}, as the agent CLI sent it: method, path,
 * query, headers (names in lower case) and the JSON body ({@link MissingNode} when the body was not
 * JSON). Its helpers read the Messages API request: the tools offered, the messages, and the text
 * of everything in the model's context.
 */
public record ModelRequest(
    String method, String path, String query, Map<String, List<String>> headers, JsonNode body) {

  public ModelRequest {
    headers = Map.copyOf(headers);
    body = body == null ? MissingNode.getInstance() : body;
  }

  /** The first value of a header, or null. */
  public String header(String name) {
    List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** A request to create a message ({@code POST /v1/messages}, with or without a query). */
  public boolean isMessages() {
    return "POST".equals(method) && "/v1/messages".equals(path);
  }

  public boolean isStreaming() {
    return body.path("stream").asBoolean(false);
  }

  /**
   * Whether the request offers tools: Claude Code's agent loop always does, its side requests
   * (titles, summaries, ...) do not.
   */
  public boolean hasTools() {
    return body.path("tools").isArray() && !body.path("tools").isEmpty();
  }

  /** An agent-loop turn: a message request with tools. */
  public boolean isAgentTurn() {
    return isMessages() && hasTools();
  }

  public List<String> toolNames() {
    List<String> names = new ArrayList<>();
    body.path("tools").forEach(tool -> names.add(tool.path("name").asText()));
    return names;
  }

  public String model() {
    return body.path("model").asText(null);
  }

  public List<JsonNode> messages() {
    List<JsonNode> messages = new ArrayList<>();
    body.path("messages").forEach(messages::add);
    return messages;
  }

  /**
   * The last user or assistant message, or {@link MissingNode} when there is none. Messages with
   * {@code role: system} are passed over: Claude Code puts its environment notes and hook context
   * there, after the user's prompt or tool result.
   */
  public JsonNode lastMessage() {
    JsonNode messages = body.path("messages");
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (!"system".equals(messages.get(i).path("role").asText())) {
        return messages.get(i);
      }
    }
    return MissingNode.getInstance();
  }

  /** Whether the last message is the user's answer to a tool call. */
  public boolean lastMessageIsToolResult() {
    JsonNode last = lastMessage();
    if (!"user".equals(last.path("role").asText())) {
      return false;
    }
    for (JsonNode block : last.path("content")) {
      if ("tool_result".equals(block.path("type").asText())) {
        return true;
      }
    }
    return false;
  }

  /** Every {@code tool_result} block of every message, oldest first. */
  public List<JsonNode> toolResults() {
    return blocksOfType("tool_result");
  }

  /** Every {@code tool_use} block of every (assistant) message, oldest first. */
  public List<JsonNode> toolUses() {
    return blocksOfType("tool_use");
  }

  /** The text of a tool result: its string content, or the text of its content blocks. */
  public static String toolResultText(JsonNode toolResult) {
    StringBuilder text = new StringBuilder();
    appendContent(toolResult.path("content"), text);
    return text.toString().strip();
  }

  /** The system prompt's text (a string, or the text of its blocks). */
  public String systemText() {
    StringBuilder text = new StringBuilder();
    appendContent(body.path("system"), text);
    return text.toString().strip();
  }

  /**
   * All the text the model would read: the system prompt, then each message's text, tool calls
   * (name and input JSON) and tool results, one block a line.
   */
  public String contextText() {
    StringBuilder text = new StringBuilder();
    appendContent(body.path("system"), text);
    for (JsonNode message : body.path("messages")) {
      appendContent(message.path("content"), text);
    }
    return text.toString();
  }

  /** The text of one message (its string content, or its blocks as in {@link #contextText}). */
  public static String messageText(JsonNode message) {
    StringBuilder text = new StringBuilder();
    appendContent(message.path("content"), text);
    return text.toString();
  }

  /** A line for failure messages: path, and for message requests the tools and last message. */
  public String summary() {
    if (!isMessages()) {
      return method + " " + path;
    }
    String last = messageText(lastMessage()).strip().replace('\n', ' ');
    return method
        + " "
        + path
        + (hasTools() ? " tools=" + toolNames().size() : " (no tools)")
        + " messages="
        + body.path("messages").size()
        + " last="
        + (last.length() > 120 ? last.substring(0, 120) + "..." : last);
  }

  private List<JsonNode> blocksOfType(String type) {
    List<JsonNode> blocks = new ArrayList<>();
    for (JsonNode message : body.path("messages")) {
      for (JsonNode block : message.path("content")) {
        if (type.equals(block.path("type").asText())) {
          blocks.add(block);
        }
      }
    }
    return blocks;
  }

  private static void appendContent(JsonNode content, StringBuilder text) {
    if (content.isTextual()) {
      text.append(content.asText()).append('\n');
      return;
    }
    for (JsonNode block : content) {
      switch (block.path("type").asText()) {
        case "text" -> text.append(block.path("text").asText()).append('\n');
        case "tool_use" ->
            text.append(block.path("name").asText())
                .append(' ')
                .append(block.path("input"))
                .append('\n');
        case "tool_result" -> appendContent(block.path("content"), text);
        default -> {}
      }
    }
  }

  @Override
  public String toString() {
    return summary()
        + " headers="
        + headers.keySet().stream().sorted().collect(Collectors.joining(",", "[", "]"));
  }
}
