package ai.intercom.telegram;

import ai.intercom.mission.Mission;
import ai.intercom.protocol.Refusal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The forum topic of each mission: the one its Mission entity names, else a new one, which the
 * entity then keeps (the first topic it is told of stays), so a restart of the hub never opens a
 * second topic for a mission.
 */
final class Topics {

  /** A mission the gate holds may be created a moment after its approval request. */
  static final int MISSING_TRIES = 10;

  static final Duration MISSING_WAIT = Duration.ofMillis(500);

  private final ClusterSharding sharding;
  private final Duration timeout;
  private final Sender sender;
  private final Map<String, Integer> topicOfMission;
  private final Function<List<TelegramBridge.Event>, CompletionStage<Done>> record;
  private final Map<String, CompletableFuture<Integer>> opening = new ConcurrentHashMap<>();

  Topics(
      ActorSystem<?> system,
      Duration timeout,
      Sender sender,
      Map<String, Integer> topicOfMission,
      Function<List<TelegramBridge.Event>, CompletionStage<Done>> record) {
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
    this.sender = sender;
    this.topicOfMission = topicOfMission;
    this.record = record;
  }

  /**
   * The mission's topic, opened if it has none; null (General) for a mission that never came. The
   * mirror's two streams may ask at once: one opening per mission is under way at a time.
   */
  CompletionStage<Integer> of(String missionId) {
    Integer known = topicOfMission.get(missionId);
    if (known != null) {
      return CompletableFuture.completedFuture(known);
    }
    CompletableFuture<Integer> mine = new CompletableFuture<>();
    CompletableFuture<Integer> underWay = opening.putIfAbsent(missionId, mine);
    if (underWay != null) {
      return underWay;
    }
    open(missionId)
        .whenComplete(
            (topic, error) -> {
              opening.remove(missionId, mine);
              if (error != null) {
                mine.completeExceptionally(error);
              } else {
                mine.complete(topic);
              }
            });
    return mine;
  }

  private CompletionStage<Integer> open(String missionId) {
    Integer known = topicOfMission.get(missionId);
    if (known != null) {
      return CompletableFuture.completedFuture(known);
    }
    return mission(missionId, 0)
        .thenCompose(
            state -> {
              if (state == null) {
                return CompletableFuture.completedFuture(null);
              }
              if (state.topicId() != null) {
                return remember(missionId, state.topicId().intValue());
              }
              return sender
                  .createTopic(TelegramText.topicName(state.from(), state.to(), state.prompt()))
                  .thenCompose(
                      created ->
                          sharding
                              .entityRefFor(Mission.ENTITY_KEY, missionId)
                              .<Mission.Summary>askWithStatus(
                                  r -> new Mission.SetTopic(created, r), timeout))
                  .thenCompose(
                      summary -> {
                        int topic = summary.topicId().intValue();
                        // the topic opens with what the mission is, before anything else in it
                        return sender
                            .post(
                                Outbox.Priority.CARD,
                                topic,
                                TelegramText.missionOpening(
                                    missionId,
                                    state.from(),
                                    state.to(),
                                    state.kind().name().toLowerCase(java.util.Locale.ROOT),
                                    state.prompt()))
                            .thenCompose(sent -> remember(missionId, topic));
                      });
            });
  }

  private CompletionStage<Integer> remember(String missionId, int topicId) {
    return record
        .apply(List.of(new TelegramBridge.TopicMapped(topicId, missionId)))
        .thenApply(done -> topicId);
  }

  private CompletionStage<Mission.State> mission(String missionId, int attempt) {
    return sharding
        .entityRefFor(Mission.ENTITY_KEY, missionId)
        .<Mission.State>askWithStatus(Mission.Get::new, timeout)
        .handle(
            (state, error) -> {
              if (error == null) {
                return CompletableFuture.completedFuture(state);
              }
              if (Refusal.is(error, Refusal.Code.NOT_FOUND) && attempt < MISSING_TRIES) {
                return CompletableFuture.supplyAsync(
                        () -> null,
                        CompletableFuture.delayedExecutor(
                            MISSING_WAIT.toMillis(), TimeUnit.MILLISECONDS))
                    .thenCompose(ignored -> mission(missionId, attempt + 1));
              }
              if (Refusal.is(error, Refusal.Code.NOT_FOUND)) {
                return CompletableFuture.<Mission.State>completedFuture(null);
              }
              return CompletableFuture.<Mission.State>failedFuture(error);
            })
        .thenCompose(Function.identity());
  }
}
