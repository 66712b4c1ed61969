package ai.intercom.telegram;

import ai.intercom.approval.GrantLevel;
import ai.intercom.protocol.AgentId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * What an inline button carries back to the bot when the operator presses it. Telegram allows
 * 1-{@value #MAX_BYTES} bytes of {@code callback_data}, so a payload is a verb and ids:
 *
 * <ul>
 *   <li>{@code a:<approvalId>:<once|mission|session|always>} approves an approval with a grant;
 *   <li>{@code d:<approvalId>} denies it;
 *   <li>{@code j:<machineId>:<approve|deny>} decides a machine's join request.
 * </ul>
 *
 * <p>Approval ids are {@code a-} and 6 to 32 lower-case hex digits (the gate makes 6). Machine ids
 * may have 63 characters, but {@code j:} and {@code :approve} leave room for only {@value
 * #MAX_MACHINE_ID_CHARS}: a join request from a machine with a longer id cannot carry buttons and
 * must be decided another way ({@code ai-intercom machines}).
 */
public sealed interface CallbackData {

  /** Telegram's limit on {@code callback_data}, in UTF-8 bytes. */
  int MAX_BYTES = 64;

  /** The longest machine id a join button can carry. */
  int MAX_MACHINE_ID_CHARS = MAX_BYTES - "j:".length() - ":approve".length();

  /** The payload, at most {@value #MAX_BYTES} bytes. */
  String encode();

  /**
   * The payload a button sent, or empty for anything this bot would not have sent (garbage, too
   * long, an unknown verb or level, an id of the wrong form); never throws.
   */
  static Optional<CallbackData> decode(String data) {
    if (data == null
        || data.isEmpty()
        || data.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      return Optional.empty();
    }
    String[] fields = data.split(":", -1);
    switch (fields[0]) {
      case "a":
        if (fields.length == 3 && isApprovalId(fields[1])) {
          for (GrantLevel level : GrantLevel.values()) {
            if (level.id().equals(fields[2])) {
              return Optional.of(new Approve(fields[1], level));
            }
          }
        }
        return Optional.empty();
      case "d":
        return fields.length == 2 && isApprovalId(fields[1])
            ? Optional.of(new Deny(fields[1]))
            : Optional.empty();
      case "j":
        if (fields.length != 3 || !isJoinableMachineId(fields[1])) {
          return Optional.empty();
        }
        return switch (fields[2]) {
          case Join.APPROVE -> Optional.of(new Join(fields[1], true));
          case Join.DENY -> Optional.of(new Join(fields[1], false));
          default -> Optional.empty();
        };
      default:
        return Optional.empty();
    }
  }

  /**
   * The buttons under an approval card, at most three to a row: Once / This mission / This session
   * / Always / Deny for a held message, Allow / Allow for this mission / Deny for a launched
   * agent's permission prompt.
   *
   * @throws IllegalArgumentException if {@code approvalId} is not an approval id
   */
  static List<List<Button>> approvalButtons(String approvalId, boolean permission) {
    Button deny = new Button("Deny", new Deny(approvalId));
    if (permission) {
      return List.of(
          List.of(
              new Button("Allow", new Approve(approvalId, GrantLevel.ONCE)),
              new Button("Allow for this mission", new Approve(approvalId, GrantLevel.MISSION))),
          List.of(deny));
    }
    return List.of(
        List.of(
            new Button("Once", new Approve(approvalId, GrantLevel.ONCE)),
            new Button("This mission", new Approve(approvalId, GrantLevel.MISSION)),
            new Button("This session", new Approve(approvalId, GrantLevel.SESSION))),
        List.of(new Button("Always", new Approve(approvalId, GrantLevel.ALWAYS)), deny));
  }

  /**
   * The Approve / Deny buttons under a machine's join request.
   *
   * @throws IllegalArgumentException if {@code machineId} is not a machine id of at most {@value
   *     #MAX_MACHINE_ID_CHARS} characters
   */
  static List<List<Button>> joinButtons(String machineId) {
    return List.of(
        List.of(
            new Button("Approve", new Join(machineId, true)),
            new Button("Deny", new Join(machineId, false))));
  }

  /** Whether {@code machineId} is a machine id short enough for a join button. */
  static boolean isJoinableMachineId(String machineId) {
    return AgentId.isValidPart(machineId) && machineId.length() <= MAX_MACHINE_ID_CHARS;
  }

  private static boolean isApprovalId(String id) {
    if (id == null || !id.startsWith("a-") || id.length() < 8 || id.length() > 34) {
      return false;
    }
    for (int i = 2; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private static String requireApprovalId(String id) {
    if (!isApprovalId(id)) {
      throw new IllegalArgumentException(
          "'" + id + "' is not an approval id (a- and 6 to 32 lower-case hex digits)");
    }
    return id;
  }

  /** Approve {@code approvalId}, granting {@code level} from then on. */
  record Approve(String approvalId, GrantLevel level) implements CallbackData {
    public Approve {
      requireApprovalId(approvalId);
      if (level == null) {
        throw new IllegalArgumentException("an approval button needs a grant level");
      }
    }

    @Override
    public String encode() {
      return "a:" + approvalId + ":" + level.id();
    }
  }

  /** Deny {@code approvalId}. */
  record Deny(String approvalId) implements CallbackData {
    public Deny {
      requireApprovalId(approvalId);
    }

    @Override
    public String encode() {
      return "d:" + approvalId;
    }
  }

  /** Admit ({@code approve}) or refuse the machine {@code machineId} that asked to join. */
  record Join(String machineId, boolean approve) implements CallbackData {
    static final String APPROVE = "approve";
    static final String DENY = "deny";

    public Join {
      if (!isJoinableMachineId(machineId)) {
        throw new IllegalArgumentException(
            "'"
                + machineId
                + "' is not a machine id of at most "
                + MAX_MACHINE_ID_CHARS
                + " characters (letters, digits, '.', '_', '-')");
      }
    }

    @Override
    public String encode() {
      return "j:" + machineId + ":" + (approve ? APPROVE : DENY);
    }
  }

  /** An inline button: its label and what it sends back. */
  record Button(String label, CallbackData data) {}
}
