package ai.intercom.http;

import ai.intercom.mission.ChatThread;
import ai.intercom.mission.Launches;
import ai.intercom.mission.Mission;
import ai.intercom.mission.MissionWaits;
import ai.intercom.mission.RecentMissions;
import ai.intercom.mission.Router;
import ai.intercom.protocol.AgentId;
import ai.intercom.protocol.Ids;
import ai.intercom.protocol.Refusal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.IntFunction;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;

/**
 * One mission, for {@code intercom_status} and {@code intercom_history}: {@code GET
 * /api/missions/{id}} (state and latest progress) and {@code GET
 * /api/missions/{id}/history?limit=50} (its transcript with its thread's messages).
 */
public final class MissionRoutes extends JsonRoutes {

  public static final int MAX_HISTORY = ChatThread.KEPT;

  /** A message of a mission: {@code seq} and {@code receipts} (how far it got) for a thread's. */
  public record Line(
      Instant at,
      String from,
      String text,
      String note,
      Long seq,
      List<Answers.Receipt> receipts) {}

  public record StopRequest(String by) {}

  public record FollowUpRequest(String message) {}

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Launches launches;
  private final OperatorCheck operator;
  private final Duration timeout;
  private final Optional<RecentMissions> recent;
  private final MissionWaits waits;

  /** {@code recent}: on nodes that hold the journal, the list of recent missions. */
  MissionRoutes(
      ActorSystem<?> system,
      Launches launches,
      OperatorCheck operator,
      Duration timeout,
      Optional<RecentMissions> recent) {
    this.system = system;
    this.launches = launches;
    this.operator = operator;
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
    this.recent = recent;
    this.waits = new MissionWaits(system, timeout);
  }

  public Route route() {
    return concat(
        get(
            () ->
                concat(
                    path("missions", () -> limit(20, this::recent)),
                    pathPrefix(
                        "missions",
                        () ->
                            pathPrefix(
                                PathMatchers.segment(),
                                id ->
                                    concat(
                                        pathEnd(
                                            () ->
                                                parameterOptional(
                                                    "wait", wait -> awaitStatus(id, wait))),
                                        path(
                                            "history",
                                            () -> limit(50, limit -> history(id, limit)))))))),
        post(
            () ->
                pathPrefix(
                    "missions",
                    () ->
                        pathPrefix(
                            PathMatchers.segment(),
                            id ->
                                concat(
                                    path(
                                        "stop",
                                        () ->
                                            body(
                                                StopRequest.class,
                                                new StopRequest(null),
                                                body -> stop(id, body))),
                                    path(
                                        "follow-up",
                                        () ->
                                            body(
                                                FollowUpRequest.class,
                                                null,
                                                body -> followUp(id, body))))))));
  }

  /**
   * The mission's status; with {@code wait=SECONDS} once it is finished or the time is up (one
   * request waits {@value SessionRoutes#MAX_WAIT} at most).
   */
  private Route awaitStatus(String id, Optional<String> wait) {
    long seconds;
    try {
      seconds = wait.map(Long::parseLong).orElse(0L);
    } catch (NumberFormatException e) {
      return badRequest("wait must be a number of seconds");
    }
    if (seconds < 0 || seconds > SessionRoutes.MAX_WAIT.toSeconds()) {
      return badRequest(
          "wait must be 0-" + SessionRoutes.MAX_WAIT.toSeconds() + " seconds per request");
    }
    if (seconds == 0) {
      return withMission(
          id, (mission, thread) -> completeOK(status(mission, thread), Json.marshaller()));
    }
    if (!Ids.isMissionId(id)) {
      return badRequest("mission id '" + id + "' is not like m-20260101-0a1b2c");
    }
    return withRequestTimeout(
        Duration.ofSeconds(seconds).plus(timeout).plusSeconds(5),
        () ->
            onSuccess(
                waits.finished(id, Duration.ofSeconds(seconds)),
                reply ->
                    reply.isError()
                        ? unknown(reply.getError())
                        : withMission(
                            id,
                            (mission, thread) ->
                                completeOK(status(mission, thread), Json.marshaller()))));
  }

  /**
   * {@code ai-intercom stop}: the operator ends a mission and its agent; an agent may stop only the
   * missions it started.
   */
  private Route stop(String id, StopRequest body) {
    if (!Ids.isMissionId(id)) {
      return badRequest("mission id '" + id + "' is not like m-20260101-0a1b2c");
    }
    String by = body.by() == null || body.by().isBlank() ? "human" : body.by();
    return operator.withCaller(
        caller -> {
          if (!(caller instanceof OperatorCheck.Agent agent)) {
            return outcome(launches.stop(id, by));
          }
          return withMission(
              id,
              (mission, thread) ->
                  mission.from().equals(agent.agent())
                      ? outcome(launches.stop(id, agent.agent()))
                      : operator.forbidden("stop a mission it did not start", agent));
        });
  }

