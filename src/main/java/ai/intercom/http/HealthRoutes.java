package ai.intercom.http;

import ai.intercom.config.Version;
import ai.intercom.protocol.NodeRole;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Locale;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * What any process may ask without a token: {@code GET /api/health}, and {@code GET /api/discover}
 * (what this node is, for machines looking for their hub on the tailnet: a hub says so, a daemon
 * says where its hub is).
 */
public final class HealthRoutes extends AllDirectives {

  public record Health(
      String status, String machineId, List<String> roles, String memberStatus, String version) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Discovered(
      String status,
      String service,
      String machineId,
      String mode,
      String hubUrl,
      String version) {}

  private final Cluster cluster;
  private final CoordinatedShutdown shutdown;
  private final String machineId;
  private final Discovered discovered;

  public HealthRoutes(ActorSystem<?> system, String machineId, NodeRole mode, String hubUrl) {
    this.cluster = Cluster.get(system);
    this.shutdown = CoordinatedShutdown.get(system);
    this.machineId = machineId;
    this.discovered =
        new Discovered(
            "ok",
            "ai-intercom",
            machineId,
            mode.id(),
            mode.hostsEntities() || hubUrl == null || hubUrl.isBlank() ? null : hubUrl,
            Version.current());
  }

  public Route route() {
    return concat(
        path("health", () -> get(() -> completeOK(health(), Json.marshaller()))),
        path("discover", () -> get(() -> completeOK(discovered, Json.marshaller()))));
  }

  Health health() {
    MemberStatus member = cluster.selfMember().status();
    return new Health(
        statusOf(member),
        machineId,
        cluster.selfMember().getRoles().stream()
            .filter(
                role -> !role.startsWith("dc-") && !role.startsWith(NodeRole.MACHINE_ROLE_PREFIX))
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
