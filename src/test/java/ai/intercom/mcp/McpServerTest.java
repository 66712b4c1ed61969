package ai.intercom.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.daemon.Letter;
import ai.intercom.daemon.SessionDesk;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.testing.NodeProcess;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MCP server as an agent starts it: a child process speaking JSON-RPC on its stdin and stdout.
 */
class McpServerTest {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final String INITIALIZE =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
          + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"test\",\"version\":\"0\"}}}";
  private static final String INITIALIZED =
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";

  @TempDir Path home;

  private static String call(int id, String tool) {
    return call(id, tool, "{}");
  }

  private static String call(int id, String tool, String arguments) {
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"method\":\"tools/call\",\"params\":{\"name\":\""
        + tool
        + "\",\"arguments\":"
        + arguments
        + "}}";
  }

  static final List<String> TOOLS =
      List.of(
          "intercom_list_agents",
          "intercom_chat",
          "intercom_reply",
          "intercom_check_inbox",
          "intercom_wait_inbox",
          "intercom_send",
          "intercom_ask",
          "intercom_start_agent",
          "intercom_status",
          "intercom_history",
          "intercom_register",
          "intercom_report_feedback");

  private static JsonNode reply(NodeProcess mcp) throws Exception {
    String line = mcp.nextLine(30);
    assertNotNull(line, "no reply; stderr: " + mcp.stderr());
    return JsonFormat.MAPPER.readTree(line);
  }

