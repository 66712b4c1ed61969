package ai.intercom.launcher;

import ai.intercom.protocol.JsonSerializable;
import ai.intercom.protocol.NodeRole;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The missions a machine's agent supervisor took on and has not finished (queued or running), id =
 * machine id, with the process of each run once it started. When the node starts again after a
 * crash or a stop, its supervisor reads them: the running ones are interrupted and their agents
 * (orphans after a crash) ended, the queued ones start.
 */
public final class MachineRuns
    extends EventSourcedBehaviorWithEnforcedReplies<
        MachineRuns.Command, MachineRuns.Event, MachineRuns.State> {

  /**
   * The agent process of a run: its pid and start time (a pid alone may have been reused since).
   */
  public record Process(long pid, Instant startedAt) implements JsonSerializable {}

  /** Mission id to its run's process; null while it waits or prepares. */
  public record State(Map<String, Process> runs) implements JsonSerializable {
    public State {
      runs = Collections.unmodifiableMap(new TreeMap<>(runs));
    }

    public Set<String> missionIds() {
      return runs.keySet();
    }

    State with(String missionId, Process process) {
      Map<String, Process> all = new TreeMap<>(runs);
      all.put(missionId, process);
      return new State(all);
    }

    State without(String missionId) {
      Map<String, Process> all = new TreeMap<>(runs);
      all.remove(missionId);
      return new State(all);
    }
  }

  public sealed interface Command extends JsonSerializable {}

  public record Add(String missionId, ActorRef<State> replyTo) implements Command {}

  public record Remove(String missionId, ActorRef<State> replyTo) implements Command {}

  /** The mission's agent process started. */
  public record RecordProcess(String missionId, Process process) implements Command {}

  public record Get(ActorRef<State> replyTo) implements Command {}

  public sealed interface Event extends JsonSerializable {}

  public record Added(String missionId) implements Event {}

  public record Removed(String missionId) implements Event {}

  public record ProcessStarted(String missionId, Process process) implements Event {}

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "MachineRuns");

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_KEY, ctx -> new MachineRuns(ctx.getEntityId()))
                .withRole(NodeRole.HUB_ROLE));
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
    return new State(Map.of());
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(
            Add.class,
            (state, cmd) ->
                state.missionIds().contains(cmd.missionId())
                    ? Effect().reply(cmd.replyTo(), state)
                    : Effect().persist(new Added(cmd.missionId())).thenReply(cmd.replyTo(), s -> s))
        .onCommand(
            Remove.class,
            (state, cmd) ->
                !state.missionIds().contains(cmd.missionId())
                    ? Effect().reply(cmd.replyTo(), state)
                    : Effect()
                        .persist(new Removed(cmd.missionId()))
                        .thenReply(cmd.replyTo(), s -> s))
        .onCommand(
            RecordProcess.class,
            (state, cmd) ->
                state.missionIds().contains(cmd.missionId())
                    ? Effect()
                        .persist(new ProcessStarted(cmd.missionId(), cmd.process()))
                        .thenNoReply()
                    : Effect().noReply())
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Added.class, (s, e) -> s.with(e.missionId(), null))
        .onEvent(Removed.class, (s, e) -> s.without(e.missionId()))
        .onEvent(ProcessStarted.class, (s, e) -> s.with(e.missionId(), e.process()))
        .build();
  }
}
