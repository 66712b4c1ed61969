package ai.intercom.mission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.protocol.Ids;
import ai.intercom.testing.AgentProcess;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.ApiClient.Answer;
import ai.intercom.testing.Await;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chat between agent sessions through one real standalone node and its HTTP API: threads, replies,
 * queues, the approval gate, bad input.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChatTest {

  static final String MACHINE = "test-standalone";

  /** The agents' process: not this one, which is the operator. */
  static final long AGENT = AgentProcess.pid();

  @TempDir static Path home;
  private Node node;
  private ApiClient api;

  @BeforeAll
  void start() throws Exception {
    Path scan = Files.createDirectories(home.resolve("projects"));
    Files.createDirectories(scan.resolve("docs/.git"));
    Files.writeString(
        home.resolve("policies.yml"),
        """
        defaults:
          require_approval: never
        rules:
          - from: "*"
            to: "*"
            message_pattern: "deploy"
            approval: once
        """);
    node =
        TestNodes.start(
            home,
            "standalone",
            Map.of("INTERCOM_SCAN_PATHS", scan.toString()),
            Map.of("intercom.messages.max-bytes", 1000));
    api = new ApiClient(node, home);
    assertEquals(200, api.register("s-api", "api", AGENT).status());
    assertEquals(200, api.register("s-web", "web", AGENT).status());
    Await.until(() -> api.get("/api/agents").json().toString().contains(MACHINE + "/docs"));
  }

  @AfterAll
  void stop() {
    TestNodes.stop(node);
  }

  private long journalRows() throws Exception {
    try (var connection =
            DriverManager.getConnection("jdbc:sqlite:" + home.resolve("data/intercom.db"));
        var rows =
            connection.createStatement().executeQuery("select count(*) from event_journal")) {
      return rows.getLong(1);
    }
  }

  @Test
  void aChatReachesTheOtherSessionOnceAndTheReplyComesBack() throws Exception {
    Answer sent = api.chat("s-api", MACHINE + "/web", "Is the schema migrated?");
    assertEquals(200, sent.status(), sent.toString());
    assertEquals("delivered", sent.text("status"));
    assertEquals("s-web", sent.text("session_id"));
    String thread = sent.text("thread_id");
    String mission = sent.text("mission_id");

    JsonNode received = api.inbox("s-web");
    assertEquals(1, received.size());
    assertEquals(MACHINE + "/api", received.get(0).path("from").asText());
    assertEquals(thread, received.get(0).path("thread_id").asText());
    assertEquals("Is the schema migrated?", received.get(0).path("message").asText());
    assertEquals(0, api.inbox("s-web").size(), "a message is shown once");
    assertEquals(0, api.inbox("s-api").size(), "the sender does not see its own message");

    Answer answered = api.reply("s-web", thread, "Yes, since v12.");
    assertEquals("delivered", answered.text("status"), answered.toString());
    assertEquals("s-api", answered.text("session_id"));
    JsonNode back = api.inbox("s-api");
    assertEquals("Yes, since v12.", back.get(0).path("message").asText());
    assertEquals(MACHINE + "/web", back.get(0).path("from").asText());

    Answer status = api.get("/api/missions/" + mission);
    assertEquals("running", status.text("status"), status.toString());
    assertEquals("chat", status.text("kind"));
    assertEquals(thread, status.text("thread_id"));
    Answer history = api.get("/api/missions/" + mission + "/history?limit=1");
    assertEquals(2, history.json().path("total").asInt());
    assertEquals("Yes, since v12.", history.json().path("messages").get(0).path("text").asText());
  }

  @Test
  void missionIdsDrawnConcurrentlyAreAllDifferent() throws Exception {
    MissionIds.Supply supply = new MissionIds.Supply(node.system(), Duration.ofSeconds(10));
    java.util.List<java.util.concurrent.CompletableFuture<String>> ids =
        new java.util.ArrayList<>();
    for (int i = 0; i < 700; i++) {
      ids.add(supply.next().toCompletableFuture());
    }
    java.util.Set<String> distinct = new java.util.HashSet<>();
    for (var id : ids) {
      String missionId = id.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertTrue(Ids.isMissionId(missionId), missionId);
      distinct.add(missionId);
    }
    assertEquals(700, distinct.size());
  }

  @Test
  void aLaunchedAgentsSessionTakesNoChatsForItsProject() throws Exception {
    Answer launched =
        api.post(
            "/api/sessions",
            Map.of(
                "session_id",
                "s-launched",
                "project",
                "tools",
                "pid",
                AGENT,
                "ancestors",
                java.util.List.of(AGENT),
                "mission_id",
                "m-20261121-0000aa"));
    assertEquals(200, launched.status(), launched.toString());
    Answer sent = api.chat("s-api", MACHINE + "/tools", "Who maintains the tools?");
    assertEquals("queued", sent.text("status"), sent.toString());
    assertEquals(0, api.inbox("s-launched").size());
    assertTrue(
        api.get("/api/agents").json().toString().contains("\"mission_id\":\"m-20261121-0000aa\""));
    Answer bad =
        api.post(
            "/api/sessions",
            Map.of(
                "session_id", "s-bad", "project", "tools", "pid", AGENT, "mission_id", "../etc"));
    assertEquals(400, bad.status(), bad.toString());
    api.call("DELETE", "/api/sessions/s-launched", null);
  }

  @Test
  void aChatToAProjectWithoutSessionIsQueuedUntilOneStarts() throws Exception {
    Answer sent = api.chat("s-api", MACHINE + "/docs", "Please document the v12 schema.");
    assertEquals("queued", sent.text("status"), sent.toString());

    assertEquals(200, api.register("s-docs", "docs", AGENT).status());
    Await.until(() -> api.inbox("s-docs").toString().contains("document the v12 schema"));
  }

  @Test
  void aNoticeIsDeliveredAndItsMissionCompletes() throws Exception {
    Answer sent =
        api.post(
            "/api/send",
            Map.of(
                "session_id",
                "s-web",
                "to",
                MACHINE + "/api",
                "message",
                "The API moved to port 8081."));
    assertEquals("delivered", sent.text("status"), sent.toString());
    assertTrue(api.inbox("s-api").toString().contains("port 8081"));
    String mission = sent.text("mission_id");
    Await.until(() -> api.get("/api/missions/" + mission).text("status").equals("completed"));
    assertTrue(
        api.get("/api/missions/" + mission)
            .text("result")
            .contains("delivered to " + MACHINE + "/api"));
  }

  @Test
  void aHeldMessageWaitsForTheOperatorAndIsDeliveredWhenApproved() throws Exception {
    Answer sent = api.chat("s-api", MACHINE + "/web", "Shall I deploy v12 now?");
    assertEquals("pending_approval", sent.text("status"), sent.toString());
    String approval = sent.text("approval_id");
    assertEquals(
        "pending_approval", api.get("/api/missions/" + sent.text("mission_id")).text("status"));
    Thread.sleep(200);
    assertEquals(0, api.inbox("s-web").size(), "nothing is delivered before the decision");

    assertEquals(200, api.post("/api/approvals/" + approval + "/approve", "").status());
    Await.until(() -> api.inbox("s-web").toString().contains("deploy v12"));
    Await.until(
        () -> api.get("/api/missions/" + sent.text("mission_id")).text("status").equals("running"));
  }

  @Test
  void aDeniedReplyNeverArrivesAndItsSenderIsTold() throws Exception {
    Answer opened = api.chat("s-web", MACHINE + "/api", "Which port does the API use?");
    String thread = opened.text("thread_id");
    api.inbox("s-api");
    Answer held = api.reply("s-api", thread, "8081, and I will deploy it tonight");
    assertEquals("pending_approval", held.text("status"), held.toString());

    Answer denied =
        api.post(
            "/api/approvals/" + held.text("approval_id") + "/deny",
            Map.of("reason", "not tonight"));
    assertEquals(200, denied.status(), denied.toString());
    StringBuilder seen = new StringBuilder();
    Await.until(
        () -> seen.append(api.inbox("s-api")).toString().contains("was not delivered: denied by"));
    assertTrue(seen.toString().contains("not tonight"), seen.toString());
    assertEquals(0, api.inbox("s-web").size());
    Answer history = api.get("/api/missions/" + opened.text("mission_id") + "/history");
    String note = history.json().path("messages").get(1).path("note").asText();
    assertTrue(note.startsWith("not delivered: denied by") && note.endsWith("not tonight"), note);
  }

  @Test
  void badMessagesAreRefusedWithASentenceAndNothingIsStored() throws Exception {
    Answer hello = api.chat("s-api", MACHINE + "/web", "hello");
    String thread = hello.text("thread_id");
    api.inbox("s-web");
    // its receipts are written after the answer: counted once they are all in
    Await.until(
        () ->
            api.mission(hello.text("mission_id"))
                .path("receipts")
                .path(0)
                .path("state")
                .asText()
                .equals("read"));
    long before = journalRows();
    Map<String, Integer> refusals =
        Map.of(
            "a/b/c",
            400,
            "",
            400,
            "has space/web",
            400,
            // a machine never seen: not found (one that is away keeps its letters)
            "nowhere/web",
            404,
            // the agent does not exist: not found, like an unknown thread or mission
            MACHINE + "/nothing",
            404,
            MACHINE + "/api",
            400,
            "human",
            400);
    refusals.forEach(
        (to, code) -> {
          Answer answer = api.chat("s-api", to, "hi");
          assertEquals(code, answer.status(), to + " -> " + answer);
          assertTrue(
              !answer.error().isBlank() && !answer.error().contains("Exception"),
              answer.toString());
        });
    Answer tooLong = api.chat("s-api", MACHINE + "/web", "x".repeat(1001));
    assertEquals(
        "the message has 1001 bytes; the limit is 1000 (intercom.messages.max-bytes): send a summary,"
            + " or a path to a file",
        tooLong.error());
    assertEquals(400, api.chat("s-api", MACHINE + "/web", "  ").status());
    assertEquals(404, api.reply("s-api", "t-00000000", "hi").status());
    assertEquals(400, api.reply("s-api", "../etc", "hi").status());
    Answer stranger = api.reply("s-docs-none", thread, "hi");
    assertEquals(404, stranger.status(), "an unknown session");
    assertEquals(200, api.register("s-ops", "ops", AGENT).status());
    Answer outsider = api.reply("s-ops", thread, "let me in");
    assertEquals(400, outsider.status());
    assertEquals(
        "you ("
            + MACHINE
            + "/ops) are not part of thread "
            + thread
            + "; start your own with intercom_chat",
        outsider.error());
    assertEquals(400, api.post("/api/chat", "{\"session_id\":\"s-api\",").status());
    assertEquals(
        400,
        api.post("/api/chat", "{\"session_id\":\"s-api\",\"to\":\"x/y\",\"text\":\"z\"}").status());

    // the one registration above is the only write: the Session entity of s-ops, and ops on the
    // machine
    Await.until(
        () -> {
          try {
            return journalRows() == before + 2;
          } catch (Exception e) {
            return false;
          }
        });
    Thread.sleep(300);
    assertEquals(before + 2, journalRows());
    assertEquals(0, api.inbox("s-web").size());
  }
}
