package ai.intercom.daemon;

import ai.intercom.protocol.DeliveryState;

/**
 * Where an inbox reports how far its letters got (a port: the thread that holds the message
 * implements it). Reports may arrive more than once and out of order; only a later state counts.
 */
@FunctionalInterface
public interface Receipts {

  /**
   * {@code agent} ({@code machine/project}) has letter {@code letterId} in {@code state}: in the
   * inbox of {@code sessionId} (null while queued), injected by hook {@code hookEvent} (null
   * otherwise).
   */
  void report(
      String letterId, String agent, DeliveryState state, String sessionId, String hookEvent);

  /** Reports nowhere. */
  Receipts NONE = (letterId, agent, state, sessionId, hookEvent) -> {};
}
