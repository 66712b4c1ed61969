package ai.intercom.http;

import ai.intercom.mission.Router;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** What the API's route classes share: JSON request bodies and JSON errors. */
abstract class JsonRoutes extends AllDirectives {

  /**
   * The request body read as {@code type}; an empty body is {@code whenEmpty} (null: refused).
   * Malformed JSON and unknown fields are a 400.
   */
  protected <T> Route body(Class<T> type, T whenEmpty, Function<T, Route> inner) {
    // a body that came whole is read as it is: making it strict again costs a stream per request
    return extractEntity(
        entity ->
            entity instanceof HttpEntity.Strict strict
                ? parse(strict, type, whenEmpty, inner)
                : extractStrictEntity(
                    Duration.ofSeconds(5), whole -> parse(whole, type, whenEmpty, inner)));
  }

  private <T> Route parse(
      HttpEntity.Strict entity, Class<T> type, T whenEmpty, Function<T, Route> inner) {
    String text = entity.getData().utf8String();
    if (text.isBlank() && whenEmpty != null) {
      return inner.apply(whenEmpty);
    }
    try {
      return inner.apply(Json.MAPPER.readValue(text, type));
    } catch (JsonProcessingException e) {
      return badRequest("malformed JSON body: " + e.getOriginalMessage());
    }
  }

  protected Route error(StatusCode status, String message) {
    return complete(status, new Json.Error(message), Json.marshaller());
  }

  protected Route badRequest(String message) {
    return error(StatusCodes.BAD_REQUEST, message);
  }

  /**
   * A refusal (404 for what does not exist, else 400) with its sentence; any other failure fails
   * the route.
   */
  protected Route refusal(Throwable error) {
    return Router.refusalIn(error)
        .map(
            refusal ->
                error(
                    refusal.notFound() ? StatusCodes.NOT_FOUND : StatusCodes.BAD_REQUEST,
                    refusal.getMessage()))
        .orElseGet(() -> failWith(error));
  }

  /**
   * How a message, launch, follow-up or stop went: {@code status}, {@code mission_id} and, when
   * there are, the thread, recipient, session, approval id and a note.
   */
  protected Route outcome(CompletionStage<Router.Outcome> outcome) {
    return onComplete(
        outcome,
        result -> {
          if (result.isFailure()) {
            return refusal(result.failed().get());
          }
          Router.Outcome done = result.get();
          Map<String, Object> fields = new LinkedHashMap<>();
          fields.put("status", done.status());
          putPresent(fields, "thread_id", done.threadId());
          fields.put("mission_id", done.missionId());
          putPresent(fields, "to", done.to());
          putPresent(fields, "session_id", done.sessionId());
          putPresent(fields, "approval_id", done.approvalId());
          putPresent(fields, "note", done.note());
          return completeOK(fields, Json.marshaller());
        });
  }

  /** Adds the field unless its value is null. */
  protected static void putPresent(Map<String, Object> fields, String name, Object value) {
    if (value != null) {
      fields.put(name, value);
    }
  }
}
