package ai.intercom.http;

import ai.intercom.daemon.SessionDesk;
import ai.intercom.directory.Directory;
import ai.intercom.mission.KeptMessages;
import ai.intercom.mission.Mission;
import ai.intercom.mission.PermissionPrompts;
import ai.intercom.mission.Router;
import ai.intercom.protocol.AgentId;
import ai.intercom.protocol.DeliveryState;
import ai.intercom.protocol.DeliveryStatus;
import ai.intercom.protocol.Ids;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.protocol.Refusal;
import ai.intercom.registry.Feedback;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;

/**
 * What an agent session of this machine does through its MCP server: {@code POST /api/chat|send}
 * ({@code session_id, to, message}), {@code POST /api/reply} ({@code session_id, thread_id,
 * message}), {@code POST /api/register} (its project's profile), {@code POST /api/feedback}, {@code
 * POST /api/ask|start_agent} (missions that start an agent) and {@code POST /api/permission} (a
 * launched agent's permission prompt). The session id says who writes: the agent {@code
 * machine/project} of that session.
 */
public final class MessageRoutes extends JsonRoutes {

  /**
   * {@code message_id}: the sender's id for this message; a call retried with the same id (its
   * answer was lost) counts once.
   */
  public record NewMessage(
      String sessionId,
      String to,
      String message,
      String messageId,
      String waitFor,
      Long timeout) {}

  public record Reply(
      String sessionId,
      String threadId,
      String message,
      String messageId,
      String waitFor,
      Long timeout) {}

  /** Seconds a {@code wait_for} waits when the call gives no {@code timeout}. */
  static final long DEFAULT_WAIT_SECONDS = 60;

  private static final List<DeliveryState> WAITABLE =
      List.of(DeliveryState.IN_INBOX, DeliveryState.INJECTED, DeliveryState.READ);

  public record Profile(
      String sessionId, String description, List<String> capabilities, List<String> tags) {}

  public record FeedbackReport(
      String sessionId, String feedbackType, String description, String context) {}

  public record Ask(String sessionId, String to, String message, Long timeout) {}

  public record StartAgent(
      String sessionId, String machine, String project, String mission, String agentCommand) {}

  public record PermissionAsk(
      String sessionId, String missionId, String toolName, JsonNode input, String toolUseId) {}

  /** Longest wait for a result an agent may ask for ({@code intercom_ask}'s timeout). */
  public static final long MAX_ASK_SECONDS = 3600;

  private final ActorSystem<?> system;
  private final ActorRef<SessionDesk.Command> desk;
  private final Router router;
  private final PermissionPrompts permissions;
  private final Directory directory;
  private final String machineId;
  private final Duration timeout;
  private final Optional<ActorRef<KeptMessages.Command>> kept;

  /** {@code kept}: on daemons, where messages the hub did not answer are kept. */
  public MessageRoutes(
      ActorSystem<?> system,
      ActorRef<SessionDesk.Command> desk,
      Router router,
      PermissionPrompts permissions,
      Directory directory,
      String machineId,
      Duration timeout,
      Optional<ActorRef<KeptMessages.Command>> kept) {
    this.system = system;
    this.kept = kept;
    this.desk = desk;
    this.router = router;
    this.permissions = permissions;
    this.directory = directory;
    this.machineId = machineId;
    this.timeout = timeout;
  }

  public Route route() {
    return concat(
        path(
            "chat",
            () -> post(() -> body(NewMessage.class, null, body -> open(body, Mission.Kind.CHAT)))),
        path(
            "send",
            () -> post(() -> body(NewMessage.class, null, body -> open(body, Mission.Kind.SEND)))),
        path("reply", () -> post(() -> body(Reply.class, null, this::reply))),
        path("register", () -> post(() -> body(Profile.class, null, this::register))),
        path("feedback", () -> post(() -> body(FeedbackReport.class, null, this::feedback))),
        path("ask", () -> post(() -> body(Ask.class, null, this::ask))),
        path("start_agent", () -> post(() -> body(StartAgent.class, null, this::startAgent))),
        path("permission", () -> post(() -> body(PermissionAsk.class, null, this::permission))),
        pathPrefix(
            "permission",
            () ->
                path(
                    PathMatchers.segment(), approvalId -> get(() -> awaitPermission(approvalId)))));
  }

  private Route ask(Ask body) {
    if (body.to() == null || body.message() == null) {
      return badRequest("to and message are required");
    }
    long timeout = body.timeout() == null ? 300 : body.timeout();
    if (timeout < 1 || timeout > MAX_ASK_SECONDS) {
      return badRequest("timeout must be 1-" + MAX_ASK_SECONDS + " seconds");
    }
    return asSender(
        body.sessionId(),
        sender ->
            outcome(
                router
                    .launches()
                    .start(sender, body.to(), Mission.Kind.ASK, body.message(), null, timeout)));
  }

