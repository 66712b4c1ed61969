package ai.intercom.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.time.Duration;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** What the API's route classes share: JSON request bodies and JSON errors. */
abstract class JsonRoutes extends AllDirectives {

  /**
   * The request body read as {@code type}; an empty body is {@code whenEmpty}
   * (null: refused). Malformed JSON and unknown fields are a 400.
   */
  protected <T> Route body(Class<T> type, T whenEmpty, Function<T, Route> inner) {
    // a body that came whole is read as it is: making it strict again costs a stream per request
    return extractEntity(entity -> entity instanceof HttpEntity.Strict strict
        ? parse(strict, type, whenEmpty, inner)
        : extractStrictEntity(Duration.ofSeconds(5), whole -> parse(whole, type, whenEmpty, inner)));
  }

  private <T> Route parse(HttpEntity.Strict entity, Class<T> type, T whenEmpty, Function<T, Route> inner) {
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
}
