package ai.intercom.http;

import ai.intercom.mission.ChatThread;
import ai.intercom.mission.Launches;
import ai.intercom.mission.Mission;
import ai.intercom.mission.Router;
import ai.intercom.persistence.JournalIndex;
import ai.intercom.registry.AgentId;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.IntFunction;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
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

  public record Line(Instant at, String from, String text, String note) {}

  public record StopRequest(String by) {}

  public record FollowUpRequest(String message) {}

  /** Polled this often while a caller waits for a mission to finish. */
  static final Duration POLL = Duration.ofMillis(200);

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Launches launches;
  private final Duration timeout;
  private final Optional<JournalIndex> journal;
  private final Executor blocking;

  /** {@code journal}: on nodes that hold the journal, for the list of recent missions. */
  public MissionRoutes(
      ActorSystem<?> system, Launches launches, Duration timeout, Optional<JournalIndex> journal) {
    this.system = system;
    this.launches = launches;
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
    this.journal = journal;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
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
    if (!Mission.isValidId(id)) {
      return badRequest("mission id '" + id + "' is not like m-20260101-0a1b2c");
    }
    long until = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    return withRequestTimeout(
        Duration.ofSeconds(seconds).plus(timeout).plusSeconds(5),
        () ->
            onSuccess(
                finished(id, until),
                reply ->
                    reply.isError()
                        ? error(
                            StatusCodes.NOT_FOUND,
                            reply.getError().getMessage()
                                + " (check the id given when it was created)")
                        : withMission(
                            id,
                            (mission, thread) ->
                                completeOK(status(mission, thread), Json.marshaller()))));
  }

  /** The mission once it is finished, or as it is when the time is up. */
  private CompletionStage<StatusReply<Mission.State>> finished(String id, long untilNanos) {
    return sharding
        .entityRefFor(Mission.ENTITY_KEY, id)
        .<StatusReply<Mission.State>>ask(Mission.Get::new, timeout)
        .thenCompose(
            reply -> {
              if (reply.isError()
                  || reply.getValue().status().isFinished()
                  || System.nanoTime() - untilNanos >= 0) {
                return CompletableFuture.completedFuture(reply);
              }
              CompletableFuture<StatusReply<Mission.State>> later = new CompletableFuture<>();
              system
                  .scheduler()
                  .scheduleOnce(
                      POLL,
                      () ->
                          finished(id, untilNanos)
                              .whenComplete(
                                  (next, error) -> {
                                    if (error != null) {
                                      later.completeExceptionally(error);
                                    } else {
                                      later.complete(next);
                                    }
                                  }),
                      system.executionContext());
              return later;
            });
  }

  /** {@code ai-intercom stop}: the operator ends a mission and its agent. */
  private Route stop(String id, StopRequest body) {
    if (!Mission.isValidId(id)) {
      return badRequest("mission id '" + id + "' is not like m-20260101-0a1b2c");
    }
    String by = body.by() == null || body.by().isBlank() ? "human" : body.by();
    return outcome(launches.stop(id, by));
  }

  /** The operator's follow-up to a mission's agent (Telegram: text in the mission's topic). */
  private Route followUp(String id, FollowUpRequest body) {
    if (!Mission.isValidId(id)) {
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
    if (journal.isEmpty()) {
      return error(
          StatusCodes.NOT_FOUND, "missions are listed on the hub node (this node has no journal)");
    }
    CompletionStage<List<Map<String, Object>>> missions =
        CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return journal.get().recentlyWritten(Mission.ENTITY_KEY.name(), limit);
                  } catch (SQLException e) {
                    throw new IllegalStateException(
                        "cannot read the journal: " + e.getMessage(), e);
                  }
                },
                blocking)
            .thenCompose(
                ids -> {
                  List<CompletableFuture<StatusReply<Mission.State>>> asks =
                      ids.stream()
                          .map(
                              id ->
                                  sharding
                                      .entityRefFor(Mission.ENTITY_KEY, id)
                                      .ask(Mission.Get::new, timeout)
                                      .toCompletableFuture())
                          .toList();
                  return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
                      .thenApply(
                          all ->
                              asks.stream()
                                  .map(CompletableFuture::join)
                                  .filter(StatusReply::isSuccess)
                                  .map(reply -> status(reply.getValue(), Optional.empty()))
                                  .toList());
                });
    return onSuccess(
        missions, list -> completeOK(Map.of("status", "ok", "missions", list), Json.marshaller()));
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
                                m.denied() == null ? null : "not delivered: " + m.denied())));
          } else {
            mission
                .transcript()
                .forEach(e -> lines.add(new Line(e.at(), e.author(), e.text(), null)));
          }
          lines.sort(Comparator.comparing(Line::at));
          List<Line> tail = lines.subList(Math.max(0, lines.size() - last), lines.size());
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("status", "ok");
          body.put("mission_id", mission.missionId());
          body.put("thread_id", mission.threadId());
          body.put("total", thread.map(ChatThread.State::count).orElse((long) lines.size()));
          body.put("messages", tail);
          return completeOK(body, Json.marshaller());
        });
  }

  private static Map<String, Object> status(
      Mission.State mission, Optional<ChatThread.State> thread) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", mission.status().name().toLowerCase());
    body.put("mission_id", mission.missionId());
    body.put("kind", mission.kind().name().toLowerCase());
    body.put("from", mission.from());
    body.put("to", mission.to());
    body.put("created_at", mission.createdAt());
    body.put("updated_at", mission.updatedAt());
    body.put("prompt", mission.prompt());
    putPresent(body, "thread_id", mission.threadId());
    thread.ifPresent(t -> body.put("messages", t.count()));
    if (!mission.latestProgress().isEmpty()) {
      body.put("latest_progress", mission.latestProgress());
      body.put("progress", mission.progress());
    }
    putPresent(body, "result", mission.result());
    putPresent(body, "cost_usd", mission.costUsd());
    putPresent(body, "duration_ms", mission.durationMs());
    putPresent(body, "agent_session_id", mission.agentSessionId());
    putPresent(body, "reason", mission.reason());
    return body;
  }

  private interface MissionView {
    Route apply(Mission.State mission, Optional<ChatThread.State> thread);
  }

  private Route withMission(String id, MissionView inner) {
    if (!Mission.isValidId(id)) {
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
                ? error(
                    StatusCodes.NOT_FOUND,
                    reply.getError().getMessage() + " (check the id given when it was created)")
                : onSuccess(both, thread -> inner.apply(reply.getValue(), thread)));
  }
}
