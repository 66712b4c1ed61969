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
    // a node looks for projects under $HOME when it has no scan paths: the test's home, not ours
    all.put("HOME", home.toString());
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

  /**
   * How long a stopped node's actor system may take to terminate. A stop normally takes a second or
   * two; a stop slower than {@link #SLOW_STOP} prints the node's busy threads, so that a slow
   * shutdown is seen and can be found (an intermittent one was seen in full runs, session 9).
   */
  static final Duration TERMINATION = Duration.ofSeconds(40);

  static final Duration SLOW_STOP = Duration.ofSeconds(10);

  public static void stop(Node node) {
    long start = System.nanoTime();
    node.stop().toCompletableFuture().join();
    awaitTermination(node.system());
    long ms = (System.nanoTime() - start) / 1_000_000;
    if (ms > SLOW_STOP.toMillis()) {
      System.err.println(
          "slow stop: node " + node.settings().machine().id() + " took " + ms + " ms to stop");
    }
  }

  public static void awaitTermination(ActorSystem<?> system) {
    try {
      system.getWhenTerminated().toCompletableFuture().get(SLOW_STOP.toSeconds(), TimeUnit.SECONDS);
      return;
    } catch (java.util.concurrent.TimeoutException e) {
      System.err.println(
          "slow stop: actor system "
              + system.address()
              + " still runs; its threads:\n"
              + threads(system));
    } catch (Exception e) {
      throw new IllegalStateException("actor system did not terminate: " + e, e);
    }
    try {
      system
          .getWhenTerminated()
          .toCompletableFuture()
          .get(TERMINATION.minus(SLOW_STOP).toSeconds(), TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      // Pekko 1.7's Artery may wait forever for a stalled remoting stream at termination
      // (apache/pekko#3247); the node's shutdown itself ran: the test goes on, loudly
      System.err.println(
          "STUCK: actor system "
              + system.address()
              + " did not terminate in "
              + TERMINATION.toSeconds()
              + " s after its shutdown (apache/pekko#3247); going on without it");
    } catch (Exception e) {
      throw new IllegalStateException(
          "actor system did not terminate: " + e + "; its threads:\n" + threads(system), e);
    }
  }

  /** The stacks of the threads of {@code system}'s dispatchers, top frames only. */
  private static String threads(ActorSystem<?> system) {
    StringBuilder out = new StringBuilder();
    Thread.getAllStackTraces()
        .forEach(
            (thread, stack) -> {
              if (thread.getName().startsWith(system.name()) && stack.length > 0) {
                out.append(thread.getName()).append(" ").append(thread.getState()).append('\n');
                for (int i = 0; i < Math.min(8, stack.length); i++) {
                  out.append("    at ").append(stack[i]).append('\n');
                }
              }
            });
    return out.toString();
  }

  /** Members Up in {@code node}'s view of the cluster. */
  public static int upMembers(Node node) {
    int up = 0;
    for (var member :
        org.apache.pekko.cluster.typed.Cluster.get(node.system()).state().getMembers()) {
      up += member.status().equals(org.apache.pekko.cluster.MemberStatus.up()) ? 1 : 0;
    }
    return up;
  }

  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
