package ai.intercom.daemon;

import ai.intercom.protocol.JsonSerializable;
import ai.intercom.protocol.NodeRole;
import ai.intercom.protocol.Refusal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The letters for a machine whose node is not in the cluster (or did not answer): kept on the hub
 * until that machine's session desk collects them (when it starts, and every few seconds while it
 * runs), then dropped once the desk has stored them. A letter kept twice (a retry) is kept once.
 * Id: the machine id.
 */
public final class Mailbag
    extends EventSourcedBehaviorWithEnforcedReplies<Mailbag.Command, Mailbag.Event, Mailbag.State> {

  /** The most letters kept for one machine; more are refused (the sender is told). */
  public static final int CAPACITY = 10_000;

  /** A letter for {@code project} of the machine, to {@code preferredSession} if it is live. */
  public record Parcel(String project, Letter letter, String preferredSession, Instant keptAt)
      implements JsonSerializable {}

  /** The parcels waiting, oldest first. */
  public record State(List<Parcel> parcels) implements JsonSerializable {
    public State {
      parcels = List.copyOf(parcels);
    }

    boolean holds(String letterId) {
      return parcels.stream().anyMatch(p -> p.letter().letterId().equals(letterId));
    }

    State kept(Parcel parcel) {
      List<Parcel> all = new ArrayList<>(parcels);
      all.add(parcel);
      return new State(all);
    }

    State handed(Set<String> letterIds) {
      return new State(
          parcels.stream().filter(p -> !letterIds.contains(p.letter().letterId())).toList());
    }
  }

  public sealed interface Command extends JsonSerializable {}

  /** Keeps a letter until the machine collects it. */
  public record Keep(Parcel parcel, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * The machine's desk asks what waits for it, the oldest first, about {@link #BATCH_CHARS} of text
   * at a time (nothing is dropped until {@link Handed}).
   */
  public record Collect(ActorRef<Collected> replyTo, ActorRef<Waiting> collector)
      implements Command {}

  /** Told to the desk that collected last when a letter is kept for it: collect again now. */
  public record Waiting(String machineId) implements JsonSerializable {}

  /** A batch of parcels, and how many more wait after it. */
  public record Collected(List<Parcel> parcels, int left) implements JsonSerializable {
    public Collected {
      parcels = List.copyOf(parcels);
    }
  }

  /** Text per collected batch: well inside a cluster message (the transport's frame). */
  static final int BATCH_CHARS = 100_000;

  /** The machine's desk stored these letters. */
  public record Handed(Set<String> letterIds, ActorRef<StatusReply<Done>> replyTo)
      implements Command {
    public Handed {
      letterIds = Set.copyOf(letterIds);
    }
  }

  public sealed interface Event extends JsonSerializable {}

  public record Kept(Parcel parcel) implements Event {}

  public record Delivered(Set<String> letterIds, Instant at) implements Event {
    public Delivered {
      letterIds = Set.copyOf(letterIds);
    }
  }

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "Mailbag");

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId())).withRole(NodeRole.HUB_ROLE));
  }

  public static Behavior<Command> create(String machineId) {
    return new Mailbag(machineId);
  }

  private final String machineId;

  /**
   * The desk that collected last (not persisted: after a restart of the hub, the desk's next
   * collection names it again), told at once when a letter comes in; letters are kept while its
   * node is in the cluster when a delivery got no answer or the hub did not see its desk yet.
   */
  private ActorRef<Waiting> collector;

  private Mailbag(String machineId) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), machineId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.machineId = machineId;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public State emptyState() {
    return new State(List.of());
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Keep.class, this::onKeep)
        .onCommand(Collect.class, this::onCollect)
        .onCommand(Handed.class, this::onHanded)
        .build();
  }

  private ReplyEffect<Event, State> onKeep(State state, Keep cmd) {
    if (state.holds(cmd.parcel().letter().letterId())) {
      return Effect().reply(cmd.replyTo(), StatusReply.ack());
    }
    if (state.parcels().size() >= CAPACITY) {
      return Refusal.reply(
          Effect(),
          Refusal.Code.CONFLICT,
          cmd.replyTo(),
          "machine "
              + machineId
              + " is offline and already has "
              + CAPACITY
              + " messages waiting for it");
    }
    return Effect()
        .persist(new Kept(cmd.parcel()))
        .thenRun(
            s -> {
              if (collector != null) {
                collector.tell(new Waiting(machineId));
              }
            })
        .thenReply(cmd.replyTo(), s -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onCollect(State state, Collect cmd) {
    collector = cmd.collector();
    return Effect().reply(cmd.replyTo(), batch(state));
  }

  private ReplyEffect<Event, State> onHanded(State state, Handed cmd) {
    Set<String> held = Set.copyOf(cmd.letterIds().stream().filter(state::holds).toList());
    if (held.isEmpty()) {
      return Effect().reply(cmd.replyTo(), StatusReply.ack());
    }
    return Effect()
        .persist(new Delivered(held, Instant.now()))
        .thenReply(cmd.replyTo(), s -> StatusReply.ack());
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Kept.class, (state, e) -> state.kept(e.parcel()))
        .onEvent(Delivered.class, (state, e) -> state.handed(e.letterIds()))
        .build();
  }

  /** The oldest parcels up to {@link #BATCH_CHARS} of text (at least one). */
  static Collected batch(State state) {
    List<Parcel> batch = new ArrayList<>();
    int chars = 0;
    for (Parcel parcel : state.parcels()) {
      chars += parcel.letter().text().length();
      if (!batch.isEmpty() && chars > BATCH_CHARS) {
        break;
      }
      batch.add(parcel);
    }
    return new Collected(batch, state.parcels().size() - batch.size());
  }
}
