package ai.intercom.http;

import ai.intercom.daemon.SessionDesk;
import ai.intercom.directory.Directory;
import ai.intercom.mission.Mission;
import ai.intercom.mission.Router;
import ai.intercom.registry.AgentId;
import ai.intercom.registry.Feedback;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;

/**
 * What an agent session of this machine does through its MCP server:
 * {@code POST /api/chat|send} ({@code session_id, to, message}),
 * {@code POST /api/reply} ({@code session_id, thread_id, message}),
 * {@code POST /api/register} (its project's profile) and {@code POST /api/feedback}.
 * The session id says who writes: the agent {@code machine/project} of that session.
 */
public final class MessageRoutes extends JsonRoutes {

  public record NewMessage(String sessionId, String to, String message) {}

  public record Reply(String sessionId, String threadId, String message) {}

  public record Profile(String sessionId, String description, List<String> capabilities, List<String> tags) {}

  public record FeedbackReport(String sessionId, String feedbackType, String description, String context) {}

  private final ActorSystem<?> system;
  private final ActorRef<SessionDesk.Command> desk;
  private final Router router;
  private final Directory directory;
  private final String machineId;
  private final Duration timeout;

  public MessageRoutes(ActorSystem<?> system, ActorRef<SessionDesk.Command> desk, Router router, Directory directory,
      String machineId, Duration timeout) {
    this.system = system;
    this.desk = desk;
    this.router = router;
    this.directory = directory;
    this.machineId = machineId;
    this.timeout = timeout;
  }

  public Route route() {
    return concat(
        path("chat", () -> post(() -> body(NewMessage.class, null, body -> open(body, Mission.Kind.CHAT)))),
        path("send", () -> post(() -> body(NewMessage.class, null, body -> open(body, Mission.Kind.SEND)))),
        path("reply", () -> post(() -> body(Reply.class, null, this::reply))),
        path("register", () -> post(() -> body(Profile.class, null, this::register))),
        path("feedback", () -> post(() -> body(FeedbackReport.class, null, this::feedback))));
  }

  private Route open(NewMessage body, Mission.Kind kind) {
    if (body.to() == null || body.message() == null) {
      return badRequest("to and message are required");
    }
    return asSender(body.sessionId(), sender -> outcome(router.open(sender, body.to(), kind, body.message())));
  }

  private Route reply(Reply body) {
    if (body.threadId() == null || body.message() == null) {
      return badRequest("thread_id and message are required");
    }
    return asSender(body.sessionId(), sender -> outcome(router.reply(sender, body.threadId(), body.message())));
  }

  private Route register(Profile body) {
    if (body.description() == null && body.capabilities() == null && body.tags() == null) {
      return badRequest("give at least one of description, capabilities, tags");
    }
    if (body.description() != null && body.description().length() > 2000) {
      return badRequest("the description has " + body.description().length() + " characters; the limit is 2000");
    }
    return asSender(body.sessionId(), sender -> onSuccess(
        directory.register(AgentId.parse(sender.agent()), body.description(), body.capabilities(), body.tags()),
        project -> completeOK(Map.of("status", "registered", "agent", sender.agent(), "project", project),
            Json.marshaller())));
  }

  private Route feedback(FeedbackReport body) {
    if (body.feedbackType() == null || !Feedback.TYPES.contains(body.feedbackType())) {
      return badRequest("feedback_type must be one of " + String.join(", ", Feedback.TYPES));
    }
    if (body.description() == null || body.description().isBlank()) {
      return badRequest("description is required");
    }
    if (body.description().length() + (body.context() == null ? 0 : body.context().length()) > 20_000) {
      return badRequest("feedback is limited to 20,000 characters");
    }
    return asSender(body.sessionId(), sender -> {
      Feedback feedback = new Feedback(sender.agent(), sender.sessionId(), body.feedbackType(), body.description(),
          body.context() == null ? "" : body.context(), Instant.now());
      return onSuccess(directory.report(AgentId.parse(sender.agent()), feedback),
          stored -> completeOK(Map.of("status", "recorded", "feedback", stored), Json.marshaller()));
    });
  }

  private Route outcome(CompletionStage<Router.Outcome> outcome) {
    return onComplete(outcome, result -> {
      if (result.isSuccess()) {
        return completeOK(compact(result.get()), Json.marshaller());
      }
      return Router.refusalIn(result.failed().get())
          .map(refusal -> error(refusal.notFound() ? StatusCodes.NOT_FOUND : StatusCodes.BAD_REQUEST,
              refusal.getMessage()))
          .orElseGet(() -> failWith(result.failed().get()));
    });
  }

  /** The outcome without its empty fields. */
  private static Map<String, Object> compact(Router.Outcome outcome) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("status", outcome.status());
    fields.put("thread_id", outcome.threadId());
    fields.put("mission_id", outcome.missionId());
    fields.put("to", outcome.to());
    if (outcome.sessionId() != null) {
      fields.put("session_id", outcome.sessionId());
    }
    if (outcome.approvalId() != null) {
      fields.put("approval_id", outcome.approvalId());
    }
    if (outcome.note() != null) {
      fields.put("note", outcome.note());
    }
    return fields;
  }

  /** The writing session, known to this node's desk. */
  private Route asSender(String sessionId, Function<Router.Sender, Route> inner) {
    if (sessionId == null || sessionId.isBlank()) {
      return badRequest("session_id is required");
    }
    CompletionStage<StatusReply<SessionDesk.LocalSession>> found =
        AskPattern.ask(desk, r -> new SessionDesk.FindSession(sessionId, r), timeout, system.scheduler());
    return onSuccess(found, reply -> reply.isSuccess()
        ? inner.apply(new Router.Sender(machineId + "/" + reply.getValue().project(), sessionId))
        : error(StatusCodes.NOT_FOUND, reply.getError().getMessage()));
  }
}
