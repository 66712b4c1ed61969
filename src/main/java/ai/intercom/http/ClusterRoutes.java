package ai.intercom.http;

import java.util.List;
import java.util.Locale;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code GET /api/cluster}: the nodes of the network as this node sees them. */
public final class ClusterRoutes extends AllDirectives {

  public record Node(String address, List<String> roles, String status, boolean reachable) {}

  public record Members(String self, String leader, List<Node> members) {}

  private final Cluster cluster;

  public ClusterRoutes(ActorSystem<?> system) {
    this.cluster = Cluster.get(system);
  }

  public Route route() {
    return path("cluster", () -> get(() -> completeOK(members(), Json.marshaller())));
  }

  private Members members() {
    var state = cluster.state();
    var unreachable = state.getUnreachable();
    List<Node> nodes =
        StreamSupport.stream(state.getMembers().spliterator(), false)
            .map(m -> node(m, !unreachable.contains(m)))
            .toList();
    return new Members(
        cluster.selfMember().address().toString(),
        state.getLeader() == null ? null : state.getLeader().toString(),
        nodes);
  }

  private static Node node(Member member, boolean reachable) {
    return new Node(
        member.address().toString(),
        member.getRoles().stream().filter(r -> !r.startsWith("dc-")).sorted().toList(),
        member.status().toString().toLowerCase(Locale.ROOT),
        reachable);
  }
}
