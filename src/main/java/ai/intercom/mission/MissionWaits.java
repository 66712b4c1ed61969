package ai.intercom.mission;

import ai.intercom.protocol.JsonSerializable;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/**
 * Waiting for a mission to finish without asking it again and again: each Mission entity announces
 * on the cluster topic {@value #TOPIC} when it reaches a final state, and a waiter is woken by that
 * notice (or by its deadline), then reads the mission once more.
 */
public final class MissionWaits {

  static final String TOPIC = "mission-ends";

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  /** A mission reached a final state. */
  public record Finished(String missionId) implements JsonSerializable {}

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Duration timeout;
  private final Map<String, List<CompletableFuture<Void>>> waiting = new ConcurrentHashMap<>();

  public MissionWaits(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
    ActorRef<Finished> listener =
        system.systemActorOf(
            Behaviors.receiveMessage(
                finished -> {
                  List<CompletableFuture<Void>> woken = waiting.remove(finished.missionId());
                  if (woken != null) {
                    woken.forEach(w -> w.complete(null));
                  }
                  return Behaviors.same();
                }),
            "mission-waits-" + INSTANCES.incrementAndGet(),
            Props.empty());
    topic(system).tell(Topic.subscribe(listener));
  }

  /** This node's handle on the topic (one per node, made on first use). */
  static ActorRef<Topic.Command<Finished>> topic(ActorSystem<?> system) {
    return Topics.of(system);
  }

  /**
   * The mission once it is finished, or as it is when {@code wait} is over; a refusal for a mission
   * that does not exist.
   */
  public CompletionStage<StatusReply<Mission.State>> finished(String missionId, Duration wait) {
    CompletableFuture<Void> woken = new CompletableFuture<>();
    // registered before the first read: a mission that ends between the two is not missed
    waiting.computeIfAbsent(missionId, id -> new CopyOnWriteArrayList<>()).add(woken);
    return read(missionId)
        .thenCompose(
            reply -> {
              if (reply.isError() || reply.getValue().status().isFinished()) {
                return done(missionId, woken, reply);
              }
              return woken
                  .completeOnTimeout(null, wait.toMillis(), TimeUnit.MILLISECONDS)
                  .thenCompose(ignored -> read(missionId))
                  .thenCompose(later -> done(missionId, woken, later));
            });
  }

  private CompletionStage<StatusReply<Mission.State>> read(String missionId) {
    return sharding.entityRefFor(Mission.ENTITY_KEY, missionId).ask(Mission.Get::new, timeout);
  }

  private CompletionStage<StatusReply<Mission.State>> done(
      String missionId, CompletableFuture<Void> woken, StatusReply<Mission.State> reply) {
    waiting.computeIfPresent(
        missionId,
        (id, list) -> {
          list.remove(woken);
          return list.isEmpty() ? null : list;
        });
    return CompletableFuture.completedFuture(reply);
  }

  /** One topic actor per node, shared by the entities and the waiters of that node. */
  private static final class Topics {
    private static final Map<ActorSystem<?>, ActorRef<Topic.Command<Finished>>> BY_SYSTEM =
        new ConcurrentHashMap<>();

    static ActorRef<Topic.Command<Finished>> of(ActorSystem<?> system) {
      return BY_SYSTEM.computeIfAbsent(
          system,
          s -> {
            s.getWhenTerminated().thenRun(() -> BY_SYSTEM.remove(s));
            return s.systemActorOf(
                Topic.create(Finished.class, TOPIC), "mission-ends-topic", Props.empty());
          });
    }
  }
}
