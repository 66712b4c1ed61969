package ai.intercom.approval;

import ai.intercom.mission.Mission;
import ai.intercom.serialization.JsonSerializable;

/**
 * A message that wants to go from one agent to another, as the gate sees it. A mission's opening
 * request ({@code threadId} null) is released by approving its mission; a chat message is the
 * message {@code seq} of its thread, and is released by delivering it (see {@link Settlement}).
 */
public record ApprovalRequest(
    String from,
    String to,
    Mission.Kind type,
    String missionId,
    String message,
    String threadId,
    Long seq)
    implements JsonSerializable {

  static final int PREVIEW_CHARS = 200;

  public ApprovalRequest {
    message = message == null ? "" : message;
  }

  /** A mission's opening request, with no thread. */
  public ApprovalRequest(
      String from, String to, Mission.Kind type, String missionId, String message) {
    this(from, to, type, missionId, message, null, null);
  }

  /** The first characters of the message, on one line. */
  public String preview() {
    String flat = message.replaceAll("\\s+", " ").trim();
    return flat.length() <= PREVIEW_CHARS ? flat : flat.substring(0, PREVIEW_CHARS - 1) + "…";
  }
}
