package ai.intercom.testing;

import ai.intercom.app.Node;
import ai.intercom.config.ConfigLoader;
import ai.intercom.config.Settings;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;

/** Starts real nodes (actor system, SQLite journal, HTTP, cluster) on loopback for tests. */
public final class TestNodes {

  public static final Duration TIMEOUT = Duration.ofSeconds(30);

  private TestNodes() {}

  /**
   * A node of {@code mode} on {@code home}, HTTP and cluster on free ports unless {@code env} sets
   * them.
   */
  public static Node start(Path home, String mode, Map<String, String> env) {
    return start(home, mode, env, Map.of());
  }

  /** As {@link #start(Path, String, Map)}, with configuration {@code overrides} (HOCON paths). */
  public static Node start(
      Path home, String mode, Map<String, String> env, Map<String, Object> overrides) {
    Node node = launch(home, mode, env, overrides);
    try {
      node.ready().toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      stop(node);
      throw new IllegalStateException("node did not come up: " + e, e);
    }
    return node;
  }

  /** As {@link #start(Path, String, Map, Map)}, without waiting for the node to be up. */
  public static Node launch(
      Path home, String mode, Map<String, String> env, Map<String, Object> overrides) {
    Map<String, String> all = new HashMap<>();
    all.put("INTERCOM_HOME", home.toString());
    all.put("INTERCOM_HTTP_PORT", "0");
    all.put("INTERCOM_CLUSTER_PORT", "0");
    all.put("INTERCOM_MACHINE_ID", "test-" + mode);
    all.putAll(env);
    Map<String, Object> settings = new HashMap<>(overrides);
    settings.put("intercom.mode", mode);
    Config config = new ConfigLoader(all).load(settings);
    return Node.start(Settings.from(config), config);
  }

  public static InetSocketAddress http(Node node) {
    return node.ready().toCompletableFuture().join();
  }

  public static void stop(Node node) {
    node.stop().toCompletableFuture().join();
    awaitTermination(node.system());
  }

  public static void awaitTermination(ActorSystem<?> system) {
    try {
      system.getWhenTerminated().toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("actor system did not terminate: " + e, e);
    }
  }

  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
