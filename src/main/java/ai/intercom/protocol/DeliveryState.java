package ai.intercom.protocol;

import java.util.Locale;
import java.util.Optional;

/**
 * How far a message got towards the model of one recipient; it only ever moves forward: {@code
 * pending_approval} (the operator decides) -> {@code queued} (kept until a session of the project
 * runs) -> {@code in_inbox} (in a session's inbox on its machine) -> {@code injected} (a hook put
 * it into the agent's context) -> {@code read} (returned by {@code intercom_check_inbox} or
 * answered in its thread). Written lower-case on the wire.
 */
public enum DeliveryState {
  PENDING_APPROVAL,
  QUEUED,
  IN_INBOX,
  INJECTED,
  READ;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether this state is later than {@code other}. */
  public boolean isAfter(DeliveryState other) {
    return compareTo(other) > 0;
  }

  /** Whether this state is {@code other} or later. */
  public boolean reached(DeliveryState other) {
    return compareTo(other) >= 0;
  }

  /** The state of a wire word, empty for a word that is not one. */
  public static Optional<DeliveryState> ofWire(String word) {
    for (DeliveryState state : values()) {
      if (state.wire().equals(word)) {
        return Optional.of(state);
      }
    }
    return Optional.empty();
  }
}
