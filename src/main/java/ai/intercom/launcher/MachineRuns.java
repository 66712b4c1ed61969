package ai.intercom.launcher;

import ai.intercom.cluster.NodeRole;
import ai.intercom.serialization.JsonSerializable;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The missions a machine's agent supervisor took on and has not finished
 * (queued or running), id = machine id. When the node starts again after a
 * crash or a stop, its supervisor reads them: the running ones are interrupted,
 * the queued ones start.
 */
public final class MachineRuns
    extends EventSourcedBehaviorWithEnforcedReplies<MachineRuns.Command, MachineRuns.Event, MachineRuns.State> {

  public record State(Set<String> missionIds) implements JsonSerializable {
    public State {
      missionIds = Set.copyOf(missionIds);
    }

    State with(String missionId, boolean present) {
      Set<String> ids = new TreeSet<>(missionIds);
      if (present) {
        ids.add(missionId);
      } else {
        ids.remove(missionId);
      }
      return new State(ids);
    }
  }

  public sealed interface Command extends JsonSerializable {}

  public record Add(String missionId, ActorRef<State> replyTo) implements Command {}

  public record Remove(String missionId, ActorRef<State> replyTo) implements Command {}

  public record Get(ActorRef<State> replyTo) implements Command {}

  public sealed interface Event extends JsonSerializable {}

  public record Added(String missionId) implements Event {}

  public record Removed(String missionId) implements Event {}

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "MachineRuns");

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, ctx -> new MachineRuns(ctx.getEntityId())).withRole(NodeRole.HUB_ROLE));
  }

  private MachineRuns(String machineId) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), machineId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public State emptyState() {
    return new State(Set.of());
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Add.class, (state, cmd) -> state.missionIds().contains(cmd.missionId())
            ? Effect().reply(cmd.replyTo(), state)
            : Effect().persist(new Added(cmd.missionId())).thenReply(cmd.replyTo(), s -> s))
        .onCommand(Remove.class, (state, cmd) -> !state.missionIds().contains(cmd.missionId())
            ? Effect().reply(cmd.replyTo(), state)
            : Effect().persist(new Removed(cmd.missionId())).thenReply(cmd.replyTo(), s -> s))
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Added.class, (s, e) -> s.with(e.missionId(), true))
        .onEvent(Removed.class, (s, e) -> s.with(e.missionId(), false))
        .build();
  }
}
