package ai.intercom.telegram;

import ai.intercom.approval.ApprovalGate;
import ai.intercom.approval.ApprovalRequest;
import ai.intercom.mission.ChatThread;
import ai.intercom.mission.Mission;
import ai.intercom.protocol.AgentId;
import ai.intercom.registry.Feedback;
import ai.intercom.registry.Machine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The supergroup as a view of the journal: follows the missions' and the approval gate's events (by
 * tag) from where it last stopped, shows each in its mission's topic, and only then moves its
 * offset on, one event at a time: with the Bot API away the view waits, and then catches up, in
 * order and without gaps.
 */
final class Mirror {

  private final ActorSystem<?> system;
  private final ActorRef<TelegramBridge.Command> bridge;
  private final Sender sender;
  private final Topics topics;

  /** Notices that repeat within this time are folded into the first. */
  static final Duration FOLD_WINDOW = Duration.ofMinutes(10);

  /** A notice in General, and how often it came. */
  private record Folded(int messageId, int times, long at) {}

  private final Map<String, Folded> folded = new ConcurrentHashMap<>();

  /** Events that showed nothing are confirmed one in this many. */
  static final int KEEP_EVERY = 100;

  private final AtomicLong skipped = new AtomicLong();

  /** The latest progress lines of running missions (their progress message shows them). */
  private final Map<String, List<String>> progress = new ConcurrentHashMap<>();

  Mirror(
      ActorSystem<?> system,
      ActorRef<TelegramBridge.Command> bridge,
      Sender sender,
      Topics topics) {
    this.system = system;
    this.bridge = bridge;
    this.sender = sender;
    this.topics = topics;
  }

  /**
   * Follows the events of {@code tag} from the offset the bridge has stored, until the returned
   * switch is pulled (the bridge stops).
   */
  UniqueKillSwitch follow(String tag) {
    JdbcReadJournal journal =
        PersistenceQuery.get(system)
            .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    AtomicLong from = new AtomicLong(-1);
    return RestartSource.withBackoff(
            RestartSettings.create(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2),
            () ->
                Source.completionStage(start(tag, from))
                    .flatMapConcat(offset -> journal.eventsByTag(tag, Offset.sequence(offset))))
        .mapAsync(
            1,
            envelope ->
                show(envelope)
                    .exceptionally(
                        error -> {
                          // refused by Telegram for good (the outbox retries what may pass):
                          // skipped, so that one bad event cannot stop the view
                          system
                              .log()
                              .warn(
                                  "Telegram: could not show {} of {}: {}",
                                  envelope.event().getClass().getSimpleName(),
                                  envelope.persistenceId(),
                                  error.getMessage());
                          return Done.getInstance();
                        })
                    .thenCompose(done -> advance(tag, envelope, from)))
        .viaMat(KillSwitches.single(), Keep.right())
        .toMat(Sink.ignore(), Keep.left())
        .run(system);
  }

  private CompletionStage<Long> start(String tag, AtomicLong from) {
    if (from.get() >= 0) {
      return CompletableFuture.completedFuture(from.get());
    }
    CompletableFuture<Long> offset = new CompletableFuture<>();
    bridge.tell(new TelegramBridge.OffsetOf(tag, offset));
    return offset.thenApply(
        stored -> {
          from.compareAndSet(-1, stored);
          return from.get();
        });
  }

