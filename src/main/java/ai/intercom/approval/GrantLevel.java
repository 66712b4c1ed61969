package ai.intercom.approval;

import java.util.Locale;

/**
 * What an operator's approval also allows from then on (the Once / This mission / This session /
 * Always buttons).
 */
public enum GrantLevel {
  ONCE,
  MISSION,
  SESSION,
  ALWAYS;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static GrantLevel parse(String text) {
    for (GrantLevel level : values()) {
      if (level.id().equals(text)) {
        return level;
      }
    }
    throw new IllegalArgumentException(
        "unknown level '" + text + "' (expected once, mission, session or always)");
  }

  /** The grant an approval gives when the operator does not choose: the one the rule asked for. */
  public static GrantLevel defaultFor(ApprovalLevel rule) {
    return switch (rule) {
      case MISSION -> MISSION;
      case SESSION -> SESSION;
      case ALWAYS_ALLOW -> ALWAYS;
      case NEVER, ONCE -> ONCE;
    };
  }
}
