package ai.intercom.approval;

import ai.intercom.protocol.AgentId;
import ai.intercom.protocol.JsonSerializable;
import ai.intercom.security.Secrets;

/**
 * A message that wants to go from one agent to another, as the gate sees it. A mission's opening
 * request ({@code threadId} null) is released by approving its mission; a chat message is the
 * message {@code seq} of its thread, and is released by delivering it (see {@link Settlement}).
 */
public record ApprovalRequest(
    String from,
    String to,
    MessageType type,
    String missionId,
    String message,
    String threadId,
    Long seq)
    implements JsonSerializable {

  static final int PREVIEW_CHARS = 200;

  /** How much of a tool's input a permission request shows the operator. */
  static final int SHOWN_INPUT_CHARS = 600;

  public ApprovalRequest {
    message = message == null ? "" : message;
  }

  /** A mission's opening request, with no thread. */
  public ApprovalRequest(
      String from, String to, MessageType type, String missionId, String message) {
    this(from, to, type, missionId, message, null, null);
  }

  /** The first characters of the message, on one line. */
  public String preview() {
    String flat = message.replaceAll("\\s+", " ").trim();
    return flat.length() <= PREVIEW_CHARS ? flat : flat.substring(0, PREVIEW_CHARS - 1) + "…";
  }

  /**
   * A launched {@code agent} asks the operator to use {@code tool} with {@code input} (JSON) within
   * its mission. The message shows the tool and its input on a few lines, secrets hidden, so that
   * rules can match it ({@code message_pattern: "^permission to use (Read|Grep)"}).
   */
  public static ApprovalRequest permission(
      String agent, String missionId, String tool, String input) {
    // hidden before it is cut: a cut secret could not be recognised any more
    String shown = input == null ? "" : Secrets.redact(input.strip());
    if (shown.length() > SHOWN_INPUT_CHARS) {
      shown = shown.substring(0, SHOWN_INPUT_CHARS - 1) + "…";
    }
    String message =
        "permission to use " + tool + (shown.isEmpty() || shown.equals("{}") ? "" : ": " + shown);
    return new ApprovalRequest(
        agent, AgentId.HUMAN.toString(), MessageType.PERMISSION, missionId, message);
  }
}
