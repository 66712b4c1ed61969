package ai.intercom.approval;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How much a matching message needs the operator (names as in policies.yml). */
public enum ApprovalLevel {
  /** Delivered at once. */
  NEVER,
  /** Asks once; the agent pair passes from then on, across restarts. */
  ALWAYS_ALLOW,
  /** Asks every time. */
  ONCE,
  /** Asks once; the rest of that mission passes. */
  MISSION,
  /** Asks once; the agent pair passes until the hub restarts. */
  SESSION;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static ApprovalLevel parse(String text) {
    for (ApprovalLevel level : values()) {
      if (level.id().equals(text)) {
        return level;
      }
    }
    throw new IllegalArgumentException(
        "unknown approval level '"
            + text
            + "' (expected "
            + Arrays.stream(values()).map(ApprovalLevel::id).collect(Collectors.joining(", "))
            + ")");
  }
}
