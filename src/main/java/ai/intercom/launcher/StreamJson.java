package ai.intercom.launcher;

import static ai.intercom.protocol.JsonFormat.MAPPER;

import ai.intercom.launcher.AgentOutput.Ignored;
import ai.intercom.launcher.AgentOutput.Init;
import ai.intercom.launcher.AgentOutput.PlainText;
import ai.intercom.launcher.AgentOutput.Progress;
import ai.intercom.launcher.AgentOutput.Result;
import ai.intercom.launcher.AgentOutput.Unreadable;
import ai.intercom.security.Secrets;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads Claude Code's {@code --output-format stream-json} output one line at a time and says what
 * it means for the mission: the session started, the agent did something a human can follow, or it
 * finished. Anything else (other agents' plain text, broken or unknown JSON) is classified, never
 * thrown.
 */
public final class StreamJson {

  /** The longest progress line shown, in chars. */
  public static final int MAX_LINE = 160;

  /** How much of an argument is redacted before the summary is cut to {@link #MAX_LINE}. */
  private static final int REDACT_WINDOW = 2_000;

  private static final int MAX_WHY = 120;

  /** Refuses trailing content, so "quoted" prose does not pass for a JSON string. */
  private static final ObjectReader STRICT =
      MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private StreamJson() {}

  /**
   * What one output line means. Never throws.
   *
   * @param line one line, without its newline; null or blank gives {@code Ignored("blank")}
   * @param cwd the agent's working directory, or null; file paths under it are shown relative
   */
  public static AgentOutput parse(String line, String cwd) {
    try {
      return read(line, cwd);
    } catch (RuntimeException e) {
      return new Unreadable(why(e.toString()));
    }
  }

  private static AgentOutput read(String line, String cwd) {
    if (line == null || line.isBlank()) {
      return new Ignored("blank");
    }
    String trimmed = line.strip();
    char first = trimmed.charAt(0);
    if (first == '{') {
      return object(trimmed, cwd);
    }
    if (first == '[' || first == '"') {
      String kind = jsonKind(trimmed);
      if (kind != null) {
        return new Unreadable("JSON " + kind + ", not an object");
      }
    }
    return new PlainText(line.stripTrailing());
  }

  private static AgentOutput object(String json, String cwd) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonEOFException e) {
      return new Unreadable("truncated JSON (" + json.length() + " chars)");
    } catch (JsonProcessingException e) {
      return new Unreadable(why("broken JSON: " + e.getOriginalMessage()));
    }
    if (root == null || !root.isObject()) {
      return new Unreadable("not a JSON object");
    }
    String type = text(root, "type");
    if (type == null) {
      return new Ignored("untyped");
    }
    return switch (type) {
      case "system" -> "init".equals(text(root, "subtype")) ? init(root) : new Ignored(type);
      case "assistant" -> assistant(root, cwd);
      case "result" -> result(root);
      default -> new Ignored(type);
    };
  }

  /** The node type when {@code text} is exactly one JSON value, else null. */
  private static String jsonKind(String text) {
    try {
      JsonNode node = STRICT.readTree(text);
      return node == null ? null : node.getNodeType().name().toLowerCase(Locale.ROOT);
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  private static Init init(JsonNode root) {
    return new Init(text(root, "session_id"), text(root, "model"), text(root, "cwd"));
  }

  private static AgentOutput assistant(JsonNode root, String cwd) {
    JsonNode content = root.path("message").path("content");
    List<String> lines = new ArrayList<>();
    if (content.isTextual()) {
      addSays(lines, content.asText());
    } else if (content.isArray()) {
      for (JsonNode block : content) {
        addBlock(lines, block, cwd);
      }
    }
    if (lines.isEmpty()) {
      return new Ignored("assistant");
    }
    return new Progress(text(root, "session_id"), lines);
  }

  private static void addBlock(List<String> lines, JsonNode block, String cwd) {
    String type = text(block, "type");
    if ("text".equals(type)) {
      addSays(lines, text(block, "text"));
    } else if ("tool_use".equals(type)) {
      lines.add(cut(tool(text(block, "name"), block.path("input"), cwd)));
    }
  }

  private static void addSays(List<String> lines, String text) {
    if (text != null && !text.isBlank()) {
      lines.add(cut("says: " + shown(text)));
    }
  }

  private static Result result(JsonNode root) {
    String subtype = text(root, "subtype");
    JsonNode isError = root.path("is_error");
    Double cost = decimal(root, "total_cost_usd");
    return new Result(
        isError.asBoolean(false) || (subtype != null && subtype.startsWith("error")),
        subtype,
        text(root, "result"),
        text(root, "session_id"),
        cost != null ? cost : decimal(root, "cost_usd"),
        whole(root, "duration_ms"),
        turns(root.get("num_turns")));
  }

  /** One line a human can follow for a tool call. */
  static String tool(String name, JsonNode input, String cwd) {
    if (name == null || name.isBlank()) {
      return "tool";
    }
    return switch (name) {
      case "Read", "Write", "Edit", "MultiEdit", "NotebookEdit" -> {
        String path = text(input, "file_path");
        yield spaced(name, relative(path != null ? path : text(input, "notebook_path"), cwd));
      }
      case "Bash" -> bash(text(input, "command"));
      case "Grep" -> grep(text(input, "pattern"), relative(text(input, "path"), cwd));
      case "Glob" -> spaced(name, text(input, "pattern"));
      case "LS" -> spaced(name, relative(text(input, "path"), cwd));
      case "WebFetch" -> spaced(name, text(input, "url"));
      case "WebSearch" -> spaced(name, text(input, "query"));
      case "Task" -> labelled(name, text(input, "description"));
      case "TodoWrite" -> "updates its todo list";
      default -> mcp(name);
    };
  }

  private static String spaced(String name, String argument) {
    return argument == null || argument.isBlank() ? name : name + " " + shown(argument);
  }

  private static String labelled(String name, String argument) {
    return argument == null || argument.isBlank() ? name : name + ": " + shown(argument);
  }

  private static String grep(String pattern, String path) {
    String line = spaced("Grep", pattern);
    return path == null || path.isBlank() ? line : line + " in " + shown(path);
  }

  /** The command's first line; {@code …} tells that more lines follow. */
  private static String bash(String command) {
    if (command == null || command.isBlank()) {
      return "Bash";
    }
    String text = command.strip();
    int newline = firstLineEnd(text);
    if (newline < 0) {
      return labelled("Bash", text);
    }
    return labelled("Bash", text.substring(0, newline)) + " …";
  }

  private static int firstLineEnd(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\n' || c == '\r') {
        return i;
      }
    }
    return -1;
  }

  /** {@code mcp__server__tool} reads as "tool (server)". */
  private static String mcp(String name) {
    if (name.startsWith("mcp__")) {
      String rest = name.substring("mcp__".length());
      int separator = rest.indexOf("__");
      if (separator > 0 && separator + 2 < rest.length()) {
        return rest.substring(separator + 2) + " (" + rest.substring(0, separator) + ")";
      }
    }
    return flat(name);
  }

  /** The path relative to {@code cwd} when it lies inside it. */
  static String relative(String path, String cwd) {
    if (path == null || cwd == null || cwd.isBlank() || cwd.equals("/")) {
      return path;
    }
    String base = cwd.endsWith("/") ? cwd : cwd + "/";
    if (path.equals(cwd) || path.equals(base)) {
      return ".";
    }
    return path.startsWith(base) ? path.substring(base.length()) : path;
  }

  /** An argument as shown: its start, on one line, secrets hidden. */
  private static String shown(String argument) {
    String head =
        argument.length() > REDACT_WINDOW ? argument.substring(0, REDACT_WINDOW) : argument;
    return Secrets.redact(flat(head.strip()));
  }

  /** Line breaks and tabs become spaces. */
  static String flat(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean breaks = c == '\n' || c == '\r' || c == '\t';
      if (breaks && out == null) {
        out = new StringBuilder(text.length()).append(text, 0, i);
      }
      if (out != null && !(c == '\n' && i > 0 && text.charAt(i - 1) == '\r')) {
        out.append(breaks ? ' ' : c);
      }
    }
    return out == null ? text : out.toString();
  }

  /** At most {@link #MAX_LINE} chars, ending with {@code …} when cut. */
  static String cut(String line) {
    if (line.length() <= MAX_LINE) {
      return line;
    }
    int end = MAX_LINE - 1;
    if (Character.isHighSurrogate(line.charAt(end - 1))) {
      end--;
    }
    return line.substring(0, end).stripTrailing() + "…";
  }

  /** A scalar member as text; null when absent, null, an object or an array. */
  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value != null && value.isValueNode() && !value.isNull() ? value.asText() : null;
  }

  private static Double decimal(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value != null && value.isNumber() ? value.doubleValue() : null;
  }

  private static Long whole(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value != null && value.isNumber() && value.canConvertToLong() ? value.longValue() : null;
  }

  private static Integer turns(JsonNode value) {
    return value != null && value.isNumber() && value.canConvertToInt() ? value.intValue() : null;
  }

  /** The first line of a message, short enough for a progress line. */
  private static String why(String message) {
    String text = message == null ? "unreadable" : message.strip();
    int newline = firstLineEnd(text);
    if (newline >= 0) {
      text = text.substring(0, newline);
    }
    return text.length() > MAX_WHY ? text.substring(0, MAX_WHY - 1) + "…" : text;
  }
}
