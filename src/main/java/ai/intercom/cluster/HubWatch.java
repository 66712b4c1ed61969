package ai.intercom.cluster;

import ai.intercom.protocol.NodeRole;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * On daemon nodes: notices when no reachable hub is left in the cluster (the hub restarted, or the
 * network was cut) and, after a grace period, stops the node with {@link #HUB_LOST} so that it
 * starts again and joins the hub anew.
 */
public final class HubWatch extends AbstractBehavior<ClusterEvent.ClusterDomainEvent> {

  /** The shutdown reason after which a daemon node starts again. */
  public static final CoordinatedShutdown.Reason HUB_LOST =
      new CoordinatedShutdown.Reason() {
        @Override
        public String toString() {
          return "no hub in the cluster";
        }
      };

  private static final String TIMER = "hub-lost";

  private enum Lost implements ClusterEvent.ClusterDomainEvent {
    INSTANCE
  }

  public static Behavior<ClusterEvent.ClusterDomainEvent> create(Duration lostAfter) {
    return Behaviors.setup(
        context -> Behaviors.withTimers(timers -> new HubWatch(context, timers, lostAfter)));
  }

  private final TimerScheduler<ClusterEvent.ClusterDomainEvent> timers;
  private final Duration lostAfter;
  private final Set<UniqueAddress> hubs = new HashSet<>();
  private final Set<UniqueAddress> unreachable = new HashSet<>();

  /** Only a node that was in a cluster with a hub can lose it. */
  private boolean sawHub;

  private HubWatch(
      ActorContext<ClusterEvent.ClusterDomainEvent> context,
      TimerScheduler<ClusterEvent.ClusterDomainEvent> timers,
      Duration lostAfter) {
    super(context);
    this.timers = timers;
    this.lostAfter = lostAfter;
    // the current state arrives as events too
    Cluster.get(context.getSystem())
        .subscriptions()
        .tell(Subscribe.create(context.getSelf(), ClusterEvent.ClusterDomainEvent.class));
  }

  @Override
  public Receive<ClusterEvent.ClusterDomainEvent> createReceive() {
    return newReceiveBuilder()
        .onMessage(ClusterEvent.MemberEvent.class, event -> check(() -> track(event.member())))
        .onMessage(
            ClusterEvent.UnreachableMember.class,
            event -> check(() -> unreachable.add(event.member().uniqueAddress())))
        .onMessage(
            ClusterEvent.ReachableMember.class,
            event -> check(() -> unreachable.remove(event.member().uniqueAddress())))
        .onMessageEquals(Lost.INSTANCE, this::onLost)
        .onAnyMessage(event -> this)
        .build();
  }

  private Behavior<ClusterEvent.ClusterDomainEvent> onLost() {
    getContext()
        .getLog()
        .warn(
            "no hub in the cluster for {}: restarting this node to join the hub again", lostAfter);
    CoordinatedShutdown.get(getContext().getSystem()).runAll(HUB_LOST);
    return this;
  }

  private void track(Member member) {
    if (!member.hasRole(NodeRole.HUB_ROLE)) {
      return;
    }
    if (member.status().equals(MemberStatus.up())
        || member.status().equals(MemberStatus.weaklyUp())) {
      hubs.add(member.uniqueAddress());
    } else {
      hubs.remove(member.uniqueAddress());
    }
  }

  private Behavior<ClusterEvent.ClusterDomainEvent> check(Runnable change) {
    change.run();
    boolean hubThere = hubs.stream().anyMatch(hub -> !unreachable.contains(hub));
    sawHub |= hubThere;
    if (hubThere) {
      timers.cancel(TIMER);
    } else if (sawHub && !timers.isTimerActive(TIMER)) {
      timers.startSingleTimer(TIMER, Lost.INSTANCE, lostAfter);
    }
    return this;
  }
}
