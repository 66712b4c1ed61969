package ai.intercom.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.ApiClient.Answer;
import ai.intercom.testing.Await;
import ai.intercom.testing.Joins;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chat between two machines: a session on node A writes to a session on node B (two real actor
 * systems on loopback), B's hook script shows the message, and B's answer comes back into A's
 * inbox.
 */
class CrossNodeChatTest {

  static final long SELF = ProcessHandle.current().pid();

  @TempDir Path homeA;
  @TempDir Path homeB;

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

  @Test
  void aChatFromOneMachineReachesASessionOnAnotherAndTheReplyComesBack() throws Exception {
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
      // B's session desk becomes known to A through the cluster's receptionist
      Await.until(
          () -> apiA.get("/api/agents?filter=machine:beta").json().toString().contains("s-web"));

      Answer sent = apiA.chat("s-api", "beta/web", "Does the web build use the new API?");
      assertEquals("delivered", sent.text("status"), sent.toString());
      assertEquals("s-web", sent.text("session_id"));

      String injected = hook(homeB, apiB.port());
      JsonNode output =
          ai.intercom.protocol.JsonFormat.MAPPER.readTree(injected).path("hookSpecificOutput");
      assertEquals("PostToolUse", output.path("hookEventName").asText());
      String context = output.path("additionalContext").asText();
      assertTrue(
          context.contains("From alpha/api")
              && context.contains(sent.text("thread_id"))
              && context.contains("Does the web build use the new API?"),
          context);
      assertEquals("", hook(homeB, apiB.port()), "a message is injected once");

      Answer answered = apiB.reply("s-web", sent.text("thread_id"), "Yes, since this morning.");
      assertEquals("delivered", answered.text("status"), answered.toString());
      JsonNode back = apiA.inbox("s-api");
      assertEquals("Yes, since this morning.", back.get(0).path("message").asText());
      assertEquals("beta/web", back.get(0).path("from").asText());
      assertEquals(
          2,
          apiB.get("/api/missions/" + sent.text("mission_id") + "/history")
              .json()
              .path("total")
              .asInt());
    } finally {
      if (b != null) {
        TestNodes.stop(b);
      }
      TestNodes.stop(a);
    }
  }
}
