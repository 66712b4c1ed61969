package ai.intercom.telegram;

import static ai.intercom.telegram.TelegramText.escape;

import ai.intercom.approval.ApprovalGate;
import ai.intercom.approval.PolicyView;
import ai.intercom.config.Settings;
import ai.intercom.directory.Directory;
import ai.intercom.mission.Mission;
import ai.intercom.mission.MissionWaits;
import ai.intercom.mission.RecentMissions;
import ai.intercom.mission.Router;
import ai.intercom.network.Admissions;
import ai.intercom.protocol.AgentId;
import ai.intercom.protocol.Refusal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.slf4j.Logger;

/**
 * What the operator does in Telegram: presses a card's button (decided through the gate, as the CLI
 * decides), sends a command, or writes in a mission's topic (to that mission's agent). Only the
 * allowed users are obeyed, only in the supergroup (and private chats when allowed); anyone else
 * gets nothing and is logged once.
 */
public final class Operator {

  /** The bot's command menu, as {@code setMyCommands} registers it. */
  static final List<String[]> MENU =
      List.of(
          new String[] {"start_agent", "start an agent: <machine>/<project> <mission>"},
          new String[] {"agents", "the agents of the network"},
          new String[] {"machines", "the machines and whether they are online"},
          new String[] {"missions", "the latest missions"},
          new String[] {"status", "one mission: <mission id>"},
          new String[] {"stop", "stop a mission: <mission id>"},
          new String[] {"approvals", "what waits for a decision"},
          new String[] {"policy", "the approval rules and grants"},
          new String[] {"help", "what the bot does"});

  /** What the operator's commands reach. */
  public record Services(
      ActorSystem<?> system,
      ActorRef<ApprovalGate.Command> gate,
      Router router,
      Directory directory,
      RecentMissions missions,
      Duration timeout,
      Optional<Admissions> admissions) {}

  private final Settings.Telegram settings;
  private final Services services;
  private final Sender sender;
  private final Map<Integer, String> missionOfTopic;
  private final Logger log;
  private final Set<Long> strangersLogged = ConcurrentHashMap.newKeySet();
  private final MissionWaits waits;

  Operator(
      Settings.Telegram settings,
      Services services,
      Sender sender,
      Map<Integer, String> missionOfTopic,
      Logger log) {
    this.settings = settings;
    this.services = services;
    this.sender = sender;
    this.missionOfTopic = missionOfTopic;
    this.log = log;
    this.waits = new MissionWaits(services.system(), services.timeout());
  }

  /** The buttons of {@link CallbackData} as the bot sends them. */
  static List<List<Bot.Button>> buttons(List<List<CallbackData.Button>> rows) {
    return rows.stream()
        .map(
            row ->
                row.stream()
                    .map(button -> new Bot.Button(button.label(), button.data().encode()))
                    .toList())
        .toList();
  }

  /** Acts on one update; done when it is acted on and answered. */
  CompletionStage<Void> handle(Bot.Update update) {
    if (update.press() != null) {
      Bot.Press press = update.press();
      if (!obeys(press.userId(), press.userName(), press.chatId())) {
        return done();
      }
      return press(press);
    }
    if (update.text() != null) {
      Bot.Text text = update.text();
      if (!obeys(text.userId(), text.userName(), text.chatId())) {
        return done();
      }
      String body = text.text().strip();
      if (body.startsWith("/")) {
        return command(text, body);
      }
      String missionId = text.threadId() == null ? null : missionOfTopic.get(text.threadId());
      if (missionId != null) {
        return toAgent(text, missionId, body);
      }
      if (text.threadId() == null && settings.dispatcher().enabled()) {
        return dispatch(text, body);
      }
    }
    return done();
  }

  /**
   * Acts on an update that was being acted on when the bridge stopped (a crash): what may have
   * happened already is looked for first, and not done twice. Presses (the gate takes one decision
   * only), reading commands and stops are simply done again.
   */
  CompletionStage<Void> handleAgain(Bot.Update update, Instant storedAt) {
    Bot.Text text = update.text();
    if (text == null || !obeys(text.userId(), text.userName(), text.chatId())) {
      return handle(update);
    }
    String body = text.text().strip();
    Instant since = storedAt.minusSeconds(1);
    CompletionStage<Boolean> done;
    if (body.startsWith("/start_agent")) {
      String[] words = body.split("\\s+", 3);
      done =
          words.length < 3
              ? CompletableFuture.completedFuture(false)
              : missionSince(since, words[1], prompt -> prompt.equals(words[2]));
    } else if (body.startsWith("/")) {
      done = CompletableFuture.completedFuture(false);
    } else if (text.threadId() != null && missionOfTopic.get(text.threadId()) != null) {
      done = saidSince(missionOfTopic.get(text.threadId()), since, body);
    } else if (text.threadId() == null && settings.dispatcher().enabled()) {
      done = missionSince(since, settings.dispatcher().target(), prompt -> prompt.endsWith(body));
    } else {
      done = CompletableFuture.completedFuture(false);
    }
    return done.thenCompose(
        already -> {
          if (already) {
            log.info(
                "Telegram: update {} was acted on before the bridge stopped: not again",
                update.updateId());
            return done();
          }
          return handle(update);
        });
  }

