package ai.intercom.telegram;

import ai.intercom.approval.ApprovalGate;
import ai.intercom.approval.ApprovalRequest;
import ai.intercom.approval.MessageType;
import java.util.List;
import java.util.Locale;

/**
 * An approval as a card: its text (a launched agent's permission prompt shows the tool and its
 * input, anything else who asks whom for what) and its buttons. The mirror posts it in the
 * mission's topic; {@code /approvals} shows it again where it was asked.
 */
final class Cards {

  private static final String PERMISSION_PREFIX = "permission to use ";

  private Cards() {}

  static boolean isPermission(ApprovalGate.PendingApproval approval) {
    return approval.request().type() == MessageType.PERMISSION;
  }

  static String html(ApprovalGate.PendingApproval approval) {
    ApprovalRequest request = approval.request();
    if (isPermission(approval)) {
      // the gate's text is "permission to use TOOL: INPUT" (ApprovalRequest.permission)
      String rest = request.message();
      if (rest.startsWith(PERMISSION_PREFIX)) {
        rest = rest.substring(PERMISSION_PREFIX.length());
      }
      int colon = rest.indexOf(": ");
      return TelegramText.permissionCard(
          approval.id(),
          request.from(),
          colon < 0 ? rest.strip() : rest.substring(0, colon).strip(),
          colon < 0 ? "" : rest.substring(colon + 2),
          approval.expiresAt());
    }
    return TelegramText.approvalCard(
        approval.id(),
        request.from(),
        request.to(),
        request.type().name().toLowerCase(Locale.ROOT),
        request.preview(),
        approval.rule(),
        approval.expiresAt());
  }

  /** The card of a machine that asks to join the network. */
  static String joinRequest(String machineId, String displayName, String description) {
    String name =
        displayName == null || displayName.isBlank() || displayName.equals(machineId)
            ? ""
            : " (" + TelegramText.escape(displayName) + ")";
    String about =
        description == null || description.isBlank() ? "" : "\n" + TelegramText.escape(description);
    return "🖥 <b>Machine "
        + TelegramText.escape(machineId)
        + "</b>"
        + name
        + " asks to join the network."
        + about
        + "\nApprove only a machine you set up yourself.";
  }

  static List<List<Bot.Button>> buttons(ApprovalGate.PendingApproval approval) {
    return Operator.buttons(CallbackData.approvalButtons(approval.id(), isPermission(approval)));
  }
}
