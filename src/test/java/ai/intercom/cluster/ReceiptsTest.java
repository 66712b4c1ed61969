package ai.intercom.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.ApiClient.Answer;
import ai.intercom.testing.Await;
import ai.intercom.testing.Joins;
import ai.intercom.testing.NodeProcess;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delivery receipts across two real nodes: a message's state moves from {@code in_inbox} to {@code
 * injected} (by which hook, when) when the real hook script shows it, to {@code read} when its
 * recipient answers in the thread or reads it with check_inbox; a sender can wait for a state, and
 * the sender and the operator see the states in the mission's status and history.
 */
class ReceiptsTest {

  static final long SELF = ProcessHandle.current().pid();

  @TempDir Path homeA;
  @TempDir Path homeB;

  /** The real check-inbox hook, as Claude Code runs it after a tool call of session c-1. */
  private static String hook(Path home, int port) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("bash", "scripts/check-inbox-hook.sh");
    builder.environment().put("INTERCOM_HOME", home.toString());
    builder.environment().put("INTERCOM_HTTP_PORT", String.valueOf(port));
    Process hook = builder.start();
    hook.getOutputStream()
        .write(
            "{\"session_id\":\"c-1\",\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Read\"}"
                .getBytes(StandardCharsets.UTF_8));
    hook.getOutputStream().close();
    assertTrue(hook.waitFor(20, TimeUnit.SECONDS));
    assertEquals(0, hook.exitValue());
    return new String(hook.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  private static JsonNode receipt(JsonNode receipts, String agent) {
    for (JsonNode receipt : receipts) {
      if (receipt.path("agent").asText().equals(agent)) {
        return receipt;
      }
    }
    throw new AssertionError("no receipt for " + agent + " in " + receipts);
  }

  /** The receipt of message {@code seq} of a mission for {@code agent}, as its history shows it. */
  private static JsonNode historyReceipt(ApiClient api, String missionId, int seq, String agent) {
    JsonNode history = api.get("/api/missions/" + missionId + "/history").json();
    for (JsonNode line : history.path("messages")) {
      if (line.path("seq").asInt() == seq) {
        return receipt(line.path("receipts"), agent);
      }
    }
    throw new AssertionError("no message " + seq + " in " + history);
  }

  @Test
  void aMessageGoesFromInboxToInjectedToReadAndTheSenderSeesEachStep() throws Exception {
    Files.writeString(homeA.resolve("policies.yml"), "defaults:\n  require_approval: never\n");
    int clusterPort = TestNodes.freePort();
    Node a =
        TestNodes.start(
            homeA,
            "standalone",
            Map.of(
                "INTERCOM_MACHINE_ID",
                "alpha",
                "INTERCOM_CLUSTER_PORT",
                String.valueOf(clusterPort)));
    Node b = null;
    try {
      ApiClient apiA = new ApiClient(a, homeA);
      Joins.admit(apiA.port(), homeA, homeB, "beta");
      b =
          TestNodes.start(
              homeB,
              "daemon",
              Map.of("INTERCOM_MACHINE_ID", "beta", "HUB_URL", "http://127.0.0.1:" + apiA.port()),
              Map.of("intercom.hub.cluster-port", clusterPort));
      ApiClient apiB = new ApiClient(b, homeB);
      assertEquals(200, apiA.register("s-api", "api", SELF).status());
      assertEquals(200, apiB.register("s-web", "web", SELF).status());
      Await.until(
          () -> apiA.get("/api/agents?filter=machine:beta").json().toString().contains("s-web"));

      // the sender waits for its message to be in the agent's context; the hook puts it there
      CompletableFuture<Answer> waiting =
          CompletableFuture.supplyAsync(
              () ->
                  apiA.post(
                      "/api/chat",
                      Map.of(
                          "session_id",
                          "s-api",
                          "to",
                          "beta/web",
                          "message",
                          "Is the cache warm?",
                          "wait_for",
                          "injected",
                          "timeout",
                          25)));
      Path pending = homeB.resolve("inbox/s-web.pending");
      Await.until(() -> Files.exists(pending));
      assertTrue(hook(homeB, apiB.port()).contains("Is the cache warm?"));
      Answer sent = waiting.get(30, TimeUnit.SECONDS);
      assertEquals(200, sent.status(), sent.toString());
      assertEquals("injected", sent.text("state"), sent.toString());
      assertEquals("delivered", sent.text("status"), sent.toString());
      JsonNode injected = receipt(sent.json().path("receipts"), "beta/web");
      assertEquals("PostToolUse", injected.path("hook_event").asText(), injected.toString());
      assertEquals("s-web", injected.path("session").asText());
      assertTrue(injected.hasNonNull("injected_at"), injected.toString());

      String missionId = sent.text("mission_id");
      String threadId = sent.text("thread_id");
      assertEquals(
          "injected",
          receipt(apiA.mission(missionId).path("receipts"), "beta/web").path("state").asText());
      assertEquals(
          "injected", historyReceipt(apiA, missionId, 1, "beta/web").path("state").asText());

      // answering in the thread reads it; the answer itself is in the sender's inbox
      Answer answered = apiB.reply("s-web", threadId, "Warm since 9:00.");
      assertEquals("in_inbox", answered.text("state"), answered.toString());
      Await.until(
          () ->
              historyReceipt(apiA, missionId, 1, "beta/web").path("state").asText().equals("read"));
      assertEquals(
          "in_inbox", historyReceipt(apiA, missionId, 2, "alpha/api").path("state").asText());
      // a full read (intercom_check_inbox) reads the answer
      assertEquals("Warm since 9:00.", apiA.inbox("s-api").get(0).path("message").asText());
      Await.until(
          () ->
              historyReceipt(apiB, missionId, 2, "alpha/api")
                  .path("state")
                  .asText()
                  .equals("read"));
      // only forward: the hook firing again changes nothing
      assertEquals("", hook(homeB, apiB.port()));
      JsonNode first = historyReceipt(apiA, missionId, 1, "beta/web");
      assertEquals("read", first.path("state").asText());
      assertEquals("PostToolUse", first.path("hook_event").asText(), "what injected it stays");

      // the operator's view
      try (NodeProcess cli =
          NodeProcess.start(
              Map.of(
                  "INTERCOM_HOME",
                  homeA.toString(),
                  "INTERCOM_HTTP_PORT",
                  String.valueOf(apiA.port())),
              "status",
              missionId)) {
        assertEquals(0, cli.awaitExit(30), String.join("\n", cli.stderr()));
        List<String> out = cli.stdout();
        assertTrue(
            out.stream()
                .anyMatch(
                    line ->
                        line.startsWith("delivery to beta/web: read (PostToolUse hook at ")
                            && line.contains("session s-web")),
            String.join("\n", out));
      }
    } finally {
      if (b != null) {
        TestNodes.stop(b);
      }
      TestNodes.stop(a);
    }
  }

  @Test
  void aWaitThatIsNotMetAnswersTheStateReachedAndBadWaitsAreRefused() throws Exception {
    Files.writeString(homeA.resolve("policies.yml"), "defaults:\n  require_approval: never\n");
    Node a = TestNodes.start(homeA, "standalone", Map.of("INTERCOM_MACHINE_ID", "alpha"));
    try {
      ApiClient api = new ApiClient(a, homeA);
      assertEquals(200, api.register("s-api", "api", SELF).status());
      assertEquals(200, api.register("s-web", "web", SELF).status());
      long started = System.nanoTime();
      Answer sent =
          api.post(
              "/api/chat",
              Map.of(
                  "session_id",
                  "s-api",
                  "to",
                  "alpha/web",
                  "message",
                  "Nobody reads this yet.",
                  "wait_for",
                  "read",
                  "timeout",
                  1));
      assertEquals(200, sent.status(), sent.toString());
      assertEquals("in_inbox", sent.text("state"), sent.toString());
      assertTrue(
          System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(900), "it waited its time");
      assertEquals(
          "in_inbox", receipt(sent.json().path("receipts"), "alpha/web").path("state").asText());

      for (Map<String, Object> bad :
          List.<Map<String, Object>>of(
              Map.of("wait_for", "delivered"),
              Map.of("wait_for", "queued"),
              Map.of("wait_for", "read", "timeout", 0),
              Map.of("wait_for", "read", "timeout", 121))) {
        Map<String, Object> body = new java.util.HashMap<>(bad);
        body.putAll(Map.of("session_id", "s-api", "to", "alpha/web", "message", "x"));
        Answer refused = api.post("/api/chat", body);
        assertEquals(400, refused.status(), bad + " -> " + refused);
        assertTrue(
            refused.error().contains("wait_for must be") || refused.error().contains("timeout"),
            refused.toString());
      }
      assertEquals(1, api.inbox("s-web").size(), "refused calls stored nothing");
    } finally {
      TestNodes.stop(a);
    }
  }
}