  /** Whether the operator started a mission for {@code to} since then, with such a prompt. */
  private CompletionStage<Boolean> missionSince(
      Instant since, String to, java.util.function.Predicate<String> prompt) {
    return services
        .missions()
        .latest(50)
        .thenApply(
            missions ->
                missions.stream()
                    .anyMatch(
                        m ->
                            AgentId.HUMAN.toString().equals(m.from())
                                && to.equals(m.to())
                                && !m.createdAt().isBefore(since)
                                && m.prompt() != null
                                && prompt.test(m.prompt())));
  }

  /** Whether the operator's text is in the mission (or its chat thread) since then. */
  private CompletionStage<Boolean> saidSince(String missionId, Instant since, String body) {
    String human = AgentId.HUMAN.toString();
    return mission(missionId)
        .thenCompose(
            state -> {
              if (state.kind() == Mission.Kind.CHAT && state.threadId() != null) {
                return ClusterSharding.get(services.system())
                    .entityRefFor(ai.intercom.mission.ChatThread.ENTITY_KEY, state.threadId())
                    .<ai.intercom.mission.ChatThread.State>askWithStatus(
                        ai.intercom.mission.ChatThread.Get::new, services.timeout())
                    .thenApply(
                        thread ->
                            thread.messages().stream()
                                .anyMatch(
                                    m ->
                                        human.equals(m.from())
                                            && body.equals(m.text())
                                            && !m.at().isBefore(since)));
              }
              return CompletableFuture.completedFuture(
                  state.transcript().stream()
                      .anyMatch(
                          e ->
                              human.equals(e.author())
                                  && body.equals(e.text())
                                  && !e.at().isBefore(since)));
            });
  }

  private boolean obeys(long userId, String name, long chatId) {
    boolean privateChat = chatId > 0;
    if (privateChat && settings.ignorePrivateMessages()) {
      return false;
    }
    if (!privateChat && chatId != settings.supergroupId() && settings.restrictToSupergroup()) {
      return false;
    }
    if (settings.allowedUsers().contains(userId)) {
      return true;
    }
    if (strangersLogged.add(userId)) {
      log.warn(
          "Telegram: ignoring {} (user {}), who is not in telegram.security.allowed-users",
          name,
          userId);
    }
    return false;
  }

  // Buttons.

  private CompletionStage<Void> press(Bot.Press press) {
    var data = CallbackData.decode(press.data());
    if (data.isEmpty()) {
      return sender.answer(press.queryId(), "This button is not one of mine.");
    }
    CallbackData payload = data.get();
    if (payload instanceof CallbackData.Approve approve) {
      return decide(press, approve.approvalId(), true, approve.level());
    }
    if (payload instanceof CallbackData.Deny deny) {
      return decide(press, deny.approvalId(), false, null);
    }
    if (payload instanceof CallbackData.Join join) {
      return admit(press, join);
    }
    return sender.answer(press.queryId(), "This button is not one of mine.");
  }

  /** A join request decided with its card's buttons; the outcome is told in General too. */
  private CompletionStage<Void> admit(Bot.Press press, CallbackData.Join join) {
    if (services.admissions().isEmpty()) {
      return sender.answer(press.queryId(), "Machines are admitted on the hub.");
    }
    Admissions admissions = services.admissions().get();
    String by = press.userName();
    var decided =
        join.approve()
            ? admissions.approve(join.machineId())
            : admissions.deny(join.machineId(), "denied in Telegram by " + by);
    return decided
        .handle(
            (state, error) -> {
              if (error != null) {
                return Refusal.sentence(error);
              }
              String what = join.approve() ? "admitted" : "denied";
              // the card loses its buttons and says who decided
              sender.edit(
                  Outbox.Priority.CARD,
                  "join-" + join.machineId(),
                  press.chatId(),
                  press.messageId(),
                  "🖥 Machine <b>"
                      + escape(join.machineId())
                      + "</b> asked to join: "
                      + what
                      + " by "
                      + escape(by),
                  List.of());
              sender.post(
                  Outbox.Priority.MESSAGE,
                  null,
                  (join.approve() ? "✅ " : "⛔ ")
                      + "machine <b>"
                      + escape(join.machineId())
                      + "</b> "
                      + what
                      + " by "
                      + escape(by));
              return "Machine " + join.machineId() + " " + what + ".";
            })
        .thenCompose(notice -> sender.answer(press.queryId(), notice));
  }

