package ai.intercom.http;

import static ai.intercom.http.RouteTestKit.MACHINE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.http.RouteTestKit.Answer;
import ai.intercom.mission.ChatThread;
import ai.intercom.mission.Mission;
import ai.intercom.protocol.Ids;
import ai.intercom.testing.Await;
import ai.intercom.testing.TestIds;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The message routes as an agent's MCP server uses them ({@code /api/chat}, {@code /api/send},
 * {@code /api/reply}, {@code /api/permission}): what is delivered, what waits for the operator, and
 * what is refused with which code.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MessageRoutesTest {

  static final int MAX_BYTES = 1000;

  static final String MISSIONS = Mission.ENTITY_KEY.name() + "|";
  static final String THREADS = ChatThread.ENTITY_KEY.name() + "|";

  @TempDir static Path home;
  private RouteTestKit node;

  @BeforeAll
  void start() throws Exception {
    node = RouteTestKit.start(home, Map.of("intercom.messages.max-bytes", MAX_BYTES));
  }

  @AfterAll
  void stop() {
    node.close();
  }

  /** Registers a session {@code s-<project>} of {@code project} on this machine. */
  private void session(String project) {
    node.register("s-" + project, project);
  }

  private Answer chat(String sessionId, String to, String message) {
    return node.post("/api/chat", Map.of("session_id", sessionId, "to", to, "message", message));
  }

  @Test
  void aChatBetweenTwoSessionsOfThisMachineIsDelivered() {
    session("api");
    session("web");
    Answer sent = chat("s-api", MACHINE + "/web", "Is the schema migrated?");
    assertEquals(200, sent.status(), sent.toString());
    assertEquals("delivered", sent.text("status"), sent.toString());
    assertEquals("s-web", sent.text("session_id"));
    assertEquals(MACHINE + "/web", sent.text("to"));
    assertTrue(Ids.isThreadId(sent.text("thread_id")), sent.toString());
    assertTrue(Ids.isMissionId(sent.text("mission_id")), sent.toString());

    JsonNode received = node.inbox("s-web");
    assertEquals(1, received.size(), received.toString());
    assertEquals(MACHINE + "/api", received.get(0).path("from").asText());
    assertEquals("Is the schema migrated?", received.get(0).path("message").asText());
    assertEquals(0, node.inbox("s-api").size(), "the sender does not get its own message");

    Answer answered =
        node.post(
            "/api/reply",
            Map.of("session_id", "s-web", "thread_id", sent.text("thread_id"), "message", "Yes."));
    assertEquals("delivered", answered.text("status"), answered.toString());
    assertEquals("s-api", answered.text("session_id"));
    assertEquals("Yes.", node.inbox("s-api").get(0).path("message").asText());
  }

  @Test
  void aCallRetriedUnderTheSameMessageIdCountsOnce() {
    session("retrier");
    session("target");
    Map<String, Object> call =
        Map.of(
            "session_id",
            "s-retrier",
            "to",
            MACHINE + "/target",
            "message",
            "Only once, please.",
            "message_id",
            "9b2f-call-1");
    Answer first = node.post("/api/chat", call);
    Answer again = node.post("/api/chat", call);
    assertEquals("delivered", first.text("status"), first.toString());
    assertEquals("delivered", again.text("status"), again.toString());
    assertEquals(first.text("thread_id"), again.text("thread_id"));
    assertEquals(first.text("mission_id"), again.text("mission_id"));
    assertEquals(1, node.inbox("s-target").size(), "one letter for two calls");

    Map<String, Object> answer =
        Map.of(
            "session_id",
            "s-target",
            "thread_id",
            first.text("thread_id"),
            "message",
            "Once it is.",
            "message_id",
            "4c1d-call-7");
    assertEquals("delivered", node.post("/api/reply", answer).text("status"));
    assertEquals("delivered", node.post("/api/reply", answer).text("status"));
    assertEquals(1, node.inbox("s-retrier").size(), "one answer for two calls");
    assertEquals(
        2,
        node.get("/api/missions/" + first.text("mission_id") + "/history")
            .json()
            .path("total")
            .asInt());

    // the same id for another text is another message of another call: not a retry of this one
    Answer other =
        node.post(
            "/api/chat",
            Map.of(
                "session_id",
                "s-target",
                "to",
                MACHINE + "/retrier",
                "message",
                "Mine.",
                "message_id",
                "9b2f-call-1"));
    assertNotEquals(first.text("thread_id"), other.text("thread_id"), "ids are per sender");

    Answer held =
        node.post(
            "/api/chat",
            Map.of(
                "session_id",
                "s-retrier",
                "to",
                MACHINE + "/target",
                "message",
                "Shall I deploy?",
                "message_id",
                "held-1"));
    Answer heldAgain =
        node.post(
            "/api/chat",
            Map.of(
                "session_id",
                "s-retrier",
                "to",
                MACHINE + "/target",
                "message",
                "Shall I deploy?",
                "message_id",
                "held-1"));
    assertEquals("pending_approval", held.text("status"), held.toString());
    assertEquals(held.text("approval_id"), heldAgain.text("approval_id"), "asked once");

    node.post(
            "/api/chat",
            Map.of(
                "session_id",
                "s-retrier",
                "to",
                MACHINE + "/target",
                "message",
                "x",
                "message_id",
                "no spaces allowed"))
        .error(400, "invalid");
  }

  @Test
  void aChatThePolicyHoldsWaitsForTheOperator() {
    session("ops");
    session("infra");
    Answer sent = chat("s-ops", MACHINE + "/infra", "Shall I deploy v12?");
    assertEquals(200, sent.status(), sent.toString());
    assertEquals("pending_approval", sent.text("status"), sent.toString());
    assertNotNull(sent.text("approval_id"), sent.toString());
    assertEquals(
        "pending_approval", node.get("/api/missions/" + sent.text("mission_id")).text("status"));
    Answer pending = node.get("/api/approvals");
    assertTrue(pending.body().contains(sent.text("approval_id")), pending.toString());
    // the gate answered before anything went out: nothing can be on its way to the inbox
    assertEquals(0, node.inbox("s-infra").size(), "nothing is delivered before the decision");
    assertEquals("pending_approval", sent.text("state"), sent.toString());
    assertEquals("pending_approval", firstReceipt(sent.text("mission_id")).path("state").asText());
  }

  /** How far a mission's message got to its (only) recipient, as intercom_status shows it. */
  private JsonNode firstReceipt(String missionId) {
    return node.get("/api/missions/" + missionId).json().path("receipts").path(0);
  }

  @Test
  void aChatToAProjectWithoutSessionIsQueued() throws Exception {
    session("writer");
    // a project becomes known through its first session, and stays known when it ends
    session("docs");
    assertEquals(200, node.delete("/api/sessions/s-docs").status());
    Answer sent = chat("s-writer", MACHINE + "/docs", "Please document v12.");
    assertEquals("queued", sent.text("status"), sent.toString());
    assertNull(sent.text("session_id"), sent.toString());
    Await.until(
        () -> firstReceipt(sent.text("mission_id")).path("state").asText().equals("queued"));

    node.register("s-docs-next", "docs");
    Await.until(() -> node.inbox("s-docs-next").toString().contains("Please document v12."));
    Await.until(() -> firstReceipt(sent.text("mission_id")).path("state").asText().equals("read"));
    assertEquals("s-docs-next", firstReceipt(sent.text("mission_id")).path("session").asText());
  }

  @Test
  void aChatToAnUnknownAgentIsRefused() {
    session("asker");
    String unknownProject =
        chat("s-asker", MACHINE + "/nobody", "Anyone there?").error(404, "not_found");
    assertTrue(unknownProject.contains("nobody"), unknownProject);
    String notAnAgent = chat("s-asker", "just-a-name", "Anyone there?").error(400, "invalid");
    assertTrue(notAnAgent.contains("just-a-name"), notAnAgent);
    String toItself = chat("s-asker", MACHINE + "/asker", "Hello me.").error(400, "invalid");
    assertTrue(toItself.contains("another agent"), toItself);
  }

  @Test
  void aChatToAMachineNeverSeenIsRefused() {
    // a machine that is away but known keeps its letters on the hub (see OfflineDeliveryTest)
    session("traveller");
    String sentence = chat("s-traveller", "elsewhere/web", "Are you up?").error(404, "not_found");
    assertTrue(sentence.contains("elsewhere"), sentence);
  }

  @Test
  void aChatFromASessionThisMachineDoesNotKnowIsRefused() {
    session("haunted");
    chat("s-ghost", MACHINE + "/haunted", "Boo.").error(404, "no_session");
    node.post("/api/chat", Map.of("to", MACHINE + "/haunted", "message", "Who am I?"))
        .error(400, "invalid");
    node.post("/api/chat", Map.of("session_id", "s-haunted", "message", "To whom?"))
        .error(400, "invalid");
    node.post("/api/chat", "not json").error(400, "invalid");
  }

  @Test
  void aReplyToAThreadThatDoesNotExistIsRefused() {
    session("replier");
    String unknown =
        node.post(
                "/api/reply",
                Map.of("session_id", "s-replier", "thread_id", "t-00000000", "message", "Hm?"))
            .error(404, "not_found");
    assertTrue(unknown.contains("t-00000000"), unknown);
    node.post(
            "/api/reply",
            Map.of("session_id", "s-replier", "thread_id", "not-a-thread", "message", "Hm?"))
        .error(400, "invalid");
  }

  @Test
  void aReplyFromOutsideTheThreadIsRefused() {
    session("outsider");
    session("alice");
    session("bob");
    Answer sent = chat("s-alice", MACHINE + "/bob", "Private question.");
    assertEquals("delivered", sent.text("status"), sent.toString());
    Answer intruding =
        node.post(
            "/api/reply",
            Map.of(
                "session_id",
                "s-outsider",
                "thread_id",
                sent.text("thread_id"),
                "message",
                "Me too!"));
    String sentence = intruding.error(400, "forbidden");
    assertTrue(sentence.contains("not part of thread"), sentence);
    assertEquals(1, node.inbox("s-bob").size(), "only the question reached bob");
    assertEquals(0, node.inbox("s-alice").size(), "the intruder's message reaches nobody");
  }

  @Test
  void aMessageOverTheLimitIsRefusedAndStoresNothing() throws Exception {
    session("verbose");
    session("reader");
    long missions = node.journalRows(MISSIONS);
    long threads = node.journalRows(THREADS);

    String sentence =
        chat("s-verbose", MACHINE + "/reader", "x".repeat(MAX_BYTES + 1)).error(400, "invalid");
    assertTrue(sentence.contains("limit is " + MAX_BYTES), sentence);
    // bytes, not characters: 500 two-byte letters are 1000 bytes, one more is over
    chat("s-verbose", MACHINE + "/reader", "é".repeat(MAX_BYTES / 2) + "!").error(400, "invalid");
    node.post(
            "/api/send",
            Map.of(
                "session_id", "s-verbose", "to", MACHINE + "/reader", "message", "y".repeat(5000)))
        .error(400, "invalid");

    assertEquals(missions, node.journalRows(MISSIONS), "no mission is stored");
    assertEquals(threads, node.journalRows(THREADS), "no thread is stored");
    assertEquals(0, node.inbox("s-reader").size(), "nothing reaches the recipient");

    Answer atTheLimit = chat("s-verbose", MACHINE + "/reader", "z".repeat(MAX_BYTES));
    assertEquals("delivered", atTheLimit.text("status"), "the limit itself passes: " + atTheLimit);
    assertEquals(MAX_BYTES, node.inbox("s-reader").get(0).path("message").asText().length());
    assertTrue(node.journalRows(MISSIONS) > missions, "the counts above count what a chat stores");
    assertTrue(node.journalRows(THREADS) > threads);
  }

  @Test
  void aNoticeIsDeliveredAndItsMissionCompletes() throws Exception {
    session("notifier");
    session("listener");
    Answer sent =
        node.post(
            "/api/send",
            Map.of(
                "session_id",
                "s-notifier",
                "to",
                MACHINE + "/listener",
                "message",
                "Port is 8081."));
    assertEquals("delivered", sent.text("status"), sent.toString());
    assertEquals("Port is 8081.", node.inbox("s-listener").get(0).path("message").asText());
    String mission = "/api/missions/" + sent.text("mission_id");
    Await.until(() -> "completed".equals(node.get(mission).text("status")));
  }

  @Test
  void aPermissionPromptForAnotherAgentsMissionIsForbidden() {
    session("owner");
    session("worker");
    session("bystander");
    Answer sent = chat("s-owner", MACHINE + "/worker", "Run the tests.");
    assertEquals("delivered", sent.text("status"), sent.toString());
    Map<String, Object> prompt =
        Map.of(
            "session_id",
            "s-bystander",
            "mission_id",
            sent.text("mission_id"),
            "tool_name",
            "Bash",
            "input",
            Map.of("command", "rm -rf /"));
    String sentence = node.post("/api/permission", prompt).error(400, "forbidden");
    assertTrue(sentence.contains(MACHINE + "/bystander"), sentence);

    Map<String, Object> unknown = new HashMap<>(prompt);
    unknown.put("mission_id", TestIds.missionId());
    node.post("/api/permission", unknown).error(404, "not_found");
  }
}
