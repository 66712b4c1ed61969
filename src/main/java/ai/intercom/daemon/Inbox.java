package ai.intercom.daemon;

import ai.intercom.daemon.InboxFiles.Cursor;
import ai.intercom.daemon.InboxFiles.Line;
import ai.intercom.protocol.DeliveryState;
import ai.intercom.protocol.JsonSerializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One agent session's inbox (or a project's queue while it has no session): the only writer of its
 * files, the keeper of its delivery cursor and of the hooks waiting on it. A letter reaches the
 * agent at most once: the cursor is written before the letters are handed out. Everything
 * undelivered is on disk and comes back after a restart.
 *
 * <p>The actor does file I/O itself, so it runs on the blocking I/O dispatcher ({@link
 * #DISPATCHER}).
 */
public final class Inbox extends AbstractBehavior<Inbox.Command> {

  public static final DispatcherSelector DISPATCHER =
      DispatcherSelector.fromConfig("intercom.blocking-io-dispatcher");

  /** Letter ids remembered to drop a second copy of the same letter. */
  static final int REMEMBERED_LETTERS = 1000;

  public sealed interface Command extends JsonSerializable {}

  /** Stores a letter; answers once it is on disk. */
  public record Deliver(Letter letter, ActorRef<Done> replyTo) implements Command {}

  /**
   * Hands out what is undelivered and marks it delivered. With {@code maxChars > 0} texts are
   * shortened to fit (a hook's budget) and the shortened ones stay readable in full through the
   * next full check.
   */
  public record Check(int maxChars, String hookEvent, ActorRef<Batch> replyTo) implements Command {
    /** A full read ({@code intercom_check_inbox}): what it hands out counts as read. */
    public Check(int maxChars, ActorRef<Batch> replyTo) {
      this(maxChars, null, replyTo);
    }
  }

  /**
   * As {@link Check}, but waits up to {@code timeout} for a letter if there is none. {@code
   * hookEvent}: the hook that waits (what it hands out counts as injected), null for a tool call.
   */
  public record Await(Duration timeout, int maxChars, String hookEvent, ActorRef<Batch> replyTo)
      implements Command {
    public Await(Duration timeout, int maxChars, ActorRef<Batch> replyTo) {
      this(timeout, maxChars, null, replyTo);
    }
  }

  /**
   * Hands out what is undelivered without showing it to the agent (its session ended), then stops.
   */
  public record Surrender(ActorRef<Handover> replyTo) implements Command {}

  /** What a surrendered inbox still held. */
  public record Handover(List<Letter> letters) implements JsonSerializable {}

  /**
   * Letters handed out; {@code waiting}: fresh letters that did not fit into a hook's budget, left
   * for the next hook (or {@code intercom_check_inbox}).
   */
  public record Batch(List<Delivered> letters, int waiting) implements JsonSerializable {
    public Batch(List<Delivered> letters) {
      this(letters, 0);
    }

    public boolean isEmpty() {
      return letters.isEmpty();
    }
  }

  /** A letter as handed out; {@code cut} when its text was shortened. */
  public record Delivered(Letter letter, boolean cut) implements JsonSerializable {}

  private record AwaitTimedOut(long waiter) implements Command {}

  private record Waiter(long id, int maxChars, String hookEvent, ActorRef<Batch> replyTo) {}

  /**
   * Whose inbox it is: {@code agent} ({@code machine/project}) and its session, null for a
   * project's queue; {@code receipts} hears how far each letter got.
   */
  public record Owner(String agent, String sessionId, Receipts receipts) {
    static final Owner NOBODY = new Owner(null, null, Receipts.NONE);

    void report(Letter letter, DeliveryState state, String hookEvent) {
      if (agent != null) {
        receipts.report(letter.letterId(), agent, state, sessionId, hookEvent);
      }
    }
  }

  /** An inbox that reports nowhere. */
  public static Behavior<Command> create(Path dir, String name, long compactBytes) {
    return create(dir, name, compactBytes, Owner.NOBODY);
  }

  /** Restarted after a failure (a full disk, say): it reads its files again and goes on. */
  public static Behavior<Command> create(Path dir, String name, long compactBytes, Owner owner) {
    return Behaviors.supervise(
            Behaviors.<Command>setup(
                context ->
                    Behaviors.withTimers(
                        timers ->
                            new Inbox(
                                context, timers, new InboxFiles(dir, name), compactBytes, owner))))
        .onFailure(
            SupervisorStrategy.restartWithBackoff(
                Duration.ofMillis(100), Duration.ofSeconds(10), 0.2));
  }

  private final TimerScheduler<Command> timers;
  private final InboxFiles files;
  private final long compactBytes;
  private final Owner owner;

  /** Lines on disk not yet delivered, plus delivered ones whose text was cut. */
  private final List<Line> kept = new ArrayList<>();

  private final Set<String> recentLetterIds = new LinkedHashSet<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private Cursor cursor;
  private long lastSeq;
  private long nextWaiter = 1;

  private Inbox(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      InboxFiles files,
      long compactBytes,
      Owner owner) {
    super(context);
    this.timers = timers;
    this.files = files;
    this.compactBytes = compactBytes;
    this.owner = owner;
    InboxFiles.Loaded loaded = files.load();
    this.cursor = loaded.cursor();
    this.lastSeq = loaded.lastSeq();
    loaded.seen().forEach(this::remember);
    for (Line line : loaded.lines()) {
      remember(line.letter().letterId());
      if (line.seq() > cursor.delivered() || cursor.cut().contains(line.seq())) {
        kept.add(line);
      }
    }
    files.markPending(hasUndelivered());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Deliver.class, this::onDeliver)
        .onMessage(Check.class, this::onCheck)
        .onMessage(Await.class, this::onAwait)
        .onMessage(AwaitTimedOut.class, this::onAwaitTimedOut)
        .onMessage(Surrender.class, this::onSurrender)
        .build();
  }

  private Behavior<Command> onDeliver(Deliver cmd) {
    // told again for a copy too: a report lost in a crash is made good by the redelivery
    owner.report(
        cmd.letter(),
        owner.sessionId() == null ? DeliveryState.QUEUED : DeliveryState.IN_INBOX,
        null);
    if (remember(cmd.letter().letterId())) {
      Line line = new Line(++lastSeq, cmd.letter());
      files.append(line);
      kept.add(line);
      files.markPending(true);
      eligibleWaiter()
          .ifPresent(
              first -> {
                waiters.remove(first);
                timers.cancel(first.id());
                first.replyTo().tell(handOut(first.maxChars(), first.hookEvent()));
              });
    }
    cmd.replyTo().tell(Done.getInstance());
    return this;
  }

  private Behavior<Command> onCheck(Check cmd) {
    cmd.replyTo().tell(handOut(cmd.maxChars(), cmd.hookEvent()));
    return this;
  }

  private Behavior<Command> onAwait(Await cmd) {
    if (hasUndelivered() && (cmd.hookEvent() == null || files.waiting())) {
      cmd.replyTo().tell(handOut(cmd.maxChars(), cmd.hookEvent()));
    } else {
      Waiter waiter = new Waiter(nextWaiter++, cmd.maxChars(), cmd.hookEvent(), cmd.replyTo());
      waiters.add(waiter);
      timers.startSingleTimer(waiter.id(), new AwaitTimedOut(waiter.id()), cmd.timeout());
    }
    return this;
  }

  private Behavior<Command> onAwaitTimedOut(AwaitTimedOut cmd) {
    waiters.removeIf(
        waiter -> {
          if (waiter.id() == cmd.waiter()) {
            waiter.replyTo().tell(new Batch(List.of()));
            return true;
          }
          return false;
        });
    return this;
  }

  private Behavior<Command> onSurrender(Surrender cmd) {
    List<Letter> undelivered =
        kept.stream().filter(line -> line.seq() > cursor.delivered()).map(Line::letter).toList();
    cursor = new Cursor(lastSeq, Set.of());
    files.writeCursor(cursor);
    kept.clear();
    files.markPending(false);
    // what leaves unread was never seen here: the session takes it again when it comes back
    // (claude --resume) and its letters with it
    undelivered.forEach(letter -> recentLetterIds.remove(letter.letterId()));
    files.compact(List.of(), recentLetterIds);
    waiters.forEach(waiter -> waiter.replyTo().tell(new Batch(List.of())));
    cmd.replyTo().tell(new Handover(undelivered));
    return Behaviors.stopped();
  }

  /**
   * Undelivered letters first go out whole or cut to the budget; without a budget, letters a hook
   * had cut come out again in full. The cursor moves before anything is handed out. What a hook
   * ({@code hookEvent}) takes counts as injected, what a full read takes as read.
   */
  private Batch handOut(int maxChars, String hookEvent) {
    if (kept.isEmpty()) {
      return new Batch(List.of());
    }
    List<Delivered> out = new ArrayList<>();
    Set<Long> cut = new HashSet<>();
    Set<Long> handedOut = new HashSet<>();
    long delivered = cursor.delivered();
    int left = 0;
    int budget = maxChars;
    for (Line line : kept) {
      boolean fresh = line.seq() > cursor.delivered();
      if (!fresh && maxChars > 0) {
        cut.add(line.seq());
        continue;
      }
      Letter letter = line.letter();
      if (left > 0) {
        left++;
        continue;
      }
      if (maxChars > 0) {
        // each letter costs its header in the hook's text as well as its own text; one that
        // does not fit at all waits for the next hook (the first always goes, cut if need be)
        int room = budget - HookText.letterCost(letter, "", true);
        if (letter.text().length() > room && !out.isEmpty() && room < HookText.MIN_SHOWN) {
          left = 1;
          continue;
        }
        if (letter.text().length() > Math.max(0, room)) {
          letter =
              new Letter(
                  letter.letterId(),
                  letter.threadId(),
                  letter.missionId(),
                  letter.from(),
                  letter.text().substring(0, Math.max(0, room)),
                  letter.at());
          cut.add(line.seq());
          out.add(new Delivered(letter, true));
        } else {
          out.add(new Delivered(letter, false));
        }
        budget -= HookText.letterCost(letter, letter.text(), cut.contains(line.seq()));
      } else {
        out.add(new Delivered(letter, false));
      }
      handedOut.add(line.seq());
      delivered = line.seq();
    }
    cursor = new Cursor(delivered, cut);
    files.writeCursor(cursor);
    kept.removeIf(line -> handedOut.contains(line.seq()) && !cut.contains(line.seq()));
    files.markPending(left > 0);
    if (files.size() > compactBytes) {
      files.compact(kept, recentLetterIds);
    }
    DeliveryState reached = hookEvent == null ? DeliveryState.READ : DeliveryState.INJECTED;
    out.forEach(handed -> owner.report(handed.letter(), reached, hookEvent));
    return new Batch(out, left);
  }

  /**
   * The first waiter a new letter may go to: a tool's always; a waiting hook's only while the
   * session's turn is over. A hook left waiting from an earlier turn must not take a letter while
   * the agent works: the check hook injects it between tool calls instead. The newest waiter first:
   * an older one may be a hook of a turn long over whose agent is no longer listening.
   */
  private java.util.Optional<Waiter> eligibleWaiter() {
    boolean turnOver = files.waiting();
    for (int i = waiters.size() - 1; i >= 0; i--) {
      Waiter waiter = waiters.get(i);
      if (waiter.hookEvent() == null || turnOver) {
        return java.util.Optional.of(waiter);
      }
    }
    return java.util.Optional.empty();
  }

  private boolean hasUndelivered() {
    return kept.stream().anyMatch(line -> line.seq() > cursor.delivered());
  }

  /** False when the letter was seen already. */
  private boolean remember(String letterId) {
    if (!recentLetterIds.add(letterId)) {
      return false;
    }
    if (recentLetterIds.size() > REMEMBERED_LETTERS) {
      var oldest = recentLetterIds.iterator();
      oldest.next();
      oldest.remove();
    }
    return true;
  }
}