  private CompletionStage<Done> advance(String tag, EventEnvelope envelope, AtomicLong from) {
    long offset = ((Sequence) envelope.offset()).value();
    if (!shows(envelope.event()) && skipped.incrementAndGet() % KEEP_EVERY != 0) {
      // nothing was shown: replaying it after a restart shows nothing either, so the offset
      // need not be kept for each (machines' heartbeats would fill the bridge's journal)
      from.set(offset);
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    CompletableFuture<Done> done = new CompletableFuture<>();
    bridge.tell(new TelegramBridge.Record(List.of(new TelegramBridge.Advanced(tag, offset)), done));
    return done.thenApply(
        ok -> {
          from.set(offset);
          return ok;
        });
  }

  /** Whether the supergroup shows anything of this event. */
  private static boolean shows(Object event) {
    return (event instanceof Mission.Event && !(event instanceof Mission.TopicOpened))
        || event instanceof ChatThread.MessageAppended
        || event instanceof Machine.FeedbackReported
        || event instanceof ApprovalGate.ApprovalHeld
        || event instanceof ApprovalGate.Decided;
  }

  private CompletionStage<Done> show(EventEnvelope envelope) {
    Object event = envelope.event();
    if (event instanceof Mission.Event missionEvent) {
      String missionId = envelope.persistenceId().substring(Mission.ENTITY_KEY.name().length() + 1);
      return showMission(missionId, missionEvent);
    }
    if (event instanceof ChatThread.MessageAppended appended) {
      String threadId =
          envelope.persistenceId().substring(ChatThread.ENTITY_KEY.name().length() + 1);
      return showChat(threadId, appended.message());
    }
    if (event instanceof Machine.FeedbackReported reported) {
      return showFeedback(reported.feedback());
    }
    if (event instanceof ApprovalGate.ApprovalHeld held) {
      return showCard(held.approval());
    }
    if (event instanceof ApprovalGate.Decided decided) {
      return closeCard(decided);
    }
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  private CompletionStage<Done> showMission(String missionId, Mission.Event event) {
    if (event instanceof Mission.ProgressReported reported) {
      return showProgress(missionId, reported.lines());
    }
    var text = MissionPosts.of(missionId, event);
    if (text.isEmpty()) {
      return event instanceof Mission.Created
          ? topics.of(missionId).thenApply(topic -> Done.getInstance())
          : CompletableFuture.completedFuture(Done.getInstance());
    }
    boolean ends =
        event instanceof Mission.Completed
            || event instanceof Mission.Failed
            || event instanceof Mission.Interrupted
            || event instanceof Mission.Stopped
            || event instanceof Mission.Denied;
    Outbox.Priority priority = ends ? Outbox.Priority.CARD : Outbox.Priority.MESSAGE;
    return topics
        .of(missionId)
        .thenCompose(topic -> sender.post(priority, topic, text.get()))
        .thenCompose(
            sent -> {
              if (!ends) {
                return CompletableFuture.completedFuture(Done.getInstance());
              }
              progress.remove(missionId);
              return record(new TelegramBridge.ProgressClosed(missionId));
            });
  }

  /**
   * A chat message after the thread's first (which opened the mission and its topic), in the topic
   * of the thread's mission; the operator's own messages are there already.
   */
  private CompletionStage<Done> showChat(String threadId, ChatThread.Message message) {
    if (message.seq() <= 1 || AgentId.HUMAN.toString().equals(message.from())) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    return ClusterSharding.get(system)
        .entityRefFor(ChatThread.ENTITY_KEY, threadId)
        .<ChatThread.State>askWithStatus(ChatThread.Get::new, Duration.ofSeconds(10))
        .thenCompose(
            thread -> {
              String to = String.join(", ", thread.othersThan(message.from()));
              String html =
                  "💬 <b>"
                      + TelegramText.escape(message.from())
                      + "</b> → "
                      + TelegramText.escape(to)
                      + ": "
                      + TelegramText.escape(message.text());
              return topics
                  .of(thread.missionId())
                  .thenCompose(topic -> sender.post(Outbox.Priority.MESSAGE, topic, html))
                  .thenApply(sent -> Done.getInstance());
            });
  }

  /**
   * An agent's {@code intercom_report_feedback}, in General; the same report again soon after is
   * folded into the message already there (a count), not posted twice.
   */
  private CompletionStage<Done> showFeedback(Feedback feedback) {
    String key = feedback.agent() + "\n" + feedback.type() + "\n" + feedback.description();
    long now = System.currentTimeMillis();
    // what can no longer be folded is forgotten, so the map stays small
    folded.values().removeIf(f -> now - f.at() >= FOLD_WINDOW.toMillis());
    Folded last = folded.get(key);
    String html =
        "📝 <b>"
            + TelegramText.escape(feedback.type())
            + "</b> from "
            + TelegramText.escape(feedback.agent())
            + ": "
            + TelegramText.escape(feedback.description())
            + (feedback.context() == null || feedback.context().isBlank()
                ? ""
                : "\n<i>" + TelegramText.escape(feedback.context()) + "</i>");
    if (last != null && now - last.at() < FOLD_WINDOW.toMillis()) {
      int times = last.times() + 1;
      folded.put(key, new Folded(last.messageId(), times, last.at()));
      return sender
          .edit(
              Outbox.Priority.PROGRESS,
              "fold-" + last.messageId(),
              sender.supergroupId(),
              last.messageId(),
              html + "\n(" + times + " times)",
              List.of())
          .thenApply(ok -> Done.getInstance());
    }
    return sender
        .post(Outbox.Priority.MESSAGE, null, html)
        .thenApply(
            id -> {
              folded.put(key, new Folded(id, 1, now));
              return Done.getInstance();
            });
  }

  /** One message per running mission, edited in place; edits that wait are merged. */
  private CompletionStage<Done> showProgress(String missionId, List<String> lines) {
    List<String> latest =
        progress.compute(
            missionId,
            (id, old) -> {
              List<String> all = new ArrayList<>(old == null ? List.of() : old);
              all.addAll(lines);
              return List.copyOf(
                  all.subList(Math.max(0, all.size() - MissionPosts.PROGRESS_LINES), all.size()));
            });
    String html = MissionPosts.progress(latest);
    return state()
        .thenCompose(
            state -> {
              Integer message = state.progress().get(missionId);
              if (message != null) {
                // not waited for: a newer edit replaces it, and the view goes on meanwhile
                sender.edit(
                    Outbox.Priority.PROGRESS,
                    "progress-" + missionId,
                    sender.supergroupId(),
                    message,
                    html,
                    List.of());
                return CompletableFuture.completedFuture(Done.getInstance());
              }
              return topics
                  .of(missionId)
                  .thenCompose(topic -> sender.post(Outbox.Priority.MESSAGE, topic, html))
                  .thenCompose(id -> record(new TelegramBridge.ProgressPosted(missionId, id)));
            });
  }

  private CompletionStage<Done> showCard(ApprovalGate.PendingApproval approval) {
    ApprovalRequest request = approval.request();
    String html = Cards.html(approval);
    return topics
        .of(request.missionId())
        .thenCompose(
            topic ->
                sender.send(
                    Outbox.Priority.CARD,
                    sender.supergroupId(),
                    topic,
                    html,
                    Cards.buttons(approval)))
        .thenCompose(
            id ->
                record(
                    new TelegramBridge.CardPosted(
                        approval.id(), new TelegramBridge.Card(request.missionId(), id, html))));
  }

  private CompletionStage<Done> closeCard(ApprovalGate.Decided decided) {
    return state()
        .thenCompose(
            state -> {
              TelegramBridge.Card card = state.cards().get(decided.approvalId());
              if (card == null) {
                return CompletableFuture.completedFuture(Done.getInstance());
              }
              String html =
                  TelegramText.decided(card.html(), decided.sentence(), decided.by(), decided.at());
              return sender
                  .edit(
                      Outbox.Priority.CARD,
                      null,
                      sender.supergroupId(),
                      card.messageId(),
                      html,
                      List.of())
                  .thenCompose(ok -> record(new TelegramBridge.CardClosed(decided.approvalId())));
            });
  }

  private CompletionStage<TelegramBridge.State> state() {
    CompletableFuture<TelegramBridge.State> state = new CompletableFuture<>();
    bridge.tell(new TelegramBridge.Read(state));
    return state;
  }

  private CompletionStage<Done> record(TelegramBridge.Event event) {
    CompletableFuture<Done> done = new CompletableFuture<>();
    bridge.tell(new TelegramBridge.Record(List.of(event), done));
    return done;
  }
}
