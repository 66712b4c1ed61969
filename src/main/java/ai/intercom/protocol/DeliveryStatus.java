package ai.intercom.protocol;

import java.util.Locale;

/**
 * What became of a message handed to a machine: in the inbox of a running session ({@code
 * delivered}), kept in its project's queue until a session starts ({@code queued}), or not stored
 * ({@code failed}). Written lower-case on the wire.
 */
public enum DeliveryStatus {
  DELIVERED,
  QUEUED,
  FAILED;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
