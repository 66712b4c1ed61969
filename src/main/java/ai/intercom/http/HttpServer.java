package ai.intercom.http;

import ai.intercom.config.HostPort;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;

/** Binds the node's HTTP API and unbinds it on coordinated shutdown. */
public final class HttpServer {

  private HttpServer() {}

  public static CompletionStage<ServerBinding> start(
      ActorSystem<?> system, HostPort listen, Route route) {
    return Http.get(system)
        .newServerAt(listen.host(), listen.port())
        .bind(route)
        .thenApply(binding -> binding.addToCoordinatedShutdown(Duration.ofSeconds(2), system))
        .thenApplyAsync(
            binding -> {
              warmUp(binding.localAddress());
              return binding;
            },
            system.executionContext());
  }

  /**
   * Serves one request to itself: the first connection of a fresh server costs ~200 ms (stream
   * set-up, cold code), better spent while the node joins its cluster than on its first real
   * client. Best effort.
   */
  private static void warmUp(InetSocketAddress address) {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), address.getPort())) {
      socket.setSoTimeout(2000);
      socket
          .getOutputStream()
          .write(
              "GET /api/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII));
      socket.getInputStream().readAllBytes();
    } catch (IOException e) {
      // the node serves anyway
    }
  }
}
