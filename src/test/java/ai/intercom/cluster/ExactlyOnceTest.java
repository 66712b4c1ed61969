package ai.intercom.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.testing.ApiClient.Answer;
import ai.intercom.testing.NodePair;
import ai.intercom.testing.NodeProcess;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing accepted is lost and nothing reaches the agent twice, with both nodes killed (SIGKILL) in
 * the stream: a hub with the sending session and a daemon with the receiving one, as real
 * processes. The daemon dies with letters in its session's inbox that were never handed out (after
 * the inbox write, before the cursor write); while it is down, messages to it are kept on the hub;
 * the hub dies in the middle of the sender's calls, which the sender retries with the same message
 * id, as the MCP server does. The receiving session's every message is counted.
 */
class ExactlyOnceTest {

  static final Duration WAIT = Duration.ofSeconds(90);
  static final int PER_PHASE = 40;

  @TempDir Path hubHome;
  @TempDir Path daemonHome;

  private NodePair nodes;

  /** Message text -> how often the receiving session got it. */
  private final Map<String, Integer> received = new TreeMap<>();

  /** A session call, registering the session again when the node forgot it (as hooks do). */
  private static Answer asSession(
      NodePair.Side node, String session, String project, String path, Map<String, Object> body)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      Answer answer = node.call(path, body);
      if (answer != null && answer.status() == 404 && answer.toString().contains("no_session")) {
        node.register(session, project);
        continue;
      }
      if (answer != null && answer.status() < 500) {
        return answer;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no answer from the node at port " + node.http() + " for " + path);
  }

  /** Message {@code i}, retried under its message id until the hub answers. */
  private String send(int i) throws InterruptedException {
    Answer sent =
        asSession(
            nodes.hub,
            "s-api",
            "api",
            "/api/chat",
            Map.of(
                "session_id",
                "s-api",
                "to",
                "beta/web",
                "message",
                "message " + i,
                "message_id",
                "call-" + i));
    assertEquals(200, sent.status(), "message " + i + ": " + sent);
    return sent.text("status");
  }

  /** What the receiving session has not seen yet, as intercom_check_inbox hands it out. */
  private void read() throws InterruptedException {
    Answer checked = asSession(nodes.daemon, "s-web", "web", "/api/inbox/s-web/check", Map.of());
    assertEquals(200, checked.status(), checked.toString());
    for (JsonNode message : checked.json().path("messages")) {
      received.merge(message.path("message").asText(), 1, Integer::sum);
    }
  }

  private boolean betaOnline() {
    Answer agents = nodes.hub.call("/api/agents?filter=machine:beta", null);
    if (agents == null || agents.status() != 200) {
      return false;
    }
    for (JsonNode agent : agents.json().path("agents")) {
      if (agent.path("online").asBoolean()) {
        return true;
      }
    }
    return false;
  }

  private static void await(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "never: " + what);
      Thread.sleep(200);
    }
  }

  @Test
  void everyMessageReachesTheSessionOnceThoughEachNodeIsKilled() throws Exception {
    Files.writeString(hubHome.resolve("policies.yml"), "defaults:\n  require_approval: never\n");
    // a daemon cut off from its hub rejoins soon (the defaults are for real networks)
    nodes = new NodePair(hubHome, daemonHome);
    AtomicReference<NodeProcess> hub = new AtomicReference<>(nodes.startHub());
    NodeProcess daemon = nodes.startDaemon();
    List<String> statuses = new ArrayList<>();
    try {
      nodes.hub.register("s-api", "api");
      nodes.daemon.register("s-web", "web");
      await(this::betaOnline, "beta online");

      // 1. both up: the last letters stay in the inbox, never handed out, when the daemon dies
      for (int i = 1; i <= PER_PHASE; i++) {
        statuses.add(send(i));
        if (i % 10 == 0 && i < PER_PHASE - 10) {
          read();
        }
      }
      assertTrue(Files.exists(daemonHome.resolve("inbox/s-web.pending")), "letters wait");
      daemon.kill();

      // 2. the daemon is down: messages to it are kept on the hub, never refused
      await(() -> !betaOnline(), "beta offline");
      for (int i = PER_PHASE + 1; i <= 2 * PER_PHASE; i++) {
        statuses.add(send(i));
      }
      assertEquals(
          PER_PHASE,
          statuses.subList(PER_PHASE, 2 * PER_PHASE).stream().filter("queued"::equals).count(),
          statuses.toString());
      daemon = nodes.startDaemon();
      read();

      // 3. the hub dies in the middle of the calls; they are retried with their message ids
      CountDownLatch kill = new CountDownLatch(1);
      Thread crash =
          new Thread(
              () -> {
                try {
                  kill.await();
                  hub.get().kill();
                  hub.set(nodes.startHub());
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      crash.start();
      for (int i = 2 * PER_PHASE + 1; i <= 3 * PER_PHASE; i++) {
        if (i == 2 * PER_PHASE + 10) {
          kill.countDown();
        }
        send(i);
        if (i % 10 == 0) {
          read();
        }
      }
      crash.join(TimeUnit.SECONDS.toMillis(90));

      int all = 3 * PER_PHASE;
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (received.size() < all && System.nanoTime() < deadline) {
        read();
        Thread.sleep(300);
      }
      Thread.sleep(3000);
      read();
      List<String> missing = new ArrayList<>();
      List<String> twice = new ArrayList<>();
      for (int i = 1; i <= all; i++) {
        int times = received.getOrDefault("message " + i, 0);
        if (times == 0) {
          missing.add("message " + i);
        } else if (times > 1) {
          twice.add("message " + i + " x" + times);
        }
      }
      assertEquals(List.of(), missing, "lost");
      assertEquals(List.of(), twice, "shown twice");
      assertEquals(all, received.size(), received.keySet().toString());
      // the restarted hub joined the cluster the daemon was still in (data/cluster-peers):
      // the daemon did not have to notice the hub was gone and start its node again
      assertTrue(
          daemon.stderr().stream().noneMatch(line -> line.contains("restarting this node")),
          String.join("\n", daemon.stderr()));
    } finally {
      daemon.close();
      hub.get().close();
    }
  }
}
