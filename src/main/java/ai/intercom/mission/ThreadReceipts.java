package ai.intercom.mission;

import ai.intercom.daemon.Receipts;
import ai.intercom.protocol.DeliveryState;
import ai.intercom.protocol.Ids;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The inboxes' receipts, told to the threads that hold the messages (letter ids {@code
 * t-xxxxxxxx:SEQ}); letters of other kinds (notes about one's own messages, mission results) have
 * no receipt. Told, not asked: a lost report is made good by the next one, as states only move
 * forward.
 */
public final class ThreadReceipts implements Receipts {

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;

  public ThreadReceipts(ActorSystem<?> system) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
  }

  @Override
  public void report(
      String letterId, String agent, DeliveryState state, String sessionId, String hookEvent) {
    int colon = letterId.indexOf(':');
    if (colon < 0 || !Ids.isThreadId(letterId.substring(0, colon))) {
      return;
    }
    long seq;
    try {
      seq = Long.parseLong(letterId.substring(colon + 1));
    } catch (NumberFormatException e) {
      return;
    }
    sharding
        .entityRefFor(ChatThread.ENTITY_KEY, letterId.substring(0, colon))
        .tell(new ChatThread.Advance(seq, agent, state, sessionId, hookEvent, system.ignoreRef()));
  }
}
