package ai.intercom.registry;

import ai.intercom.protocol.JsonSerializable;
import ai.intercom.protocol.NodeRole;
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
 * The ids of every machine that ever registered, so that the directory also lists machines whose
 * node is offline. One entity, id {@value #ID}.
 */
public final class MachineIndex
    extends EventSourcedBehaviorWithEnforcedReplies<
        MachineIndex.Command, MachineIndex.Event, MachineIndex.State> {

  public record State(Set<String> machineIds) implements JsonSerializable {
    public State {
      machineIds = Set.copyOf(machineIds);
    }

    State with(String machineId) {
      Set<String> all = new TreeSet<>(machineIds);
      all.add(machineId);
      return new State(all);
    }
  }

  public sealed interface Command extends JsonSerializable {}

  public record Add(String machineId, ActorRef<State> replyTo) implements Command {}

  public record Get(ActorRef<State> replyTo) implements Command {}

  public sealed interface Event extends JsonSerializable {}

  public record Added(String machineId) implements Event {}

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "MachineIndex");

  public static final String ID = "all";

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_KEY, ctx -> new MachineIndex(ctx.getEntityId()))
                .withRole(NodeRole.HUB_ROLE));
  }

  private MachineIndex(String id) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), id),
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
        .onCommand(Add.class, this::onAdd)
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
        .build();
  }

  private ReplyEffect<Event, State> onAdd(State state, Add cmd) {
    if (state.machineIds().contains(cmd.machineId())) {
      return Effect().reply(cmd.replyTo(), state);
    }
    return Effect().persist(new Added(cmd.machineId())).thenReply(cmd.replyTo(), s -> s);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Added.class, (s, e) -> s.with(e.machineId()))
        .build();
  }
}
