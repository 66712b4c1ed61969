package ai.intercom.cluster;

import ai.intercom.protocol.Refusal;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Where one kind of machine-local actor (a session desk, an agent supervisor) of each machine is:
 * asked of the receptionist the first time, then kept up to date by a subscription, so that a
 * message does not pay a lookup at every step. Each machine registers its actor under {@code prefix
 * + machineId}.
 */
public final class MachineServices<T> {

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final ActorSystem<?> system;
  private final Duration timeout;
  private final Class<T> protocol;
  private final String prefix;
  private final Map<String, Optional<ActorRef<T>>> known = new ConcurrentHashMap<>();
  private final ActorRef<Receptionist.Listing> listings;

  public MachineServices(
      ActorSystem<?> system, Duration timeout, Class<T> protocol, String prefix) {
    this.system = system;
    this.timeout = timeout;
    this.protocol = protocol;
    this.prefix = prefix;
    this.listings =
        system.systemActorOf(
            Behaviors.receiveMessage(
                listing -> {
                  @SuppressWarnings("unchecked")
                  ServiceKey<T> key = (ServiceKey<T>) listing.getKey();
                  known.put(
                      key.id().substring(prefix.length()),
                      listing.getServiceInstances(key).stream().findFirst());
                  return Behaviors.same();
                }),
            prefix + "listings-" + INSTANCES.incrementAndGet(),
            Props.empty());
  }

  /**
   * Whether the node of {@code actor} may answer: not unreachable, and not down or on its way out.
   * A node this node's view does not show yet (it lags the receptionist by a gossip round) may.
   */
  private boolean reachable(ActorRef<T> actor) {
    return ClusterView.reachable(system, actor.path().address());
  }

  /** The key a machine registers its actor under. */
  public static <T> ServiceKey<T> key(Class<T> protocol, String prefix, String machineId) {
    return ServiceKey.create(protocol, prefix + machineId);
  }

  /**
   * The actor of a machine, if its node is in the cluster and reachable (a node that is gone but
   * not yet out of the receptionist's listing would only time out).
   */
  public CompletionStage<Optional<ActorRef<T>>> of(String machineId) {
    return listed(machineId).thenApply(found -> found.filter(this::reachable));
  }

  private CompletionStage<Optional<ActorRef<T>>> listed(String machineId) {
    Optional<ActorRef<T>> found = known.get(machineId);
    if (found != null) {
      return CompletableFuture.completedFuture(found);
    }
    ServiceKey<T> key = key(protocol, prefix, machineId);
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(
            system.receptionist(), r -> Receptionist.find(key, r), timeout, system.scheduler())
        .thenApply(
            listing -> {
              // from now on the subscription keeps this machine's entry current
              system.receptionist().tell(Receptionist.subscribe(key, listings));
              return listing.getServiceInstances(key).stream().findFirst();
            });
  }

  /**
   * The actor of a machine; fails with a refusal of code {@code OFFLINE} when its node is not in
   * the cluster.
   */
  public CompletionStage<ActorRef<T>> require(String machineId) {
    return of(machineId).thenApply(found -> found.orElseThrow(() -> offline(machineId)));
  }

  /** What a request for a machine whose node is not in the cluster now is told. */
  public static Refusal offline(String machineId) {
    return new Refusal(
        Refusal.Code.OFFLINE,
        "machine " + machineId + " is offline (its node is not in the cluster)");
  }
}
