package ai.intercom.protocol;

import java.util.Locale;
import java.util.Optional;

/**
 * Where a mission is in its life; written lower-case on the wire ({@code pending_approval}, {@code
 * running}, ...), as the MCP tools, the CLI and the HTTP answers show it.
 */
public enum MissionStatus {
  PENDING_APPROVAL,
  APPROVED,
  DENIED,
  RUNNING,
  COMPLETED,
  FAILED,
  INTERRUPTED,
  STOPPED;

  public boolean isFinished() {
    return this == DENIED
        || this == COMPLETED
        || this == FAILED
        || this == INTERRUPTED
        || this == STOPPED;
  }

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The status of a wire word, empty for a word that is not one. */
  public static Optional<MissionStatus> ofWire(String word) {
    for (MissionStatus status : values()) {
      if (status.wire().equals(word)) {
        return Optional.of(status);
      }
    }
    return Optional.empty();
  }
}
