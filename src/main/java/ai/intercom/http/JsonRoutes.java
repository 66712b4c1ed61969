package ai.intercom.http;

import ai.intercom.mission.Router;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.protocol.Refusal;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.time.Duration;
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
      return inner.apply(JsonFormat.MAPPER.readValue(text, type));
    } catch (JsonProcessingException e) {
      return badRequest("malformed JSON body: " + e.getOriginalMessage());
    }
  }

  protected Route error(StatusCode status, String message) {
    return complete(status, new Json.Error(message, null), Json.marshaller());
  }

  /** A request malformed or out of range: 400 with the code {@code invalid}, like a refusal. */
  protected Route badRequest(String message) {
    return refused(Refusal.invalid(message));
  }

  /**
   * A refusal, as the status of its code with its sentence and code; any other failure fails the
   * route.
   */
  protected Route refusal(Throwable error) {
    return Refusal.of(error).map(this::refused).orElseGet(() -> failWith(error));
  }

  protected Route refused(Refusal refusal) {
    return complete(
        statusOf(refusal.code()),
        new Json.Error(refusal.reason(), refusal.code().wire()),
        Json.marshaller());
  }

  /**
   * The one mapping of refusal codes to HTTP statuses. Clients tell refusals apart by the code in
   * the body; the status only says what kind of failure it is, as it did before there were codes.
   */
  static StatusCode statusOf(Refusal.Code code) {
    return switch (code) {
      case INVALID, FORBIDDEN, OFFLINE -> StatusCodes.BAD_REQUEST;
      case NOT_FOUND, NO_SESSION -> StatusCodes.NOT_FOUND;
      case CONFLICT, TAKEN -> StatusCodes.CONFLICT;
    };
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
          return completeOK(Answers.Outcome.of(result.get()), Json.marshaller());
        });
  }
}