  private CompletionStage<Void> decide(
      Bot.Press press, String approvalId, boolean approve, ai.intercom.approval.GrantLevel level) {
    CompletionStage<ApprovalGate.Decision> decided =
        AskPattern
            .<ApprovalGate.Command, org.apache.pekko.pattern.StatusReply<ApprovalGate.Decision>>ask(
                services.gate(),
                replyTo ->
                    new ApprovalGate.Decide(
                        approvalId,
                        approve,
                        level,
                        press.userName(),
                        approve ? null : "denied in Telegram",
                        replyTo),
                services.timeout(),
                services.system().scheduler())
            .thenApply(
                reply -> {
                  if (reply.isError()) {
                    throw new java.util.concurrent.CompletionException(reply.getError());
                  }
                  return reply.getValue();
                });
    return decided
        .handle(
            (decision, error) ->
                error == null ? capitalized(decision.sentence()) : Refusal.sentence(error))
        .thenCompose(notice -> sender.answer(press.queryId(), notice));
  }

  // Text to a mission's agent.

  private CompletionStage<Void> toAgent(Bot.Text text, String missionId, String body) {
    Router.Sender human = new Router.Sender(AgentId.HUMAN.toString(), null);
    return mission(missionId)
        .thenCompose(
            state -> {
              String to =
                  state.kind() == Mission.Kind.CHAT && state.threadId() != null
                      ? state.threadId()
                      : missionId;
              return services.router().reply(human, to, body);
            })
        .handle(
            (outcome, error) ->
                error == null
                    ? "➡️ to " + escape(outcomeTarget(outcome)) + ": " + escape(outcome.status())
                    : "⚠️ " + escape(Refusal.sentence(error)))
        .thenCompose(answer -> reply(text, answer));
  }

  private static String outcomeTarget(Router.Outcome outcome) {
    return outcome.to() == null ? outcome.missionId() : outcome.to();
  }

  // The dispatcher.

  /**
   * Plain text outside the topics: a mission for the dispatcher agent, answered in place of a
   * "thinking" message once it is done (its own topic shows the mission as any other).
   */
  private CompletionStage<Void> dispatch(Bot.Text text, String body) {
    Settings.Dispatcher dispatcher = settings.dispatcher();
    CompletionStage<Integer> thinking =
        sender.send(
            Outbox.Priority.MESSAGE, text.chatId(), text.threadId(), "🤔 thinking…", List.of());
    sender.typing(text.chatId(), text.threadId());
    String prompt = dispatcher.systemPrompt() + "\n\nThe operator asks:\n" + body;
    CompletionStage<String> answer =
        services
            .router()
            .launches()
            .start(
                new Router.Sender(AgentId.HUMAN.toString(), null),
                dispatcher.target(),
                Mission.Kind.ASK,
                prompt,
                null,
                0)
            .thenCompose(
                outcome ->
                    waits
                        .finished(outcome.missionId(), dispatcher.answerTimeout())
                        .thenApply(
                            reply -> {
                              Mission.State state = reply.getValue();
                              if (state.result() != null && !state.result().isBlank()) {
                                return escape(state.result());
                              }
                              return "⚠️ "
                                  + escape(state.missionId())
                                  + " is "
                                  + escape(state.status().wire())
                                  + (state.reason() == null ? "" : ": " + escape(state.reason()));
                            }))
            .exceptionally(error -> "⚠️ " + escape(Refusal.sentence(error)));
    return thinking
        .thenCombine(
            answer,
            (messageId, html) -> {
              List<String> parts = TelegramText.split(html, TelegramText.PART_CHARS);
              CompletionStage<Void> shown =
                  sender.edit(
                      Outbox.Priority.CARD,
                      null,
                      text.chatId(),
                      messageId,
                      parts.get(0),
                      List.of());
              for (String part : parts.subList(1, parts.size())) {
                shown =
                    shown.thenCompose(
                        ok ->
                            sender
                                .send(
                                    Outbox.Priority.CARD,
                                    text.chatId(),
                                    text.threadId(),
                                    part,
                                    List.of())
                                .thenApply(id -> null));
              }
              return shown;
            })
        .thenCompose(shown -> shown);
  }

