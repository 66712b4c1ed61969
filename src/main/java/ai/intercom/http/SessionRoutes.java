package ai.intercom.http;

import ai.intercom.daemon.HookText;
import ai.intercom.daemon.Inbox;
import ai.intercom.daemon.SessionDesk;
import ai.intercom.protocol.Ids;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;

/**
 * This machine's agent sessions and their inboxes, for the MCP server and the hooks: {@code
 * GET|POST /api/sessions}, {@code DELETE /api/sessions/{id}}, {@code POST
 * /api/inbox/{id}/check?format=hook|json&event=...}, {@code POST
 * /api/inbox/{id}/wait?timeout=SECONDS}.
 */
public final class SessionRoutes extends JsonRoutes {

  /**
   * One HTTP wait at most; longer waits are several requests (the server's idle timeout is 120 s).
   */
  public static final Duration MAX_WAIT = Duration.ofSeconds(100);

  private static final Set<String> HOOK_EVENTS =
      Set.of("PostToolUse", "UserPromptSubmit", "SessionStart", "Stop");

  public record Registration(
      String sessionId, String project, Long pid, List<Long> ancestors, String missionId) {}

  public record Message(
      String from, String threadId, String missionId, String message, Instant at, boolean cut) {}

  public record Messages(String status, int count, List<Message> messages) {}

  private final ActorSystem<?> system;
  private final ActorRef<SessionDesk.Command> desk;
  private final Duration timeout;

  public SessionRoutes(
      ActorSystem<?> system, ActorRef<SessionDesk.Command> desk, Duration timeout) {
    this.system = system;
    this.desk = desk;
    this.timeout = timeout;
  }

  public Route route() {
    return concat(
        path(
            "sessions",
            () ->
                concat(
                    get(
                        () ->
                            onSuccess(
                                sessions(),
                                list -> completeOK(new Answers.Sessions(list), Json.marshaller()))),
                    post(() -> body(Registration.class, null, this::register)))),
        pathPrefix(
            "sessions",
            () ->
                pathPrefix(
                    PathMatchers.segment(),
                    id ->
                        pathEnd(
                            () ->
                                delete(
                                    () ->
                                        parameterOptional(
                                            "reason", reason -> unregister(id, reason)))))),
        pathPrefix(
            "inbox",
            () ->
                pathPrefix(
                    PathMatchers.segment(),
                    id ->
                        concat(
                            path("check", () -> post(() -> checkParameters(id))),
                            path("wait", () -> post(() -> waitParameters(id)))))));
  }

  private Route checkParameters(String id) {
    return parameterOptional(
        "format",
        format ->
            parameterOptional(
                "event", event -> check(id, format.orElse("json"), event.orElse("PostToolUse"))));
  }

  private Route waitParameters(String id) {
    return parameterOptional(
        "timeout",
        seconds ->
            parameterOptional(
                "format",
                format ->
                    parameterOptional(
                        "event", event -> await(id, seconds, format.orElse("json"), event))));
  }

  private Route unregister(String id, Optional<String> reason) {
    return onSuccess(
        AskPattern.<SessionDesk.Command, StatusReply<org.apache.pekko.Done>>ask(
            desk,
            r -> new SessionDesk.Unregister(id, reason.orElse("the agent's MCP server stopped"), r),
            timeout,
            system.scheduler()),
        reply -> status(reply, done -> new Answers.SessionUnregistered("unregistered", id)));
  }

  private Route register(Registration body) {
    if (body.sessionId() == null || body.project() == null || body.pid() == null) {
      return badRequest("session_id, project and pid are required");
    }
    List<Long> ancestors = body.ancestors() == null ? List.of() : body.ancestors();
    if (body.missionId() != null && !Ids.isMissionId(body.missionId())) {
      return badRequest("mission_id '" + body.missionId() + "' is not like m-20260101-0a1b2c");
    }
    return onSuccess(
        AskPattern.<SessionDesk.Command, StatusReply<SessionDesk.LocalSession>>ask(
            desk,
            r ->
                new SessionDesk.Register(
                    body.sessionId(), body.project(), body.pid(), ancestors, body.missionId(), r),
            timeout,
            system.scheduler()),
        reply -> status(reply, session -> new Answers.SessionRegistered("registered", session)));
  }

