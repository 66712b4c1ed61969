package ai.intercom.telegram;

import ai.intercom.approval.ApprovalGate;
import ai.intercom.config.Settings;
import ai.intercom.mission.ChatThread;
import ai.intercom.mission.Mission;
import ai.intercom.protocol.JsonSerializable;
import ai.intercom.protocol.NodeRole;
import ai.intercom.registry.Machine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.apache.pekko.stream.UniqueKillSwitch;

/**
 * The operator's Telegram: one bot for the whole network, run by one actor (a cluster singleton on
 * the hub). It mirrors missions and approvals from the journal into the supergroup's forum topics
 * (see {@link Mirror}), a topic per mission, and takes the operator's button presses, commands and
 * texts (see {@link Operator}). Incoming updates are stored in its journal before they are acted
 * on, and the poll that confirms them comes only after; each mirrored journal event is confirmed
 * once Telegram has taken what it says, so a crash or an unreachable Bot API loses nothing.
 */
public final class TelegramBridge
    extends EventSourcedBehavior<
        TelegramBridge.Command, TelegramBridge.Event, TelegramBridge.State> {

  /** The longest wait between two tries of a call that failed on the way. */
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  /** A card on the supergroup, until it is decided. */
  public record Card(String missionId, int messageId, String html) implements JsonSerializable {}

  public record State(
      long nextUpdate,
      Map<Long, Stored> unhandled,
      Map<String, Long> offsets,
      Map<String, Card> cards,
      Map<String, Integer> progress,
      Map<Integer, String> topics)
      implements JsonSerializable {

    static State empty() {
      return new State(0, Map.of(), Map.of(), Map.of(), Map.of(), Map.of());
    }

    State apply(Event event) {
      Map<Long, Stored> waiting = new LinkedHashMap<>(unhandled);
      Map<String, Long> seen = new HashMap<>(offsets);
      Map<String, Card> open = new HashMap<>(cards);
      Map<String, Integer> running = new HashMap<>(progress);
      Map<Integer, String> known = new HashMap<>(topics);
      long next = nextUpdate;
      if (event instanceof UpdatesStored e) {
        e.updates().forEach(u -> waiting.put(u.updateId(), new Stored(u, e.at())));
        next = Math.max(next, e.nextUpdate());
      } else if (event instanceof UpdateHandled e) {
        waiting.remove(e.updateId());
      } else if (event instanceof Advanced e) {
        seen.put(e.tag(), e.offset());
      } else if (event instanceof CardPosted e) {
        open.put(e.approvalId(), e.card());
      } else if (event instanceof CardClosed e) {
        open.remove(e.approvalId());
      } else if (event instanceof ProgressPosted e) {
        running.put(e.missionId(), e.messageId());
      } else if (event instanceof ProgressClosed e) {
        running.remove(e.missionId());
      } else if (event instanceof TopicMapped e) {
        known.put(e.topicId(), e.missionId());
      }
      return new State(next, waiting, seen, open, running, known);
    }
  }

  public sealed interface Event extends JsonSerializable {}

  /** An update kept until it is acted on, with when it came. */
  public record Stored(Bot.Update update, java.time.Instant at) implements JsonSerializable {}

  public record UpdatesStored(List<Bot.Update> updates, long nextUpdate, java.time.Instant at)
      implements Event {}

  public record UpdateHandled(long updateId) implements Event {}

  /** The mirror of journal tag {@code tag} has shown everything up to {@code offset}. */
  public record Advanced(String tag, long offset) implements Event {}

  public record CardPosted(String approvalId, Card card) implements Event {}

  public record CardClosed(String approvalId) implements Event {}

  public record ProgressPosted(String missionId, int messageId) implements Event {}

  public record ProgressClosed(String missionId) implements Event {}

  public record TopicMapped(int topicId, String missionId) implements Event {}

  /** Only the bridge and its mirror on the same node send these: never serialized. */
  public sealed interface Command {}

  private enum Poll implements Command {
    INSTANCE
  }

  /** Drop a webhook in the way of polling and register the command menu (again until done). */
  private enum Prepare implements Command {
    INSTANCE
  }

  private record Prepared(Throwable error) implements Command {}

  /** How long a failed set-up waits before the next try. */
  static final Duration PREPARE_AGAIN = Duration.ofSeconds(30);

  /** Time to see which machines came or went (see {@link Presence}). */
  private enum LookAround implements Command {
    INSTANCE
  }

  private record MachinesSeen(Map<String, Boolean> online) implements Command {}

  /** A piped result with nothing to do (a failed look, a notice Telegram refused). */
  private enum Nothing implements Command {
    INSTANCE
  }

  /** {@code machineId} null: the first look's summary. */
  private record NoticePosted(String machineId, int messageId) implements Command {}

  /** The longest wait of stored updates for the network after a restart. */
  static final Duration NETWORK_WAIT = Duration.ofSeconds(20);

  private enum NetworkWaitOver implements Command {
    INSTANCE
  }

  /** How often the bridge looks which machines are online. */
  static final Duration PRESENCE_EVERY = Duration.ofSeconds(5);

  private record Polled(List<Bot.Update> updates, Throwable error) implements Command {}

  private record Handled(long updateId) implements Command {}

  /** Persists {@code events}, then answers {@code replyTo} (may be null). */
  record Record(List<Event> events, CompletableFuture<Done> replyTo) implements Command {}

  /** The mirror asks where its tag's stream starts. */
  record OffsetOf(String tag, CompletableFuture<Long> replyTo) implements Command {}

  /** Reads the state (the mirror and the operator's commands keep no state of their own). */
  record Read(CompletableFuture<State> replyTo) implements Command {}

  /** A machine asks to join: a card with Approve / Deny in General. */
  public record JoinAsked(String machineId, String displayName, String description)
      implements Command {}

  /** Starts the bridge on hub nodes (one in the cluster); answers the way to it. */
  public static ActorRef<Command> init(
      ActorSystem<?> system, Settings.Telegram settings, Operator.Services services) {
    return ClusterSingleton.get(system)
        .init(
            SingletonActor.of(
                    Behaviors.supervise(create(settings, services))
                        .onFailure(
                            SupervisorStrategy.restartWithBackoff(
                                Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2)),
                    "telegram-bridge")
                .withSettings(ClusterSingletonSettings.create(system).withRole(NodeRole.HUB_ROLE)));
  }

  static Behavior<Command> create(Settings.Telegram settings, Operator.Services services) {
    return Behaviors.setup(
        context -> {
          Executor blocking =
              context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
          TelegramBotsBot bot =
              new TelegramBotsBot(
                  settings.botToken(),
                  settings.apiUrl(),
                  settings.supergroupId(),
                  settings.pollTimeout());
          ActorRef<Outbox.Command> outbox =
              context.spawn(
                  Outbox.create(
                      bot,
                      blocking,
                      new Outbox.Limits(
                          settings.messagesPerMinute(), Duration.ofMinutes(1), MAX_BACKOFF)),
                  "outbox");
          return Behaviors.withTimers(
              timers ->
                  new TelegramBridge(context, timers, settings, services, bot, outbox, blocking));
        });
  }

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Settings.Telegram settings;
  private final TelegramBotsBot bot;
  private final Executor blocking;
  private final Sender sender;
  private final Operator operator;
  private final Mirror mirror;

  /** Mission id -> its topic: read by the mirror and the operator off the actor's thread. */
  private final Map<String, Integer> topicOfMission = new ConcurrentHashMap<>();

  private final Map<Integer, String> missionOfTopic = new ConcurrentHashMap<>();
  private final List<UniqueKillSwitch> following = new ArrayList<>();
  private final Presence presence = new Presence();
  private final Operator.Services services;
  private boolean handling;

  /** Updates stored before a restart wait until a machine is online (or {@link #NETWORK_WAIT}). */
  private boolean waitingForNetwork;

  /** The update that was being acted on when the bridge last stopped, or -1. */
  private long inDoubt = -1;

  private boolean started;
  private int pollFailures;

  private TelegramBridge(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Settings.Telegram settings,
      Operator.Services services,
      TelegramBotsBot bot,
      ActorRef<Outbox.Command> outbox,
      Executor blocking) {
    super(PersistenceId.ofUniqueId("TelegramBridge"));
    this.context = context;
    this.timers = timers;
    this.settings = settings;
    this.bot = bot;
    this.blocking = blocking;
    this.services = services;
    this.sender = new Sender(outbox, bot, blocking, settings.supergroupId());
    Topics topics =
        new Topics(context.getSystem(), services.timeout(), sender, topicOfMission, this::record);
    this.operator = new Operator(settings, services, sender, missionOfTopic, context.getLog());
    this.mirror = new Mirror(context.getSystem(), context.getSelf(), sender, topics);
    context
        .getLog()
        .info(
            "Telegram on: supergroup {}, {} allowed users, Bot API {}",
            settings.supergroupId(),
            settings.allowedUsers().size(),
            settings.apiUrl());
  }

  /** Persists events from the mirror's or the operator's work. */
  private CompletionStage<Done> record(List<Event> events) {
    CompletableFuture<Done> done = new CompletableFuture<>();
    context.getSelf().tell(new Record(events, done));
    return done;
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(200, 2);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        .onSignal(org.apache.pekko.actor.typed.PostStop.instance(), state -> stopFollowing())
        // a restart after a failure makes a new bridge, which follows the journal anew
        .onSignal(org.apache.pekko.actor.typed.PreRestart.instance(), state -> stopFollowing())
        .build();
  }

  private void stopFollowing() {
    following.forEach(UniqueKillSwitch::shutdown);
    following.clear();
    bot.close();
  }

  private void onRecovered(State state) {
    if (!started && !state.unhandled().isEmpty()) {
      inDoubt = state.unhandled().keySet().iterator().next();
      // stored before the restart: acted on once the network is back (a machine online), so
      // that a start or a follow-up is not refused because its machine has not rejoined yet
      waitingForNetwork = true;
      timers.startSingleTimer(NetworkWaitOver.INSTANCE, NetworkWaitOver.INSTANCE, NETWORK_WAIT);
      context.getSelf().tell(LookAround.INSTANCE);
    }
    state
        .topics()
        .forEach(
            (topic, mission) -> {
              missionOfTopic.put(topic, mission);
              topicOfMission.put(mission, topic);
            });
    if (!started) {
      started = true;
      context.getSelf().tell(Prepare.INSTANCE);
      context.getSelf().tell(Poll.INSTANCE);
      following.add(mirror.follow(ApprovalGate.TAG));
      following.add(mirror.follow(Mission.TAG));
      following.add(mirror.follow(ChatThread.TAG));
      following.add(mirror.follow(Machine.TAG));
      timers.startTimerWithFixedDelay(LookAround.INSTANCE, PRESENCE_EVERY);
    }
    handleNext(state);
  }

  /** No webhook in the way of polling, and the command menu. */
  private void prepare() {
    bot.dropWebhook();
    bot.setCommands(Operator.MENU);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Poll.class, this::onPoll)
        .onCommand(Polled.class, this::onPolled)
        .onCommand(Handled.class, this::onHandled)
        .onCommand(
            Prepare.class,
            (state, cmd) -> {
              context.pipeToSelf(
                  CompletableFuture.runAsync(this::prepare, blocking),
                  (ok, error) -> new Prepared(error));
              return Effect().none();
            })
        .onCommand(
            Prepared.class,
            (state, cmd) -> {
              if (cmd.error() != null) {
                context
                    .getLog()
                    .warn(
                        "Telegram: could not set up the bot ({}); trying again in {} s",
                        cmd.error() instanceof java.util.concurrent.CompletionException c
                                && c.getCause() != null
                            ? c.getCause().getMessage()
                            : cmd.error().getMessage(),
                        PREPARE_AGAIN.toSeconds());
                timers.startSingleTimer(Prepare.INSTANCE, Prepare.INSTANCE, PREPARE_AGAIN);
              }
              return Effect().none();
            })
        .onCommand(
            NetworkWaitOver.class,
            (state, cmd) -> {
              networkBack(state);
              return Effect().none();
            })
        .onCommand(LookAround.class, this::onLookAround)
        .onCommand(
            JoinAsked.class,
            (state, cmd) -> {
              if (CallbackData.isJoinableMachineId(cmd.machineId())) {
                sender.send(
                    Outbox.Priority.CARD,
                    settings.supergroupId(),
                    null,
                    Cards.joinRequest(cmd.machineId(), cmd.displayName(), cmd.description()),
                    Operator.buttons(CallbackData.joinButtons(cmd.machineId())));
              } else {
                context
                    .getLog()
                    .warn("Telegram: machine id {} is too long for join buttons", cmd.machineId());
              }
              return Effect().none();
            })
        .onCommand(Nothing.class, (state, cmd) -> Effect().none())
        .onCommand(MachinesSeen.class, this::onMachinesSeen)
        .onCommand(
            NoticePosted.class,
            (state, cmd) -> {
              presence.posted(cmd.machineId(), cmd.messageId());
              return Effect().none();
            })
        .onCommand(Record.class, this::onRecord)
        .onCommand(
            OffsetOf.class,
            (state, cmd) -> {
              cmd.replyTo().complete(state.offsets().getOrDefault(cmd.tag(), 0L));
              return Effect().none();
            })
        .onCommand(
            Read.class,
            (state, cmd) -> {
              cmd.replyTo().complete(state);
              return Effect().none();
            })
        .build();
  }

  private org.apache.pekko.persistence.typed.javadsl.Effect<Event, State> onPoll(
      State state, Poll cmd) {
    long offset = state.nextUpdate();
    int timeout = (int) Math.max(1, settings.pollTimeout().toSeconds());
    context.pipeToSelf(
        CompletableFuture.supplyAsync(() -> bot.updates(offset, timeout), blocking),
        (updates, error) -> new Polled(updates, error));
    return Effect().none();
  }

  private org.apache.pekko.persistence.typed.javadsl.Effect<Event, State> onPolled(
      State state, Polled cmd) {
    if (cmd.error() != null) {
      pollFailures++;
      Throwable cause =
          cmd.error() instanceof java.util.concurrent.CompletionException c && c.getCause() != null
              ? c.getCause()
              : cmd.error();
      long waitMs =
          cause instanceof Bot.Failure f && f.retryAfterSeconds() > 0
              ? f.retryAfterSeconds() * 1000L
              : Math.min(30_000, 500L << Math.min(pollFailures, 6));
      if (pollFailures == 1 || pollFailures % 20 == 0) {
        context
            .getLog()
            .warn(
                "Telegram: getUpdates failed ({} in a row): {}; polling again in {} ms",
                pollFailures,
                cause.getMessage(),
                waitMs);
      }
      timers.startSingleTimer(Poll.INSTANCE, Poll.INSTANCE, Duration.ofMillis(waitMs));
      return Effect().none();
    }
    pollFailures = 0;
    List<Bot.Update> fresh =
        cmd.updates().stream().filter(u -> u.updateId() >= state.nextUpdate()).toList();
    if (fresh.isEmpty()) {
      context.getSelf().tell(Poll.INSTANCE);
      return Effect().none();
    }
    long next = fresh.stream().mapToLong(Bot.Update::updateId).max().orElseThrow() + 1;
    // stored first; the next poll, with the new offset, confirms them to Telegram
    return Effect()
        .persist(new UpdatesStored(fresh, next, java.time.Instant.now()))
        .thenRun(this::handleNext)
        .thenRun(s -> context.getSelf().tell(Poll.INSTANCE));
  }

  /** Acts on the stored updates one at a time, oldest first. */
  private void handleNext(State state) {
    if (handling || waitingForNetwork || state.unhandled().isEmpty()) {
      return;
    }
    Stored stored = state.unhandled().values().iterator().next();
    Bot.Update update = stored.update();
    handling = true;
    // the one update being acted on when the bridge stopped may have been acted on already
    boolean again = update.updateId() == inDoubt;
    inDoubt = -1;
    context.pipeToSelf(
        (again ? operator.handleAgain(update, stored.at()) : operator.handle(update))
            .toCompletableFuture(),
        (ok, error) -> {
          if (error != null) {
            context
                .getLog()
                .warn("Telegram: update {} not handled: {}", update.updateId(), error.getMessage());
          }
          return new Handled(update.updateId());
        });
  }

  private org.apache.pekko.persistence.typed.javadsl.Effect<Event, State> onHandled(
      State state, Handled cmd) {
    handling = false;
    return Effect().persist(new UpdateHandled(cmd.updateId())).thenRun(this::handleNext);
  }

  private org.apache.pekko.persistence.typed.javadsl.Effect<Event, State> onRecord(
      State state, Record cmd) {
    for (Event event : cmd.events()) {
      if (event instanceof TopicMapped mapped) {
        missionOfTopic.put(mapped.topicId(), mapped.missionId());
        topicOfMission.put(mapped.missionId(), mapped.topicId());
      }
    }
    return Effect()
        .persist(cmd.events())
        .thenRun(
            s -> {
              if (cmd.replyTo() != null) {
                cmd.replyTo().complete(Done.getInstance());
              }
            });
  }

  private org.apache.pekko.persistence.typed.javadsl.Effect<Event, State> onLookAround(
      State state, LookAround cmd) {
    context.pipeToSelf(
        services.directory().machines().toCompletableFuture(),
        (machines, error) -> {
          Map<String, Boolean> online = new HashMap<>();
          if (machines != null) {
            machines.forEach(m -> online.put(m.machineId(), m.online()));
          }
          return error == null ? new MachinesSeen(online) : Nothing.INSTANCE;
        });
    return Effect().none();
  }

  /** Machines that came or went: a notice in General each (or a fold into the last one). */
  private void networkBack(State state) {
    if (waitingForNetwork) {
      waitingForNetwork = false;
      timers.cancel(NetworkWaitOver.INSTANCE);
      handleNext(state);
    }
  }

  private org.apache.pekko.persistence.typed.javadsl.Effect<Event, State> onMachinesSeen(
      State state, MachinesSeen cmd) {
    if (cmd.online().containsValue(Boolean.TRUE)) {
      networkBack(state);
    }
    for (Presence.Notice notice : presence.look(cmd.online(), java.time.Instant.now())) {
      if (notice.messageId() == null) {
        context.pipeToSelf(
            sender.post(Outbox.Priority.MESSAGE, null, notice.html()).toCompletableFuture(),
            (id, error) ->
                error == null ? new NoticePosted(notice.machineId(), id) : Nothing.INSTANCE);
      } else {
        sender.edit(
            Outbox.Priority.PROGRESS,
            "presence-" + notice.machineId(),
            settings.supergroupId(),
            notice.messageId(),
            notice.html(),
            List.of());
      }
    }
    return Effect().none();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }
}
