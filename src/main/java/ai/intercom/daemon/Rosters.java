package ai.intercom.daemon;

import ai.intercom.cluster.ClusterView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/** What the machines in the cluster offer now: the roster of each session desk that answers. */
public final class Rosters {

  private Rosters() {}

  /**
   * The rosters of the online machines, by machine id (a desk that does not answer is left out).
   */
  /**
   * A desk answers its roster at once; one that does not answer within this counts as offline (its
   * node is dying and not yet marked unreachable).
   */
  static final Duration ROSTER_WITHIN = Duration.ofSeconds(2);

  public static CompletionStage<Map<String, SessionDesk.Roster>> online(
      ActorSystem<?> system, Duration timeout) {
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(
            system.receptionist(),
            r -> Receptionist.find(SessionDesk.ALL, r),
            timeout,
            system.scheduler())
        .thenCompose(
            listing -> {
              List<CompletableFuture<Optional<SessionDesk.Roster>>> asks = new ArrayList<>();
              for (ActorRef<SessionDesk.Command> desk :
                  listing.getServiceInstances(SessionDesk.ALL)) {
                if (!ClusterView.reachable(system, desk.path().address())) {
                  // unreachable or leaving: offline now, without waiting for an answer
                  continue;
                }
                asks.add(
                    AskPattern.<SessionDesk.Command, SessionDesk.Roster>ask(
                            desk,
                            SessionDesk.GetRoster::new,
                            ROSTER_WITHIN.compareTo(timeout) < 0 ? ROSTER_WITHIN : timeout,
                            system.scheduler())
                        .thenApply(Optional::of)
                        .exceptionally(error -> Optional.empty())
                        .toCompletableFuture());
              }
              return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
                  .thenApply(
                      all -> {
                        Map<String, SessionDesk.Roster> byMachine = new TreeMap<>();
                        asks.forEach(
                            ask ->
                                ask.join()
                                    .ifPresent(
                                        roster -> byMachine.put(roster.machineId(), roster)));
                        return byMachine;
                      });
            });
  }
}
