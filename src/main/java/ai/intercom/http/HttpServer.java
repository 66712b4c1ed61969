package ai.intercom.http;

import ai.intercom.app.HostPort;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;

/** Binds the node's HTTP API and unbinds it on coordinated shutdown. */
public final class HttpServer {

  private HttpServer() {}

  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, HostPort listen, Route route) {
    return Http.get(system)
        .newServerAt(listen.host(), listen.port())
        .bind(route)
        .thenApply(binding -> binding.addToCoordinatedShutdown(Duration.ofSeconds(2), system));
  }
}
