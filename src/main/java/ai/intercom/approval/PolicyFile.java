package ai.intercom.approval;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.PatternSyntaxException;

/**
 * Reads policies.yml (the original AI-Intercom format). Without a file the packaged default
 * applies; a file with any mistake is refused as a whole, with one line naming the rule and the
 * problem.
 */
public final class PolicyFile {

  /** A policy file that cannot be used; the message is one line for the operator. */
  public static final class InvalidPolicyException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidPolicyException(String message) {
      super(message);
    }
  }

  private static final String DEFAULT_RESOURCE = "/ai/intercom/approval/default.yml";
  private static final Set<String> TOP_KEYS = Set.of("defaults", "rules");
  private static final Set<String> RULE_KEYS =
      Set.of("from", "to", "type", "message_pattern", "approval", "label");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private PolicyFile() {}

  /** The policy in {@code file}, or the packaged default when there is no such file. */
  public static Policy load(Path file) throws InvalidPolicyException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return packagedDefault();
    } catch (IOException e) {
      throw new InvalidPolicyException(file + ": cannot read: " + e.getMessage());
    }
    return parse(text, file.toString());
  }

  public static Policy packagedDefault() {
    try (InputStream in = PolicyFile.class.getResourceAsStream(DEFAULT_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the jar lacks " + DEFAULT_RESOURCE);
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "packaged default");
    } catch (IOException | InvalidPolicyException e) {
      throw new IllegalStateException("broken packaged policy: " + e.getMessage(), e);
    }
  }

  static Policy parse(String text, String source) throws InvalidPolicyException {
    JsonNode root;
    try {
      root = YAML.readTree(text);
    } catch (JsonProcessingException e) {
      JsonLocation where = e.getLocation();
      String line = where == null ? "" : " line " + where.getLineNr() + ":";
      throw new InvalidPolicyException(
          source + ":" + line + " not valid YAML: " + e.getOriginalMessage().split("\n")[0]);
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return new Policy(ApprovalLevel.ONCE, List.of(), source);
    }
    if (!root.isObject()) {
      throw new InvalidPolicyException(source + ": expected 'defaults:' and 'rules:' at the top");
    }
    requireKnownKeys(root, TOP_KEYS, source + ":");
    ApprovalLevel defaultLevel = ApprovalLevel.ONCE;
    JsonNode defaults = root.path("defaults");
    if (!defaults.isMissingNode() && !defaults.isNull()) {
      requireKnownKeys(defaults, Set.of("require_approval"), source + ": defaults:");
      JsonNode level = defaults.path("require_approval");
      if (!level.isMissingNode()) {
        defaultLevel = level(level, source + ": defaults.require_approval");
      }
    }
    List<Rule> rules = new ArrayList<>();
    JsonNode list = root.path("rules");
    if (!list.isMissingNode() && !list.isNull()) {
      if (!list.isArray()) {
        throw new InvalidPolicyException(source + ": 'rules' must be a list");
      }
      for (int i = 0; i < list.size(); i++) {
        rules.add(rule(list.get(i), i + 1, source));
      }
    }
    return new Policy(defaultLevel, rules, source);
  }

  private static Rule rule(JsonNode node, int number, String source) throws InvalidPolicyException {
    String where = source + ": rule " + number;
    if (!node.isObject()) {
      throw new InvalidPolicyException(
          where + ": expected keys from, to, type, message_pattern, approval, label");
    }
    String label = text(node, "label", where);
    if (label != null) {
      where += " (" + label + ")";
    }
    requireKnownKeys(node, RULE_KEYS, where + ":");
    JsonNode approval = node.path("approval");
    if (approval.isMissingNode()) {
      throw new InvalidPolicyException(where + ": 'approval' is missing");
    }
    String type = text(node, "type", where);
    MessageType kind = null;
    if (type != null && !type.equals("*")) {
      try {
        kind = MessageType.valueOf(type.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new InvalidPolicyException(
            where
                + ": unknown type '"
                + type
                + "' (expected ask, send, start_agent, chat or permission)");
      }
    }
    String pattern = text(node, "message_pattern", where);
    Rule rule =
        new Rule(
            number,
            orStar(text(node, "from", where)),
            orStar(text(node, "to", where)),
            kind,
            pattern,
            level(approval, where + ": approval"),
            label);
    try {
      rule.compile();
    } catch (PatternSyntaxException e) {
      throw new InvalidPolicyException(
          where
              + ": message_pattern '"
              + pattern
              + "' is not a valid regular expression: "
              + e.getDescription());
    }
    return rule;
  }

  private static ApprovalLevel level(JsonNode node, String where) throws InvalidPolicyException {
    try {
      return ApprovalLevel.parse(node.asText());
    } catch (IllegalArgumentException e) {
      throw new InvalidPolicyException(where + ": " + e.getMessage());
    }
  }

  private static String text(JsonNode node, String key, String where)
      throws InvalidPolicyException {
    JsonNode value = node.get(key);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isValueNode()) {
      throw new InvalidPolicyException(where + ": '" + key + "' must be a single value");
    }
    return value.asText();
  }

  private static String orStar(String glob) {
    return glob == null || glob.isBlank() ? "*" : glob;
  }

  private static void requireKnownKeys(JsonNode node, Set<String> known, String where)
      throws InvalidPolicyException {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) {
        throw new InvalidPolicyException(
            where
                + " unknown key '"
                + name
                + "' (expected "
                + String.join(", ", known.stream().sorted().toList())
                + ")");
      }
    }
  }
}