  private List<SessionDesk.LocalSession> sessions(Node node) throws Exception {
    return AskPattern.<SessionDesk.Command, List<SessionDesk.LocalSession>>ask(
            node.sessionDesk().orElseThrow(),
            SessionDesk.ListSessions::new,
            WAIT,
            node.system().scheduler())
        .toCompletableFuture()
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void anAgentsMcpServerRegistersItsSessionAndReadsItsInbox() throws Exception {
    Node node = TestNodes.start(home, "standalone", Map.of());
    try {
      Map<String, String> env =
          Map.of(
              "INTERCOM_HOME",
              home.toString(),
              "INTERCOM_HTTP_PORT",
              String.valueOf(TestNodes.http(node).getPort()));
      try (NodeProcess mcp = NodeProcess.start(env, "mcp-server", "--project", "web")) {
        mcp.send(INITIALIZE);
        JsonNode init = reply(mcp);
        assertEquals("ai-intercom", init.at("/result/serverInfo/name").asText());
        mcp.send(INITIALIZED);
        mcp.send("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
        JsonNode tools = reply(mcp).at("/result/tools");
        List<String> names = new java.util.ArrayList<>();
        for (JsonNode tool : tools) {
          names.add(tool.get("name").asText());
          assertTrue(tool.get("description").asText().length() > 80, tool.toString());
          assertEquals("object", tool.at("/inputSchema/type").asText(), tool.toString());
        }
        assertEquals(new java.util.TreeSet<>(TOOLS), new java.util.TreeSet<>(names));

        long registering = System.nanoTime() + WAIT.toNanos();
        while (sessions(node).isEmpty()) {
          assertTrue(
              System.nanoTime() < registering, "the MCP server never registered its session");
          Thread.sleep(50);
        }
        List<SessionDesk.LocalSession> registered = sessions(node);
        assertEquals(1, registered.size());
        assertEquals("web", registered.get(0).project());
        assertEquals(
            ProcessHandle.current().pid(),
            registered.get(0).pid(),
            "the agent is the server's parent");

        Letter letter =
            new Letter(
                "t:1",
                "t-0a1b2c3d",
                "m-20261121-abc123",
                "alpha/api",
                "ping from alpha",
                Instant.now());
        AskPattern.<SessionDesk.Command, SessionDesk.Delivery>ask(
                node.sessionDesk().orElseThrow(),
                r -> new SessionDesk.DeliverToProject("web", letter, null, r),
                WAIT,
                node.system().scheduler())
            .toCompletableFuture()
            .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        mcp.send(call(3, "intercom_check_inbox"));
        JsonNode result = reply(mcp).get("result");
        assertFalse(result.get("isError").asBoolean());
        JsonNode inbox = JsonFormat.MAPPER.readTree(result.at("/content/0/text").asText());
        assertEquals(1, inbox.get("count").asInt());
        assertEquals("ping from alpha", inbox.at("/messages/0/message").asText());

        // waiting: nothing comes within the timeout; a message that comes during the wait ends it
        mcp.send(call(5, "intercom_wait_inbox", "{\"timeout\":1}"));
        JsonNode none = reply(mcp).get("result");
        assertEquals(
            "timeout",
            JsonFormat.MAPPER
                .readTree(none.at("/content/0/text").asText())
                .path("status")
                .asText());
        mcp.send(call(6, "intercom_wait_inbox", "{\"timeout\":30}"));
        Thread.sleep(300);
        AskPattern.<SessionDesk.Command, SessionDesk.Delivery>ask(
                node.sessionDesk().orElseThrow(),
                r ->
                    new SessionDesk.DeliverToProject(
                        "web",
                        new Letter(
                            "t:2",
                            "t-0a1b2c3d",
                            "m-20261121-abc123",
                            "alpha/api",
                            "while you waited",
                            Instant.now()),
                        null,
                        r),
                WAIT,
                node.system().scheduler())
            .toCompletableFuture()
            .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        JsonNode waited =
            JsonFormat.MAPPER.readTree(reply(mcp).at("/result/content/0/text").asText());
        assertEquals("message", waited.path("status").asText(), waited.toString());
        assertTrue(waited.path("text").asText().contains("while you waited"), waited.toString());

        // refusals are tool results with a sentence, not protocol errors
        mcp.send(call(10, "intercom_chat", "{\"to\":\"a/b/c\",\"message\":\"hi\"}"));
        JsonNode refused = reply(mcp).get("result");
        assertTrue(refused.get("isError").asBoolean());
        assertEquals(
            "agent id 'a/b/c' must be machine/project (exactly one '/')",
            refused.at("/content/0/text").asText());
        mcp.send(call(11, "intercom_reply", "{\"thread_id\":\"t-00000000\",\"message\":\"hi\"}"));
        assertTrue(
            reply(mcp).at("/result/content/0/text").asText().startsWith("no thread t-00000000"));
        mcp.send(call(12, "intercom_chat", "{\"to\":\"x/y\"}"));
        assertTrue(reply(mcp).at("/result/isError").asBoolean(), "a missing argument");

        // garbage and blank lines do not stop the server
        mcp.send("this is not json");
        mcp.send("");
        mcp.send("{\"foo\": 1}");
        mcp.send(call(4, "intercom_check_inbox"));
        JsonNode again = reply(mcp);
        assertEquals(4, again.get("id").asInt());
        assertEquals(
            0,
            JsonFormat.MAPPER
                .readTree(again.at("/result/content/0/text").asText())
                .get("count")
                .asInt());

        // the agent quits: the server ends and its session with it
        mcp.closeStdin();
        assertNotEquals(-1, mcp.awaitExit(10), "still running after stdin closed");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!sessions(node).isEmpty()) {
          assertTrue(System.nanoTime() < deadline, "the session outlived its MCP server");
          Thread.sleep(100);
        }
      }
    } finally {
      TestNodes.stop(node);
    }
  }

  @Test
  void withoutANodeEveryToolSaysHowToStartOneAndNothingHangs() throws Exception {
    Map<String, String> env =
        Map.of(
            "INTERCOM_HOME",
            home.toString(),
            "INTERCOM_HTTP_PORT",
            String.valueOf(TestNodes.freePort()));
    try (NodeProcess mcp = NodeProcess.start(env, "mcp-server", "--project", "web")) {
      mcp.send(INITIALIZE);
      reply(mcp);
      mcp.send(INITIALIZED);
      Map<String, String> arguments =
          Map.of(
              "intercom_chat",
              "{\"to\":\"a/b\",\"message\":\"hi\"}",
              "intercom_send",
              "{\"to\":\"a/b\",\"message\":\"hi\"}",
              "intercom_reply",
              "{\"thread_id\":\"t-00000000\",\"message\":\"hi\"}",
              "intercom_status",
              "{\"mission_id\":\"m-20261121-abcdef\"}",
              "intercom_history",
              "{\"mission_id\":\"m-20261121-abcdef\"}",
              "intercom_register",
              "{\"description\":\"x\"}",
              "intercom_report_feedback",
              "{\"feedback_type\":\"bug\",\"description\":\"x\"}");
      int id = 2;
      for (String tool :
          List.of(
              "intercom_check_inbox",
              "intercom_list_agents",
              "intercom_chat",
              "intercom_send",
              "intercom_reply",
              "intercom_status",
              "intercom_history",
              "intercom_register",
              "intercom_report_feedback")) {
        mcp.send(call(id++, tool, arguments.getOrDefault(tool, "{}")));
        JsonNode result = reply(mcp).get("result");
        assertTrue(result.get("isError").asBoolean(), tool);
        assertTrue(
            result.at("/content/0/text").asText().contains("ai-intercom standalone"),
            tool + ": " + result);
      }
    }
  }
}
