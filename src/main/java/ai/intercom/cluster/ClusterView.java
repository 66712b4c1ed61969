package ai.intercom.cluster;

import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/** What this node's view of the cluster says about another node. */
public final class ClusterView {

  private ClusterView() {}

  /**
   * Whether the node at {@code address} may answer: not unreachable, and not down or on its way
   * out. A node this node's view does not show yet (it lags the receptionist by a gossip round)
   * may.
   */
  public static boolean reachable(ActorSystem<?> system, Address address) {
    if (address.hasLocalScope()) {
      return true;
    }
    ClusterEvent.CurrentClusterState state = Cluster.get(system).state();
    for (Member member : state.getUnreachable()) {
      if (member.address().equals(address)) {
        return false;
      }
    }
    for (Member member : state.getMembers()) {
      if (member.address().equals(address)) {
        MemberStatus status = member.status();
        return !(status == MemberStatus.down()
            || status == MemberStatus.exiting()
            || status == MemberStatus.leaving()
            || status == MemberStatus.removed());
      }
    }
    return true;
  }
}