  private Route check(String sessionId, String format, String event) {
    if (!format.equals("json") && !format.equals("hook")) {
      return badRequest("format must be json or hook");
    }
    if (!HOOK_EVENTS.contains(event)) {
      return badRequest(
          "event must be one of " + String.join(", ", HOOK_EVENTS.stream().sorted().toList()));
    }
    boolean hook = format.equals("hook");
    int budget = hook ? HookText.TEXT_BUDGET : 0;
    return withInbox(
        sessionId,
        inbox ->
            onSuccess(
                AskPattern.<Inbox.Command, Inbox.Batch>ask(
                    inbox,
                    // a hook's letters are injected into the context, a full read's are read
                    r -> new Inbox.Check(budget, hook ? event : null, r),
                    timeout,
                    system.scheduler()),
                batch -> {
                  if (!hook) {
                    return completeOK(messages(batch), Json.marshaller());
                  }
                  if (batch.isEmpty()) {
                    return complete(StatusCodes.NO_CONTENT);
                  }
                  return completeOK(
                      Answers.HookOutput.of(event, HookText.of(batch.letters(), batch.waiting())),
                      Json.marshaller());
                }));
  }

  /**
   * Waits for letters; {@code format=text} answers the hook text (200) or nothing (204) at the
   * timeout.
   */
  private Route await(
      String sessionId, Optional<String> seconds, String format, Optional<String> event) {
    if (!format.equals("json") && !format.equals("text")) {
      return badRequest("format must be json or text");
    }
    // the text is for the waiting hook (Stop, or SessionStart), which injects it; json is a tool's
    String hookEvent = format.equals("text") ? event.orElse("Stop") : null;
    if (hookEvent != null && !HOOK_EVENTS.contains(hookEvent)) {
      return badRequest(
          "event must be one of " + String.join(", ", HOOK_EVENTS.stream().sorted().toList()));
    }
    Duration wait;
    try {
      wait = Duration.ofSeconds(seconds.map(Long::parseLong).orElse(MAX_WAIT.toSeconds()));
    } catch (NumberFormatException e) {
      return badRequest("timeout must be a number of seconds");
    }
    if (wait.isNegative() || wait.compareTo(MAX_WAIT) > 0) {
      return badRequest("timeout must be 0-" + MAX_WAIT.toSeconds() + " seconds per request");
    }
    Duration answerWithin = wait.plus(timeout);
    return withRequestTimeout(
        answerWithin.plusSeconds(5),
        () ->
            withInbox(
                sessionId,
                inbox ->
                    onSuccess(
                        AskPattern.<Inbox.Command, Inbox.Batch>ask(
                            inbox,
                            r -> new Inbox.Await(wait, HookText.TEXT_BUDGET, hookEvent, r),
                            answerWithin,
                            system.scheduler()),
                        batch -> {
                          if (format.equals("text")) {
                            return batch.isEmpty()
                                ? complete(StatusCodes.NO_CONTENT)
                                : complete(
                                    HttpEntities.create(
                                        ContentTypes.TEXT_PLAIN_UTF8,
                                        HookText.of(batch.letters(), batch.waiting())));
                          }
                          return completeOK(
                              batch.isEmpty()
                                  ? Answers.Waited.timeout()
                                  : Answers.Waited.message(
                                      batch.letters().size(),
                                      HookText.of(batch.letters(), batch.waiting())),
                              Json.marshaller());
                        })));
  }

  private CompletionStage<List<SessionDesk.LocalSession>> sessions() {
    return AskPattern.ask(desk, SessionDesk.ListSessions::new, timeout, system.scheduler());
  }

  private Route withInbox(String sessionId, Function<ActorRef<Inbox.Command>, Route> inner) {
    CompletionStage<StatusReply<ActorRef<Inbox.Command>>> found =
        AskPattern.ask(
            desk, r -> new SessionDesk.FindInbox(sessionId, r), timeout, system.scheduler());
    return onSuccess(
        found,
        reply -> reply.isSuccess() ? inner.apply(reply.getValue()) : refusal(reply.getError()));
  }

  private static Messages messages(Inbox.Batch batch) {
    List<Message> list =
        batch.letters().stream()
            .map(
                d ->
                    new Message(
                        d.letter().from(),
                        d.letter().threadId(),
                        d.letter().missionId(),
                        d.letter().text(),
                        d.letter().at(),
                        d.cut()))
            .toList();
    return new Messages("ok", list.size(), list);
  }

  private <T> Route status(StatusReply<T> reply, Function<T, Object> body) {
    return reply.isSuccess()
        ? completeOK(body.apply(reply.getValue()), Json.marshaller())
        : refusal(reply.getError());
  }
}
