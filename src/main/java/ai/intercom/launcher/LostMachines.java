package ai.intercom.launcher;

import ai.intercom.cluster.MachineServices;
import ai.intercom.daemon.SessionDesk;
import ai.intercom.mission.Mission;
import ai.intercom.protocol.MissionStatus;
import ai.intercom.protocol.NodeRole;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * One per cluster, on a hub: when a machine's node leaves the cluster (it stopped, crashed or was
 * cut off and downed) and no node of that machine is left, the missions its agents were running are
 * interrupted and their requesters told, at once, not when the machine comes back. A machine that
 * comes back has its ledger read again by its own supervisor (nothing of it is lost).
 */
public final class LostMachines {

  private LostMachines() {}

  public static void init(
      ActorSystem<?> system, MachineServices<SessionDesk.Command> desks, Duration timeout) {
    ClusterSingleton.get(system)
        .init(
            SingletonActor.of(
                    Behaviors.supervise(create(desks, timeout))
                        .onFailure(SupervisorStrategy.restart()),
                    "lost-machines")
                .withSettings(ClusterSingletonSettings.create(system).withRole(NodeRole.HUB_ROLE)));
  }

  static Behavior<ClusterEvent.MemberRemoved> create(
      MachineServices<SessionDesk.Command> desks, Duration timeout) {
    return Behaviors.setup(
        context -> {
          Cluster cluster = Cluster.get(context.getSystem());
          cluster
              .subscriptions()
              .tell(Subscribe.create(context.getSelf(), ClusterEvent.MemberRemoved.class));
          ClusterSharding sharding = ClusterSharding.get(context.getSystem());
          return Behaviors.receiveMessage(
              removed -> {
                String machine = machineOf(removed.member());
                if (machine == null || stillThere(cluster, machine)) {
                  return Behaviors.same();
                }
                context.getLog().info("machine {} left the cluster", machine);
                sharding
                    .entityRefFor(MachineRuns.ENTITY_KEY, machine)
                    .<MachineRuns.State>ask(MachineRuns.Get::new, timeout)
                    .thenAccept(
                        ledger ->
                            ledger
                                .runs()
                                .keySet()
                                .forEach(
                                    id ->
                                        interruptIfRunning(
                                            context.getSystem(),
                                            sharding,
                                            desks,
                                            machine,
                                            id,
                                            timeout)));
                return Behaviors.same();
              });
        });
  }

  private static void interruptIfRunning(
      ActorSystem<?> system,
      ClusterSharding sharding,
      MachineServices<SessionDesk.Command> desks,
      String machine,
      String missionId,
      Duration timeout) {
    org.slf4j.Logger log = system.log();
    var mission = sharding.entityRefFor(Mission.ENTITY_KEY, missionId);
    mission
        .<Mission.State>askWithStatus(Mission.Get::new, timeout)
        .thenCompose(
            state ->
                state.status() != MissionStatus.RUNNING
                    ? java.util.concurrent.CompletableFuture.completedFuture(null)
                    : mission
                        .<Mission.Summary>askWithStatus(
                            r ->
                                new Mission.Interrupt(
                                    "machine "
                                        + machine
                                        + " left the cluster while its agent ran (its node stopped"
                                        + " or was cut off); its next start ends what is left",
                                    r),
                            timeout)
                        .thenAccept(
                            interrupted -> {
                              log.warn(
                                  "mission {} interrupted: machine {} left the cluster",
                                  missionId,
                                  machine);
                              OutcomeNote.tell(interrupted, desks, system);
                            }))
        .exceptionally(
            error -> {
              log.info("mission {} of lost machine {}: {}", missionId, machine, error.toString());
              return null;
            });
  }

  private static String machineOf(Member member) {
    for (String role : member.getRoles()) {
      if (role.startsWith(NodeRole.MACHINE_ROLE_PREFIX)) {
        return role.substring(NodeRole.MACHINE_ROLE_PREFIX.length());
      }
    }
    return null;
  }

  /** Whether a node of {@code machine} is in the cluster still (it came back already). */
  private static boolean stillThere(Cluster cluster, String machine) {
    for (Member member : cluster.state().getMembers()) {
      if (member.hasRole(NodeRole.machineRole(machine))
          && (member.status() == MemberStatus.up()
              || member.status() == MemberStatus.joining()
              || member.status() == MemberStatus.weaklyUp())) {
        return true;
      }
    }
    return false;
  }
}