  // Commands.

  private CompletionStage<Void> command(Bot.Text text, String body) {
    String[] words = body.split("\\s+", 3);
    String name = words[0].substring(1).toLowerCase(Locale.ROOT);
    int at = name.indexOf('@');
    if (at >= 0) {
      name = name.substring(0, at);
    }
    String first = words.length > 1 ? words[1] : "";
    String rest = words.length > 2 ? words[2] : "";
    CompletionStage<String> answer =
        switch (name) {
          case "start", "help" -> CompletableFuture.completedFuture(help());
          case "start_agent" -> startAgent(first, rest);
          case "agents" -> agents();
          case "machines" -> machines();
          case "missions" -> missions();
          case "status" -> status(first);
          case "stop" -> stop(text, first);
          case "approvals" -> approvals(text);
          case "policy" -> policy();
          default ->
              CompletableFuture.completedFuture(
                  "Unknown command /" + escape(name) + ". /help lists what I do.");
        };
    return answer
        .exceptionally(error -> "⚠️ " + escape(Refusal.sentence(error)))
        .thenCompose(html -> html == null ? done() : reply(text, html));
  }

  private static String help() {
    StringBuilder text = new StringBuilder("<b>AI-Intercom</b>: each mission has its topic here.");
    for (String[] command : MENU) {
      text.append("\n/").append(command[0]).append(" — ").append(escape(command[1]));
    }
    return text.append("\nText in a mission's topic goes to its agent.").toString();
  }

  private CompletionStage<String> startAgent(String target, String prompt) {
    if (target.isBlank() || prompt.isBlank() || !target.contains("/")) {
      return usage("/start_agent &lt;machine&gt;/&lt;project&gt; &lt;mission&gt;");
    }
    return services
        .router()
        .launches()
        .start(
            new Router.Sender(AgentId.HUMAN.toString(), null),
            target,
            Mission.Kind.START_AGENT,
            prompt,
            null,
            0)
        .thenApply(
            outcome ->
                "🚀 mission <code>"
                    + escape(outcome.missionId())
                    + "</code> to "
                    + escape(target)
                    + ": "
                    + escape(outcome.status())
                    + " (its topic follows it)");
  }

  private CompletionStage<String> agents() {
    return services
        .directory()
        .agents("all")
        .thenApply(
            agents -> {
              if (agents.isEmpty()) {
                return "No agents yet.";
              }
              StringBuilder text = new StringBuilder("<b>Agents</b>");
              for (Directory.AgentView agent : agents) {
                text.append("\n")
                    .append(agent.online() ? "🟢 " : "⚪ ")
                    .append(escape(agent.agent()))
                    .append(sessionsOf(agent));
              }
              return text.toString();
            });
  }

  private CompletionStage<String> machines() {
    return services
        .directory()
        .machines()
        .thenApply(
            machines -> {
              if (machines.isEmpty()) {
                return "No machines yet.";
              }
              StringBuilder text = new StringBuilder("<b>Machines</b>");
              for (Directory.MachineView machine : machines) {
                text.append("\n")
                    .append(machine.online() ? "🟢 " : "⚪ ")
                    .append(escape(machine.machineId()))
                    .append(" · ")
                    .append(machine.projects())
                    .append(" projects, ")
                    .append(machine.sessions())
                    .append(" sessions");
              }
              return text.toString();
            });
  }

  private CompletionStage<String> missions() {
    return services
        .missions()
        .latest(10)
        .thenApply(
            missions -> {
              if (missions.isEmpty()) {
                return "No missions yet.";
              }
              StringBuilder text = new StringBuilder("<b>Latest missions</b>");
              for (Mission.State mission : missions) {
                text.append("\n<code>")
                    .append(escape(mission.missionId()))
                    .append("</code> ")
                    .append(escape(mission.from()))
                    .append(" → ")
                    .append(escape(mission.to()))
                    .append(" · ")
                    .append(escape(mission.status().wire()));
              }
              return text.toString();
            });
  }

