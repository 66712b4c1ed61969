package ai.intercom.http;

import ai.intercom.approval.ApprovalGate;
import ai.intercom.config.Settings;
import ai.intercom.daemon.SessionDesk;
import ai.intercom.directory.Directory;
import ai.intercom.mission.KeptMessages;
import ai.intercom.mission.PermissionPrompts;
import ai.intercom.mission.RecentMissions;
import ai.intercom.mission.Router;
import ai.intercom.network.Admissions;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.security.LocalToken;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's HTTP API under {@code /api}: health without a token, on hubs the machines' join and
 * signed network routes ({@link NetworkRoutes}), everything else behind the local token. Every
 * error is a JSON object {@code {"error": "..."}}.
 */
public final class ApiRoutes extends JsonRoutes {

  private static final Logger log = LoggerFactory.getLogger(ApiRoutes.class);

  /** What only a node with agent sessions serves. */
  private static final Set<String> DAEMON_ONLY =
      Set.of(
          "sessions",
          "inbox",
          "chat",
          "send",
          "reply",
          "register",
          "feedback",
          "ask",
          "start_agent",
          "permission");

  private final HealthRoutes health;
  private final ClusterRoutes cluster;
  private final ApprovalRoutes approvals;
  private final Optional<SessionRoutes> sessions;
  private final Optional<MessageRoutes> messages;
  private final DirectoryRoutes directory;
  private final MissionRoutes missions;
  private final LocalAuth auth;
  private final Optional<NetworkRoutes> network;

  /** How far a signed request's timestamp may be from this node's clock. */
  static final java.time.Duration SIGNATURE_WINDOW = java.time.Duration.ofSeconds(60);

  /**
   * {@code desk} and {@code launchedAgents} (mission id to agent pid) are empty on nodes without
   * the daemon role.
   */
  public ApiRoutes(
      ActorSystem<?> system,
      Settings settings,
      LocalToken token,
      ActorRef<ApprovalGate.Command> gate,
      Optional<ActorRef<SessionDesk.Command>> desk,
      Optional<Supplier<CompletionStage<Map<String, Long>>>> launchedAgents,
      Router router,
      PermissionPrompts permissions,
      Directory directory,
      Optional<Admissions> admissions,
      Optional<ActorRef<KeptMessages.Command>> kept) {
    OperatorCheck operator =
        new OperatorCheck(
            system, settings.machine().id(), desk, launchedAgents, settings.askTimeout());
    this.health =
        new HealthRoutes(system, settings.machine().id(), settings.mode(), settings.hub().url());
    this.cluster = new ClusterRoutes(system);
    this.approvals = new ApprovalRoutes(system, gate, operator, settings.askTimeout());
    this.sessions = desk.map(d -> new SessionRoutes(system, d, settings.askTimeout()));
    this.messages =
        desk.map(
            d ->
                new MessageRoutes(
                    system,
                    d,
                    router,
                    permissions,
                    directory,
                    settings.machine().id(),
                    settings.askTimeout(),
                    kept));
    this.directory = new DirectoryRoutes(directory);
    this.missions =
        new MissionRoutes(
            system,
            router.launches(),
            operator,
            settings.askTimeout(),
            settings.mode().hostsEntities()
                ? Optional.of(
                    new RecentMissions(
                        system,
                        settings.askTimeout(),
                        settings.journalUrl(),
                        settings.journal().user(),
                        settings.journal().password()))
                : Optional.empty());
    this.auth = new LocalAuth(token);
    this.network = admissions.map(a -> new NetworkRoutes(a, SIGNATURE_WINDOW, operator));
  }

  /**
   * The routes, built once: the Java DSL calls the suppliers given to its directives at every
   * request, so they hand out routes built here.
   */
  public Route route() {
    Route guarded =
        concat(
            cluster.route(),
            approvals.route(),
            directory.route(),
            missions.route(),
            sessions.map(SessionRoutes::route).orElseGet(this::noDaemon),
            messages.map(MessageRoutes::route).orElseGet(this::noDaemon),
            network.map(NetworkRoutes::operator).orElseGet(this::reject));
    Route behindToken = auth.require(() -> guarded);
    Route open = network.map(NetworkRoutes::open).orElseGet(this::reject);
    Route api = pathPrefix("api", () -> concat(health.route(), open, behindToken));
    Route withRejections = handleRejections(rejections(), () -> api);
    return handleExceptions(exceptions(), () -> withRejections);
  }

  private Route noDaemon() {
    return pathPrefix(
        PathMatchers.segment(),
        segment ->
            DAEMON_ONLY.contains(segment)
                ? error(
                    StatusCodes.NOT_FOUND,
                    "this is a hub node: agent sessions live on daemon or standalone nodes")
                : reject());
  }

  private static RejectionHandler rejections() {
    return RejectionHandler.defaultHandler()
        .mapRejectionResponse(
            response -> {
              if (response.entity() instanceof HttpEntity.Strict strict
                  && !strict.getContentType().equals(ContentTypes.APPLICATION_JSON)) {
                String text = strict.getData().utf8String();
                return response.withEntity(jsonError(text));
              }
              return response;
            });
  }

  private ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .match(
            java.util.concurrent.TimeoutException.class,
            e ->
                error(
                    StatusCodes.SERVICE_UNAVAILABLE,
                    "no answer in time from the cluster (is the hub running and reachable?)"))
        .matchAny(
            e -> {
              log.error("request failed", e);
              return error(
                  StatusCodes.INTERNAL_SERVER_ERROR,
                  "internal error: " + Optional.ofNullable(e.getMessage()).orElse(e.toString()));
            })
        .build();
  }

  private static HttpEntity.Strict jsonError(String text) {
    try {
      return HttpEntities.create(
          ContentTypes.APPLICATION_JSON,
          JsonFormat.MAPPER.writeValueAsBytes(new Json.Error(text, null)));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
