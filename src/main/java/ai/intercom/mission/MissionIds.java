package ai.intercom.mission;

import ai.intercom.protocol.JsonSerializable;
import ai.intercom.protocol.NodeRole;
import ai.intercom.protocol.Refusal;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
 * Mission ids that never collide: {@code m-YYYYMMDD-xxxxxx} leaves 24 bits a day, too few to draw
 * at random (a thousand missions a day would collide every month), so each day's numbers are handed
 * out in blocks by one entity per day (id {@code YYYYMMDD}), and a node draws from its block.
 */
public final class MissionIds
    extends EventSourcedBehaviorWithEnforcedReplies<
        MissionIds.Command, MissionIds.Event, MissionIds.State> {

  static final int BLOCK = 256;
  static final long LIMIT = 1L << 24;
  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd");

  public record State(long next) implements JsonSerializable {}

  public sealed interface Command extends JsonSerializable {}

  public record Reserve(int count, ActorRef<StatusReply<Block>> replyTo) implements Command {}

  /** Numbers {@code from} (inclusive) to {@code until} (exclusive) of {@code day}. */
  public record Block(String day, long from, long until) implements JsonSerializable {}

  public sealed interface Event extends JsonSerializable {}

  public record Reserved(long until) implements Event {}

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "MissionIds");

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId())).withRole(NodeRole.HUB_ROLE));
  }

  public static Behavior<Command> create(String day) {
    return new MissionIds(day);
  }

  private final String day;

  private MissionIds(String day) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), day),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.day = day;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 1);
  }

  @Override
  public State emptyState() {
    return new State(0);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Reserve.class, this::onReserve)
        .build();
  }

  private ReplyEffect<Event, State> onReserve(State state, Reserve cmd) {
    long until = Math.min(LIMIT, state.next() + cmd.count());
    if (until <= state.next()) {
      return Refusal.reply(
          Effect(),
          Refusal.Code.CONFLICT,
          cmd.replyTo(),
          "all " + LIMIT + " mission ids of " + day + " are used");
    }
    long from = state.next();
    return Effect()
        .persist(new Reserved(until))
        .thenReply(cmd.replyTo(), s -> StatusReply.success(new Block(day, from, until)));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Reserved.class, (s, e) -> new State(e.until()))
        .build();
  }

  /**
   * A node's supply of mission ids: its current block, and a new one asked for when it runs out.
   */
  public static final class Supply {

    private final ClusterSharding sharding;
    private final Duration timeout;
    private Block block;
    private long next;
    private CompletableFuture<Block> refill;

    public Supply(ActorSystem<?> system, Duration timeout) {
      this.sharding = ClusterSharding.get(system);
      this.timeout = timeout;
    }

    /** A mission id no other node or earlier run has handed out. */
    public synchronized CompletionStage<String> next() {
      String today = LocalDate.now(ZoneOffset.UTC).format(DAY);
      if (block != null && block.day().equals(today) && next < block.until()) {
        return CompletableFuture.completedFuture(format(today, next++));
      }
      if (refill == null || refill.isDone()) {
        refill =
            sharding
                .entityRefFor(ENTITY_KEY, today)
                .<Block>askWithStatus(r -> new Reserve(BLOCK, r), timeout)
                .thenApply(this::install)
                .toCompletableFuture();
      }
      // the block is in place when the refill completes
      return refill.thenCompose(fresh -> next());
    }

    private synchronized Block install(Block fresh) {
      block = fresh;
      next = fresh.from();
      return fresh;
    }

    private static String format(String day, long number) {
      return String.format("m-%s-%06x", day, number);
    }
  }
}
