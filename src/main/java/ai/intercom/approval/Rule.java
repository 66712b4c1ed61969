package ai.intercom.approval;

import java.util.regex.Pattern;

/**
 * One rule of policies.yml. A rule matches when the sender and receiver match its globs, the type
 * is its type (if it names one) and the message contains its pattern (if it has one,
 * case-insensitive).
 */
public record Rule(
    int number,
    String from,
    String to,
    MessageType type,
    String messagePattern,
    ApprovalLevel approval,
    String label) {

  /** Compiled once; rules are evaluated for every message. */
  record Compiled(Rule rule, Pattern from, Pattern to, Pattern message) {

    boolean matches(ApprovalRequest request) {
      return (rule.type() == null || rule.type() == request.type())
          && from.matcher(request.from()).matches()
          && to.matcher(request.to()).matches()
          && (message == null || message.matcher(request.message()).find());
    }
  }

  Compiled compile() {
    return new Compiled(
        this,
        Glob.compile(from),
        Glob.compile(to),
        messagePattern == null
            ? null
            : Pattern.compile(messagePattern, Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE));
  }

  /** How the operator sees it: its label, else its number. */
  public String name() {
    return label == null || label.isBlank() ? "rule " + number : label;
  }
}
