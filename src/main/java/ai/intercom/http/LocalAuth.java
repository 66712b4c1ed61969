package ai.intercom.http;

import ai.intercom.security.LocalToken;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** Lets through requests that carry the node's local token as {@code Authorization: Bearer}. */
public final class LocalAuth extends AllDirectives {

  private final LocalToken token;

  public LocalAuth(LocalToken token) {
    this.token = token;
  }

  public Route require(Supplier<Route> inner) {
    return optionalHeaderValueByName(
        "Authorization",
        header -> {
          Optional<String> bearer =
              header
                  .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                  .map(h -> h.substring(7).trim());
          if (bearer.isPresent() && token.matches(bearer.get())) {
            return inner.get();
          }
          String why =
              bearer.isEmpty()
                  ? "missing local token: send 'Authorization: Bearer <token>' from $INTERCOM_HOME/local.token"
                  : "wrong local token: read it again from $INTERCOM_HOME/local.token (it changes at every node start)";
          return respondWithHeader(
              WWWAuthenticate.create(HttpChallenge.create("Bearer", "ai-intercom")),
              () ->
                  complete(StatusCodes.UNAUTHORIZED, new Json.Error(why, null), Json.marshaller()));
        });
  }
}