  private Route startAgent(StartAgent body) {
    if (body.machine() == null || body.project() == null || body.mission() == null) {
      return badRequest("machine, project and mission are required");
    }
    if (body.machine().contains("/") || body.project().contains("/")) {
      return badRequest(
          "machine and project are names without '/' (as listed by intercom_list_agents)");
    }
    return asSender(
        body.sessionId(),
        sender ->
            outcome(
                router
                    .launches()
                    .start(
                        sender,
                        body.machine() + "/" + body.project(),
                        Mission.Kind.START_AGENT,
                        body.mission(),
                        body.agentCommand(),
                        0)));
  }

  /**
   * A launched agent's permission prompt: answers Claude Code's {@code
   * {"behavior":"allow","updatedInput":{..}}} or {@code {"behavior":"deny","message":".."}}, or
   * {@code {"status":"pending","approval_id":..}} when the operator has not decided within one wait
   * (then {@code GET /api/permission/{approval_id}}).
   */
  private Route permission(PermissionAsk body) {
    if (body.missionId() == null || body.toolName() == null || body.toolName().isBlank()) {
      return badRequest("mission_id and tool_name are required");
    }
    if (!Ids.isMissionId(body.missionId())) {
      return badRequest("mission id '" + body.missionId() + "' is not like m-20260101-0a1b2c");
    }
    JsonNode input = body.input() == null ? JsonFormat.MAPPER.createObjectNode() : body.input();
    return asSender(
        body.sessionId(),
        sender ->
            onComplete(
                permissions.ask(
                    sender.agent(), body.missionId(), body.toolName(), input.toString()),
                prompt ->
                    prompt.isSuccess()
                        ? decision(prompt.get().approvalId(), prompt.get().answer(), input)
                        : refusal(prompt.failed().get())));
  }

  private Route awaitPermission(String approvalId) {
    return permissions
        .prompt(approvalId)
        .map(answer -> decision(approvalId, answer, null))
        .orElseGet(
            () -> refused(Refusal.notFound("no permission prompt " + approvalId + " waits here")));
  }

  private Route decision(
      String approvalId, CompletableFuture<PermissionPrompts.Answer> answer, JsonNode input) {
    CompletableFuture<Optional<PermissionPrompts.Answer>> within =
        answer
            .thenApply(Optional::of)
            .completeOnTimeout(
                Optional.empty(), SessionRoutes.MAX_WAIT.toSeconds(), TimeUnit.SECONDS);
    return withRequestTimeout(
        SessionRoutes.MAX_WAIT.plusSeconds(10),
        () ->
            onSuccess(
                within,
                decided -> {
                  Answers.PermissionDecision decision =
                      decided.isEmpty()
                          ? Answers.PermissionDecision.pending(approvalId)
                          : decided.get().allow()
                              ? Answers.PermissionDecision.allow(
                                  input == null ? JsonFormat.MAPPER.createObjectNode() : input)
                              : Answers.PermissionDecision.deny(decided.get().message());
                  return completeOK(decision, Json.marshaller());
                }));
  }

  private Route open(NewMessage body, Mission.Kind kind) {
    if (body.to() == null || body.message() == null) {
      return badRequest("to and message are required");
    }
    return withWait(
        body.waitFor(),
        body.timeout(),
        wait ->
            asSender(
                body.sessionId(),
                sender ->
                    keptIfUnanswered(
                        router.open(
                            sender, body.to(), kind, body.message(), body.messageId(), wait),
                        wait,
                        () ->
                            new KeptMessages.Kept(
                                kind.name(),
                                sender,
                                body.to(),
                                null,
                                body.message(),
                                body.messageId(),
                                java.time.Instant.now()))));
  }

  /**
   * The outcome; on a daemon whose hub does not answer, a message sent without waiting (and with a
   * message id) is kept on this machine and sent when the hub is back: answered {@code queued}.
   */
  private Route keptIfUnanswered(
      CompletionStage<Router.Outcome> sent,
      Router.Wait wait,
      java.util.function.Supplier<KeptMessages.Kept> message) {
    if (kept.isEmpty() || wait != Router.Wait.NONE) {
      return outcome(sent);
    }
    CompletionStage<Router.Outcome> keptOrSent =
        sent.exceptionallyCompose(
            error -> {
              KeptMessages.Kept m = message.get();
              if (!KeptMessages.unanswered(error) || m.messageId() == null) {
                return java.util.concurrent.CompletableFuture.failedFuture(error);
              }
              return AskPattern.<KeptMessages.Command, Done>ask(
                      kept.get(), r -> new KeptMessages.Keep(m, r), timeout, system.scheduler())
                  .thenApply(
                      done ->
                          new Router.Outcome(
                              DeliveryStatus.QUEUED.wire(),
                              null,
                              null,
                              m.to(),
                              null,
                              null,
                              "the hub does not answer: kept on this machine, sent when it is"
                                  + " back (message "
                                  + m.messageId()
                                  + ")",
                              DeliveryState.QUEUED.wire(),
                              null,
                              null));
            });
    return outcome(keptOrSent);
  }

