package ai.intercom.approval;

import ai.intercom.mission.Mission;
import ai.intercom.serialization.JsonSerializable;

/**
 * A message that wants to go from one agent to another, as the gate sees it.
 * The gate releases it by approving its mission (or refuses it by denying it).
 */
public record ApprovalRequest(String from, String to, Mission.Kind type, String missionId, String message)
    implements JsonSerializable {

  static final int PREVIEW_CHARS = 200;

  public ApprovalRequest {
    message = message == null ? "" : message;
  }

  /** The first characters of the message, on one line. */
  public String preview() {
    String flat = message.replaceAll("\\s+", " ").trim();
    return flat.length() <= PREVIEW_CHARS ? flat : flat.substring(0, PREVIEW_CHARS - 1) + "…";
  }
}
