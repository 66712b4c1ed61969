package ai.intercom.testing;

import ai.intercom.testing.ApiClient.Answer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A hub (standalone: machine {@code alpha}) and a daemon (machine {@code beta}) as real node
 * processes on loopback, each with its home and ports, started and killed at will; with calls that
 * answer null while a node does not answer, as a client sees a node that is down or restarting.
 */
public final class NodePair {

  /** One node's home and ports. */
  public record Side(Path home, int http, int cluster) {

    /** A call to this node; null while it does not answer. */
    public Answer call(String path, Map<String, Object> body) {
      try {
        ApiClient api = new ApiClient(http, home);
        return body == null ? api.get(path) : api.post(path, body);
      } catch (UncheckedIOException | IllegalStateException e) {
        return null;
      }
    }

    /**
     * Whether this node's machines list shows {@code machine} online; false while it does not
     * answer.
     */
    public boolean online(String machine) {
      Answer machines = call("/api/machines", null);
      if (machines == null || machines.status() != 200) {
        return false;
      }
      for (com.fasterxml.jackson.databind.JsonNode m : machines.json().path("machines")) {
        if (m.path("machine_id").asText().equals(machine)) {
          return m.path("online").asBoolean();
        }
      }
      return false;
    }

    /** Registers {@code session} of {@code project} for this process, as the hooks do. */
    public Answer register(String session, String project) {
      return call(
          "/api/sessions",
          Map.of(
              "session_id",
              session,
              "project",
              project,
              "pid",
              ProcessHandle.current().pid(),
              "ancestors",
              List.of()));
    }
  }

  public final Side hub;
  public final Side daemon;
  private final boolean launcher;

  /** Nodes run from the test classpath. */
  public NodePair(Path hubHome, Path daemonHome) {
    this(hubHome, daemonHome, false);
  }

  /** {@code launcher}: nodes run by {@code scripts/ai-intercom}, as users start them. */
  public NodePair(Path hubHome, Path daemonHome, boolean launcher) {
    this.launcher = launcher;
    this.hub = new Side(hubHome, TestNodes.freePort(), TestNodes.freePort());
    this.daemon = new Side(daemonHome, TestNodes.freePort(), TestNodes.freePort());
    write(daemonHome.resolve("intercom.conf"), "intercom.hub.cluster-port = " + hub.cluster + "\n");
  }

  /** Adds lines to a node's {@code intercom.conf}. */
  public static void configure(Side side, String... lines) {
    Path conf = side.home.resolve("intercom.conf");
    try {
      String before = Files.exists(conf) ? Files.readString(conf) : "";
      write(conf, before + String.join("\n", lines) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts the hub; answers once it serves. */
  public NodeProcess startHub() throws IOException, InterruptedException {
    return started(
        start(
            Map.of(
                "INTERCOM_HOME", hub.home.toString(),
                "INTERCOM_MACHINE_ID", "alpha",
                "INTERCOM_HTTP_PORT", String.valueOf(hub.http),
                "INTERCOM_CLUSTER_PORT", String.valueOf(hub.cluster)),
            "standalone"),
        "hub");
  }

  /** Starts the daemon; answers once it serves. */
  public NodeProcess startDaemon() throws IOException, InterruptedException {
    Joins.admit(hub.http, hub.home, daemon.home, "beta");
    return started(
        start(
            Map.of(
                "INTERCOM_HOME", daemon.home.toString(),
                "INTERCOM_MACHINE_ID", "beta",
                "HUB_URL", "http://127.0.0.1:" + hub.http,
                "INTERCOM_HTTP_PORT", String.valueOf(daemon.http),
                "INTERCOM_CLUSTER_PORT", String.valueOf(daemon.cluster)),
            "daemon"),
        "daemon");
  }

  private NodeProcess start(Map<String, String> env, String mode) throws IOException {
    return launcher ? NodeProcess.launch(env, mode) : NodeProcess.start(env, mode);
  }

  private static NodeProcess started(NodeProcess node, String what) throws InterruptedException {
    if (node.nextLine(60) == null) {
      node.close();
      throw new IllegalStateException(what + " did not start: " + node.stderr());
    }
    return node;
  }
}