  private Route reply(Reply body) {
    if (body.threadId() == null || body.message() == null) {
      return badRequest("thread_id and message are required");
    }
    return withWait(
        body.waitFor(),
        body.timeout(),
        wait ->
            asSender(
                body.sessionId(),
                sender ->
                    keptIfUnanswered(
                        router.reply(
                            sender, body.threadId(), body.message(), body.messageId(), wait),
                        wait,
                        () ->
                            new KeptMessages.Kept(
                                Mission.Kind.CHAT.name(),
                                sender,
                                null,
                                body.threadId(),
                                body.message(),
                                body.messageId(),
                                java.time.Instant.now()))));
  }

  /**
   * {@code wait_for} ({@code in_inbox}, {@code injected} or {@code read}) and {@code timeout}
   * (seconds, default {@value #DEFAULT_WAIT_SECONDS}): what the answer waits for; neither: it
   * answers once the message is stored or held.
   */
  private Route withWait(String waitFor, Long seconds, Function<Router.Wait, Route> inner) {
    if (waitFor == null && seconds == null) {
      return inner.apply(Router.Wait.NONE);
    }
    Optional<DeliveryState> until =
        waitFor == null
            ? Optional.of(DeliveryState.IN_INBOX)
            : DeliveryState.ofWire(waitFor).filter(WAITABLE::contains);
    if (until.isEmpty()) {
      return badRequest("wait_for must be in_inbox, injected or read");
    }
    long longest = Router.Wait.LONGEST.toSeconds();
    long wait = seconds == null ? DEFAULT_WAIT_SECONDS : seconds;
    if (wait < 1 || wait > longest) {
      return badRequest("timeout must be 1-" + longest + " seconds");
    }
    Duration within = Duration.ofSeconds(wait);
    return withRequestTimeout(
        within.plus(timeout).plusSeconds(10),
        () -> inner.apply(new Router.Wait(until.get(), within)));
  }

  private Route register(Profile body) {
    if (body.description() == null && body.capabilities() == null && body.tags() == null) {
      return badRequest("give at least one of description, capabilities, tags");
    }
    if (body.description() != null && body.description().length() > 2000) {
      return badRequest(
          "the description has " + body.description().length() + " characters; the limit is 2000");
    }
    return asSender(
        body.sessionId(),
        sender ->
            onSuccess(
                directory.register(
                    AgentId.parse(sender.agent()),
                    body.description(),
                    body.capabilities(),
                    body.tags()),
                project ->
                    completeOK(
                        new Answers.ProjectRegistered("registered", sender.agent(), project),
                        Json.marshaller())));
  }

  private Route feedback(FeedbackReport body) {
    if (body.feedbackType() == null || !Feedback.TYPES.contains(body.feedbackType())) {
      return badRequest("feedback_type must be one of " + String.join(", ", Feedback.TYPES));
    }
    if (body.description() == null || body.description().isBlank()) {
      return badRequest("description is required");
    }
    if (body.description().length() + (body.context() == null ? 0 : body.context().length())
        > 20_000) {
      return badRequest("feedback is limited to 20,000 characters");
    }
    return asSender(
        body.sessionId(),
        sender -> {
          Feedback feedback =
              new Feedback(
                  sender.agent(),
                  sender.sessionId(),
                  body.feedbackType(),
                  body.description(),
                  body.context() == null ? "" : body.context(),
                  Instant.now());
          return onSuccess(
              directory.report(AgentId.parse(sender.agent()), feedback),
              stored ->
                  completeOK(new Answers.FeedbackRecorded("recorded", stored), Json.marshaller()));
        });
  }

  /** The writing session, known to this node's desk. */
  private Route asSender(String sessionId, Function<Router.Sender, Route> inner) {
    if (sessionId == null || sessionId.isBlank()) {
      return badRequest("session_id is required");
    }
    CompletionStage<StatusReply<SessionDesk.LocalSession>> found =
        AskPattern.ask(
            desk, r -> new SessionDesk.FindSession(sessionId, r), timeout, system.scheduler());
    return onSuccess(
        found,
        reply ->
            reply.isSuccess()
                ? inner.apply(
                    new Router.Sender(machineId + "/" + reply.getValue().project(), sessionId))
                : refusal(reply.getError()));
  }
}