  /** The operator's follow-up to a mission's agent (Telegram: text in the mission's topic). */
  private Route followUp(String id, FollowUpRequest body) {
    if (!Ids.isMissionId(id)) {
      return badRequest("mission id '" + id + "' is not like m-20260101-0a1b2c");
    }
    if (body.message() == null) {
      return badRequest("message is required");
    }
    return outcome(
        launches.followUp(new Router.Sender(AgentId.HUMAN.toString(), null), id, body.message()));
  }

  /** The {@code limit} parameter, 1-{@value #MAX_HISTORY}, {@code otherwise} when absent. */
  private Route limit(int otherwise, IntFunction<Route> inner) {
    return parameterOptional(
        "limit",
        text -> {
          int limit;
          try {
            limit = text.map(Integer::parseInt).orElse(otherwise);
          } catch (NumberFormatException e) {
            return badRequest("limit must be a number");
          }
          return limit < 1 || limit > MAX_HISTORY
              ? badRequest("limit must be 1-" + MAX_HISTORY)
              : inner.apply(limit);
        });
  }

  /** The missions with the latest changes, newest first. */
  private Route recent(int limit) {
    if (recent.isEmpty()) {
      return error(
          StatusCodes.NOT_FOUND, "missions are listed on the hub node (this node has no journal)");
    }
    CompletionStage<List<Answers.MissionStatus>> missions =
        recent
            .get()
            .latest(limit)
            .thenApply(
                list -> list.stream().map(mission -> status(mission, Optional.empty())).toList());
    return onSuccess(
        missions, list -> completeOK(new Answers.MissionList("ok", list), Json.marshaller()));
  }

  private Route history(String id, int last) {
    return withMission(
        id,
        (mission, thread) -> {
          List<Line> lines = new ArrayList<>();
          if (thread.isPresent()) {
            thread
                .get()
                .messages()
                .forEach(
                    m ->
                        lines.add(
                            new Line(
                                m.at(),
                                m.from(),
                                m.text(),
                                m.denied() == null ? null : "not delivered: " + m.denied(),
                                m.seq(),
                                Answers.Receipt.all(m.receipts()))));
          } else {
            mission
                .transcript()
                .forEach(e -> lines.add(new Line(e.at(), e.author(), e.text(), null, null, null)));
          }
          lines.sort(Comparator.comparing(Line::at));
          List<Line> tail = lines.subList(Math.max(0, lines.size() - last), lines.size());
          return completeOK(
              new Answers.History(
                  "ok",
                  mission.missionId(),
                  mission.threadId(),
                  thread.map(ChatThread.State::count).orElse((long) lines.size()),
                  tail),
              Json.marshaller());
        });
  }

  private static Answers.MissionStatus status(
      Mission.State mission, Optional<ChatThread.State> thread) {
    return Answers.MissionStatus.of(mission, thread);
  }

  private interface MissionView {
    Route apply(Mission.State mission, Optional<ChatThread.State> thread);
  }

  private Route withMission(String id, MissionView inner) {
    if (!Ids.isMissionId(id)) {
      return badRequest("mission id '" + id + "' is not like m-20260101-0a1b2c");
    }
    CompletionStage<StatusReply<Mission.State>> mission =
        sharding.entityRefFor(Mission.ENTITY_KEY, id).ask(Mission.Get::new, timeout);
    CompletionStage<Optional<ChatThread.State>> both =
        mission.thenCompose(
            reply -> {
              if (reply.isError() || reply.getValue().threadId() == null) {
                return CompletableFuture.completedFuture(Optional.empty());
              }
              return sharding
                  .entityRefFor(ChatThread.ENTITY_KEY, reply.getValue().threadId())
                  .<ChatThread.State>askWithStatus(ChatThread.Get::new, timeout)
                  .thenApply(Optional::of)
                  .exceptionally(error -> Optional.empty());
            });
    return onSuccess(
        mission,
        reply ->
            reply.isError()
                ? unknown(reply.getError())
                : onSuccess(both, thread -> inner.apply(reply.getValue(), thread)));
  }

  /** A mission that is not there, with a hint where its id comes from. */
  private Route unknown(Throwable refusal) {
    return refused(
        Refusal.notFound(Refusal.sentence(refusal) + " (check the id given when it was created)"));
  }
}
