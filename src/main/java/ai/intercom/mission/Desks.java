package ai.intercom.mission;

import ai.intercom.daemon.SessionDesk;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Where each machine's session desk is: asked of the receptionist the first
 * time, then kept up to date by a subscription, so that a message does not pay
 * a lookup at every step.
 */
final class Desks {

  private final ActorSystem<?> system;
  private final Duration timeout;
  private final Map<String, Optional<ActorRef<SessionDesk.Command>>> known = new ConcurrentHashMap<>();
  private final ActorRef<Receptionist.Listing> listings;

  Desks(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.timeout = timeout;
    this.listings = system.systemActorOf(Behaviors.receiveMessage(listing -> {
      @SuppressWarnings("unchecked")
      ServiceKey<SessionDesk.Command> key = (ServiceKey<SessionDesk.Command>) listing.getKey();
      known.put(SessionDesk.machineOf(key), listing.getServiceInstances(key).stream().findFirst());
      return Behaviors.same();
    }), "desk-listings", Props.empty());
  }

  /** The session desk of a machine, if its node is in the cluster. */
  CompletionStage<Optional<ActorRef<SessionDesk.Command>>> of(String machineId) {
    Optional<ActorRef<SessionDesk.Command>> desk = known.get(machineId);
    if (desk != null) {
      return CompletableFuture.completedFuture(desk);
    }
    ServiceKey<SessionDesk.Command> key = SessionDesk.keyFor(machineId);
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(
            system.receptionist(), r -> Receptionist.find(key, r), timeout, system.scheduler())
        .thenApply(listing -> {
          // from now on the subscription keeps this machine's entry current
          system.receptionist().tell(Receptionist.subscribe(key, listings));
          return listing.getServiceInstances(key).stream().findFirst();
        });
  }
}
