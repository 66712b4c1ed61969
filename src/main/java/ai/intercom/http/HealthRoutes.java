package ai.intercom.http;

import ai.intercom.config.Version;
import java.util.List;
import java.util.Locale;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code GET /api/health}: the one route that needs no token. */
public final class HealthRoutes extends AllDirectives {

  public record Health(
      String status, String machineId, List<String> roles, String memberStatus, String version) {}

  private final Cluster cluster;
  private final CoordinatedShutdown shutdown;
  private final String machineId;

  public HealthRoutes(ActorSystem<?> system, String machineId) {
    this.cluster = Cluster.get(system);
    this.shutdown = CoordinatedShutdown.get(system);
    this.machineId = machineId;
  }

  public Route route() {
    return path("health", () -> get(() -> completeOK(health(), Json.marshaller())));
  }

  Health health() {
    MemberStatus member = cluster.selfMember().status();
    return new Health(
        statusOf(member),
        machineId,
        cluster.selfMember().getRoles().stream()
            .filter(role -> !role.startsWith("dc-"))
            .sorted()
            .toList(),
        member.toString().toLowerCase(Locale.ROOT),
        Version.current());
  }

  private String statusOf(MemberStatus member) {
    if (shutdown.getShutdownReason().isPresent()) {
      return "stopping";
    }
    if (member.equals(MemberStatus.up()) || member.equals(MemberStatus.weaklyUp())) {
      return "ok";
    }
    return "starting";
  }
}