  private CompletionStage<String> status(String missionId) {
    if (missionId.isBlank()) {
      return usage("/status &lt;mission id&gt;");
    }
    return mission(missionId)
        .thenApply(
            mission -> {
              StringBuilder text =
                  new StringBuilder("<b>")
                      .append(escape(mission.missionId()))
                      .append("</b> ")
                      .append(escape(mission.from()))
                      .append(" → ")
                      .append(escape(mission.to()))
                      .append("\nstatus: ")
                      .append(escape(mission.status().wire()));
              if (!mission.latestProgress().isEmpty()) {
                text.append("\nlatest: ").append(escape(mission.latestProgress()));
              }
              if (mission.reason() != null) {
                text.append("\nreason: ").append(escape(mission.reason()));
              }
              if (mission.result() != null) {
                text.append("\n\n").append(escape(mission.result()));
              }
              return text.toString();
            });
  }

  private CompletionStage<String> stop(Bot.Text text, String missionId) {
    if (missionId.isBlank()) {
      return usage("/stop &lt;mission id&gt;");
    }
    return services
        .router()
        .launches()
        .stop(missionId, text.userName())
        .thenApply(outcome -> "⏹ " + escape(missionId) + ": " + escape(outcome.status()));
  }

  /** Each pending approval as a card of its own, with its buttons; then a count. */
  private CompletionStage<String> approvals(Bot.Text text) {
    return AskPattern.<ApprovalGate.Command, ApprovalGate.PendingList>ask(
            services.gate(),
            ApprovalGate.ListPending::new,
            services.timeout(),
            services.system().scheduler())
        .thenCompose(
            list -> {
              CompletionStage<Integer> sent = CompletableFuture.completedFuture(0);
              for (ApprovalGate.PendingApproval approval : list.approvals()) {
                sent =
                    sent.thenCompose(
                        ignored ->
                            sender.send(
                                Outbox.Priority.CARD,
                                text.chatId(),
                                text.threadId(),
                                Cards.html(approval),
                                Cards.buttons(approval)));
              }
              int count = list.approvals().size();
              return sent.thenApply(
                  ignored ->
                      count == 0
                          ? "Nothing waits for a decision."
                          : count + (count == 1 ? " approval waits." : " approvals wait."));
            });
  }

  private CompletionStage<String> policy() {
    return AskPattern.<ApprovalGate.Command, PolicyView>ask(
            services.gate(),
            ApprovalGate.ShowPolicy::new,
            services.timeout(),
            services.system().scheduler())
        .thenApply(
            view -> {
              StringBuilder text =
                  new StringBuilder("<b>Policy</b> (")
                      .append(escape(view.source()))
                      .append(")\ndefault: ")
                      .append(escape(view.defaultApproval()));
              for (PolicyView.RuleView rule : view.rules()) {
                text.append("\n")
                    .append(rule.number())
                    .append(". ")
                    .append(escape(rule.from()))
                    .append(" → ")
                    .append(escape(rule.to()))
                    .append(" ")
                    .append(escape(rule.type()))
                    .append(": ")
                    .append(escape(rule.approval()));
              }
              if (!view.alwaysGrants().isEmpty()) {
                text.append("\nalways: ").append(escape(String.join(", ", view.alwaysGrants())));
              }
              if (!view.sessionGrants().isEmpty()) {
                text.append("\nthis session: ")
                    .append(escape(String.join(", ", view.sessionGrants())));
              }
              return text.toString();
            });
  }

  private CompletionStage<Mission.State> mission(String missionId) {
    return ClusterSharding.get(services.system())
        .entityRefFor(Mission.ENTITY_KEY, missionId)
        .<Mission.State>askWithStatus(Mission.Get::new, services.timeout());
  }

  private CompletionStage<Void> reply(Bot.Text text, String html) {
    return sender
        .send(Outbox.Priority.MESSAGE, text.chatId(), text.threadId(), html, List.of())
        .thenApply(id -> null);
  }

  private static CompletionStage<String> usage(String line) {
    return CompletableFuture.completedFuture("Usage: " + line);
  }

  private static String capitalized(String sentence) {
    return sentence.isEmpty()
        ? sentence
        : Character.toUpperCase(sentence.charAt(0)) + sentence.substring(1);
  }

  private static CompletionStage<Void> done() {
    return CompletableFuture.completedFuture(null);
  }

  /** {@code · 2 sessions (idle, working)}: the running sessions with their states. */
  static String sessionsOf(Directory.AgentView agent) {
    List<String> states =
        agent.sessions().stream()
            .filter(Directory.SessionView::running)
            .map(Directory.SessionView::status)
            .toList();
    return states.isEmpty()
        ? ""
        : " · "
            + states.size()
            + (states.size() == 1 ? " session (" : " sessions (")
            + String.join(", ", states)
            + ")";
  }
}
