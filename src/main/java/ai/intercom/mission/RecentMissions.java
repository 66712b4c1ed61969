package ai.intercom.mission;

import ai.intercom.persistence.JournalIndex;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/**
 * The operator's list of missions: those written to most recently, newest first, each as its entity
 * answers. Reads the journal's index on the blocking threads; only nodes that hold the journal have
 * one.
 */
public final class RecentMissions {

  private final ClusterSharding sharding;
  private final Duration timeout;
  private final JournalIndex journal;
  private final Executor blocking;

  /** Reads the journal at JDBC {@code url} ({@code user} empty: none needed). */
  public RecentMissions(
      ActorSystem<?> system, Duration timeout, String url, String user, String password) {
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
    this.journal = new JournalIndex(url, user, password);
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  public CompletionStage<List<Mission.State>> latest(int limit) {
    return CompletableFuture.supplyAsync(
            () -> {
              try {
                return journal.recentlyWritten(Mission.ENTITY_KEY.name(), limit);
              } catch (SQLException e) {
                throw new IllegalStateException("cannot read the journal: " + e.getMessage(), e);
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
                              .map(StatusReply::getValue)
                              .toList());
            });
  }
}
