package ai.intercom.telegram;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Everything the bot sends, one call at a time, within Telegram's limits: a budget of calls per
 * window for the supergroup (Telegram allows about 20 messages a minute in a group; a call that did
 * not get through, refused by flood control or failed on the way, uses none of it), the most urgent
 * first (cards and results, then messages, then progress edits, then answers that may be dropped),
 * a {@code retry_after} obeyed with nothing sent meanwhile, and calls that failed on the way (the
 * API down, 5xx) tried again, in order, until Telegram takes them. A progress edit replaces the one
 * for the same message still waiting, so edits never pile up.
 */
final class Outbox extends AbstractBehavior<Outbox.Command> {

  /** How urgent a call is; lower goes first. */
  enum Priority {
    CARD,
    MESSAGE,
    PROGRESS
  }

  sealed interface Command {}

  /**
   * A call to make. {@code coalesceKey} (progress edits): a newer post with the same key replaces
   * this one while it waits. {@code done} completes with the call's answer, or fails with a {@link
   * Bot.Failure} that retrying would not fix.
   */
  record Post(
      Priority priority,
      String coalesceKey,
      Function<Bot, Object> call,
      CompletableFuture<Object> done)
      implements Command {}

  private record Sent(Queued queued, long sentAt, Object answer, Throwable error)
      implements Command {}

  private enum Wake implements Command {
    INSTANCE
  }

  /** The limits: {@code budget} calls per {@code window}, and the longest wait between retries. */
  record Limits(int budget, Duration window, Duration maxBackoff) {}

  private record Queued(long order, Post post, int failures) {}

  static Behavior<Command> create(Bot bot, Executor blocking, Limits limits) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(timers -> new Outbox(context, timers, bot, blocking, limits)));
  }

  private final TimerScheduler<Command> timers;
  private final Bot bot;
  private final Executor blocking;
  private final Limits limits;
  private final PriorityQueue<Queued> waiting =
      new PriorityQueue<>(
          Comparator.comparing((Queued q) -> q.post().priority()).thenComparingLong(Queued::order));

  /** When the last calls went out, oldest first (at most {@code budget} of them). */
  private final Deque<Long> recent = new ArrayDeque<>();

  private long order;
  private boolean calling;
  private long notBefore;

  private Outbox(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Bot bot,
      Executor blocking,
      Limits limits) {
    super(context);
    this.timers = timers;
    this.bot = bot;
    this.blocking = blocking;
    this.limits = limits;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Post.class, this::onPost)
        .onMessage(Sent.class, this::onSent)
        .onMessageEquals(Wake.INSTANCE, this::next)
        .build();
  }

  private Behavior<Command> onPost(Post post) {
    if (post.coalesceKey() != null) {
      for (Iterator<Queued> it = waiting.iterator(); it.hasNext(); ) {
        Queued older = it.next();
        if (post.coalesceKey().equals(older.post().coalesceKey())) {
          it.remove();
          older.post().done().complete(null);
        }
      }
    }
    waiting.add(new Queued(order++, post, 0));
    return next();
  }

  private Behavior<Command> onSent(Sent sent) {
    calling = false;
    Queued queued = sent.queued();
    if (sent.error() == null) {
      queued.post().done().complete(sent.answer());
      return next();
    }
    Throwable error = sent.error();
    if (error instanceof Bot.Failure failure && failure.retriable()) {
      // Telegram did not take it: after an outage, the tries made meanwhile would otherwise hold
      // the budget and keep back what waited for a window longer
      recent.removeLastOccurrence(sent.sentAt());
      long waitMs =
          failure.retryAfterSeconds() > 0
              ? failure.retryAfterSeconds() * 1000L
              : Math.min(limits.maxBackoff().toMillis(), 500L << Math.min(queued.failures(), 10));
      if (failure.retryAfterSeconds() > 0 || queued.failures() % 10 == 0) {
        getContext()
            .getLog()
            .warn(
                "Telegram: {}; trying again in {} ms ({} waiting)",
                failure.getMessage(),
                waitMs,
                waiting.size() + 1);
      }
      notBefore = Math.max(notBefore, System.currentTimeMillis() + waitMs);
      // back at its place in the line: order per chat and topic stays
      waiting.add(new Queued(queued.order(), queued.post(), queued.failures() + 1));
      return next();
    }
    getContext().getLog().warn("Telegram refused a call: {}", error.getMessage());
    queued.post().done().completeExceptionally(error);
    return next();
  }

  private Behavior<Command> next() {
    if (calling || waiting.isEmpty()) {
      return this;
    }
    long now = System.currentTimeMillis();
    while (!recent.isEmpty() && recent.peekFirst() <= now - limits.window().toMillis()) {
      recent.removeFirst();
    }
    long at = notBefore;
    if (recent.size() >= limits.budget()) {
      at = Math.max(at, recent.peekFirst() + limits.window().toMillis());
    }
    if (at > now) {
      timers.startSingleTimer(Wake.INSTANCE, Wake.INSTANCE, Duration.ofMillis(at - now));
      return this;
    }
    Queued queued = waiting.poll();
    calling = true;
    recent.addLast(now);
    getContext()
        .pipeToSelf(
            CompletableFuture.supplyAsync(() -> queued.post().call().apply(bot), blocking),
            (answer, error) -> new Sent(queued, now, answer, error == null ? null : unwrap(error)));
    return this;
  }

  private static Throwable unwrap(Throwable error) {
    Throwable cause = error;
    while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
