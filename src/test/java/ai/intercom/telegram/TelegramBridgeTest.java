package ai.intercom.telegram;

import static ai.intercom.testing.TelegramNodes.ALICE;
import static ai.intercom.testing.TelegramNodes.GROUP;
import static ai.intercom.testing.TelegramNodes.TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.testing.AgentProcess;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.BotApi;
import ai.intercom.testing.Joins;
import ai.intercom.testing.TelegramNodes;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's Telegram end to end: a standalone node with a bot, the real TelegramBots client
 * talking to {@link BotApi} (a Bot API stand-in on a real socket) as it would to Telegram. A held
 * chat opens its mission's topic with a card; the operator's press decides through the gate, the
 * card then says who decided, whichever surface did; strangers and late presses change nothing.
 */
class TelegramBridgeTest {

  static final long MALLORY = 6666;
  static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path home;
  private BotApi telegram;
  private Node node;
  private ApiClient api;

  @BeforeEach
  void start() throws Exception {
    telegram = BotApi.start(TOKEN, GROUP);
    Files.writeString(
        home.resolve("policies.yml"), "defaults:\n  require_approval: once\nrules: []\n");
    node = startNode();
    api = new ApiClient(node, home);
    assertEquals(200, api.register("s-desk", "desk", AgentProcess.pid()).status());
  }

  private Node startNode() {
    return startNode(Map.of());
  }

  private Node startNode(Map<String, Object> overrides) {
    try {
      return TelegramNodes.start(home, telegram, overrides);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @AfterEach
  void stop() {
    TestNodes.stop(node);
    telegram.close();
  }

  @Test
  void aHeldChatGetsItsTopicAndACardThatThePressDecidesAndTheCardThenSaysSo() throws Exception {
    JsonNode sent = api.chat("s-desk", "test-standalone/web", "PING: deploy the shop?").json();
    assertEquals("pending_approval", sent.path("status").asText(), sent.toString());
    String missionId = sent.path("mission_id").asText();
    String approvalId = sent.path("approval_id").asText();

    BotApi.Topic topic = awaitTopic();
    assertTrue(topic.name().contains("web"), topic.name());
    BotApi.ChatMessage card = awaitCard(topic.threadId());
    List<BotApi.ChatMessage> inTopic = telegram.messagesInTopic(topic.threadId());
    assertTrue(inTopic.get(0).text().contains(missionId), inTopic.get(0).text());
    assertTrue(inTopic.get(0).text().contains("PING: deploy the shop?"), inTopic.get(0).text());
    assertEquals(
        List.of(
            "a:" + approvalId + ":once",
            "a:" + approvalId + ":mission",
            "a:" + approvalId + ":session",
            "a:" + approvalId + ":always",
            "d:" + approvalId),
        card.callbackData());

    // a stranger's press changes nothing and gets no answer; of Alice's two quick presses (the
    // second before the card lost its buttons) the first decides, the second is told it is late
    String strangers =
        telegram.userPresses(MALLORY, "Mallory", card.messageId(), "d:" + approvalId);
    String alices =
        telegram.userPresses(ALICE, "Alice", card.messageId(), "a:" + approvalId + ":once");
    String late = telegram.userPresses(ALICE, "Alice", card.messageId(), "d:" + approvalId);
    telegram.await(
        "Alice's presses answered",
        () ->
            telegram.callbackAnswer(alices).isPresent()
                && telegram.callbackAnswer(late).isPresent(),
        WAIT);
    assertEquals(Optional.empty(), telegram.callbackAnswer(strangers));
    assertTrue(
        telegram.callbackAnswer(alices).orElseThrow().text().contains("pproved by Alice"),
        telegram.callbackAnswer(alices).toString());
    assertTrue(
        telegram.callbackAnswer(late).orElseThrow().text().contains("too late"),
        telegram.callbackAnswer(late).toString());

    // the card now says who decided, and has no buttons
    telegram.await(
        "the card edited",
        () -> decided(topic.threadId(), card.messageId()).map(m -> !m.hasKeyboard()).orElse(false),
        WAIT);
    String edited = decided(topic.threadId(), card.messageId()).orElseThrow().text();
    assertTrue(edited.contains("approved by Alice"), edited);
    assertEquals(0, api.get("/api/approvals").json().path("approvals").size());

    assertTrue(
        api.mission(missionId).path("status").asText().matches("running|completed|delivered"),
        api.mission(missionId).toString());
  }

  @Test
  void aDecisionInTheCliEditsTheCardTooAndARestartOpensNoSecondTopic() throws Exception {
    JsonNode sent = api.chat("s-desk", "test-standalone/web", "second: may I?").json();
    String approvalId = sent.path("approval_id").asText();
    BotApi.Topic topic = awaitTopic();
    BotApi.ChatMessage card = awaitCard(topic.threadId());

    ApiClient.Answer denied =
        api.post("/api/approvals/" + approvalId + "/deny", Map.of("by", "cli", "reason", "no"));
    assertEquals(200, denied.status(), denied.toString());
    telegram.await(
        "the card edited",
        () -> decided(topic.threadId(), card.messageId()).map(m -> !m.hasKeyboard()).orElse(false),
        WAIT);
    String edited = decided(topic.threadId(), card.messageId()).orElseThrow().text();
    assertTrue(edited.contains("denied by cli"), edited);
    assertFalse(edited.contains("approved"), edited);

    telegram.await(
        "the denial in the topic",
        () ->
            telegram.messagesInTopic(topic.threadId()).stream()
                .anyMatch(m -> m.text().startsWith("🚫 denied")),
        WAIT);

    // after a restart the view goes on where it was: nothing twice, no second topic
    List<String> before = texts(topic.threadId());
    TestNodes.stop(node);
    node = startNode();
    api = new ApiClient(node, home);
    assertEquals(200, api.register("s-desk", "desk", AgentProcess.pid()).status());
    // a new mission's topic: the view has caught up with everything before it
    api.chat("s-desk", "test-standalone/web", "third: after the restart");
    telegram.await("the new mission's topic", () -> telegram.topics().size() == 2, WAIT);
    awaitCard(telegram.topics().get(1).threadId());
    assertEquals(before, texts(topic.threadId()));
  }

  private List<String> texts(int threadId) {
    return telegram.messagesInTopic(threadId).stream().map(BotApi.ChatMessage::text).toList();
  }

  @Test
  void anExpiredCardSaysSoAndLosesItsButtons() throws Exception {
    TestNodes.stop(node);
    node = startNode(Map.of("intercom.approval.timeout", "2s"));
    api = new ApiClient(node, home);
    assertEquals(200, api.register("s-desk", "desk", AgentProcess.pid()).status());
    JsonNode sent = api.chat("s-desk", "test-standalone/web", "will expire").json();
    assertEquals("pending_approval", sent.path("status").asText(), sent.toString());
    BotApi.Topic topic = awaitTopic();
    BotApi.ChatMessage card = awaitCard(topic.threadId());
    telegram.await(
        "the card expired",
        () -> decided(topic.threadId(), card.messageId()).map(m -> !m.hasKeyboard()).orElse(false),
        WAIT);
    String edited = decided(topic.threadId(), card.messageId()).orElseThrow().text();
    assertTrue(edited.contains("expired"), edited);
    assertFalse(edited.contains("approved"), edited);
  }

  @Test
  void commandsAnswerWhereTheyWereSentAndOnlyToTheOwner() throws Exception {
    telegram.await("the command menu", () -> !telegram.commands().isEmpty(), WAIT);
    assertTrue(
        telegram.commands().stream().anyMatch(c -> c.command().equals("start_agent")),
        telegram.commands().toString());
    telegram.userSends(MALLORY, "Mallory", GROUP, null, "/help");
    telegram.userSends(ALICE, "Alice", GROUP, null, "/help");
    telegram.await(
        "the help",
        () ->
            telegram.messages(GROUP, null).stream()
                .anyMatch(m -> m.fromBot() && m.text().contains("/start_agent")),
        WAIT);
    telegram.userSends(ALICE, "Alice", GROUP, null, "/status");
    telegram.await(
        "a usage line",
        () ->
            telegram.messages(GROUP, null).stream()
                .anyMatch(m -> m.fromBot() && m.text().startsWith("Usage: /status")),
        WAIT);
    long fromBot =
        telegram.messages(GROUP, null).stream().filter(BotApi.ChatMessage::fromBot).count();
    assertEquals(2, fromBot, "Mallory's /help got no answer: " + telegram.messages(GROUP, null));
  }

  @Test
  void feedbackIsPostedInGeneralAndARepeatIsFoldedIntoIt() throws Exception {
    Map<String, Object> report =
        Map.of(
            "session_id", "s-desk",
            "feedback_type", "bug",
            "description", "intercom_status <times out>",
            "context", "after a restart");
    assertEquals(200, api.post("/api/feedback", report).status());
    telegram.await(
        "the feedback in General",
        () -> general().stream().anyMatch(m -> m.text().contains("intercom_status <times out>")),
        WAIT);
    assertEquals(200, api.post("/api/feedback", report).status());
    telegram.await(
        "the repeat folded",
        () -> general().stream().anyMatch(m -> m.text().contains("(2 times)")),
        WAIT);
    assertEquals(
        1,
        general().stream().filter(m -> m.text().contains("times out")).count(),
        general().toString());
  }

  @Test
  void aMachineComingAndGoingIsToldInGeneralAndItsChangesFolded(@TempDir Path laptopHome)
      throws Exception {
    // the bridge's first look says who is online (or, if the node's own machine was not known
    // yet, its coming online does)
    telegram.await(
        "who is online",
        () ->
            general().stream()
                .anyMatch(
                    m ->
                        m.text().startsWith("🟢 online: test-standalone")
                            || m.text().equals("🟢 test-standalone is online")),
        WAIT);
    int clusterPort =
        (Integer)
            org.apache.pekko.cluster.Cluster.get(node.system()).selfMember().address().port().get();
    Joins.admit(api.port(), home, laptopHome, "laptop");
    Node laptop =
        TestNodes.start(
            laptopHome,
            "daemon",
            Map.of("INTERCOM_MACHINE_ID", "laptop", "HUB_URL", "http://127.0.0.1:" + api.port()),
            Map.of("intercom.hub.cluster-port", clusterPort));
    try {
      telegram.await(
          "laptop online",
          () -> general().stream().anyMatch(m -> m.text().equals("🟢 laptop is online")),
          WAIT);
    } finally {
      TestNodes.stop(laptop);
    }
    telegram.await(
        "laptop offline, folded into the same message",
        () ->
            general().stream()
                .anyMatch(m -> m.text().startsWith("🔴 laptop: online → offline, 2 changes")),
        WAIT);
    // one presence message for the laptop, besides the card of its join
    assertEquals(
        1,
        general().stream()
            .filter(m -> m.text().contains("laptop") && !m.text().contains("asks to join"))
            .count(),
        general().toString());
  }

  @Test
  void aMachineAskingToJoinGetsACardInGeneralThatOnlyTheOwnerDecides(@TempDir Path gammaHome)
      throws Exception {
    ai.intercom.client.JoinClient gamma = Joins.client(api.port(), gammaHome, "gamma");
    assertEquals("pending", gamma.join(java.time.Duration.ZERO, line -> {}).status());
    telegram.await(
        "the join card",
        () ->
            general().stream().anyMatch(m -> m.text().contains("Machine gamma") && m.hasKeyboard()),
        WAIT);
    BotApi.ChatMessage card =
        general().stream()
            .filter(m -> m.text().contains("Machine gamma"))
            .findFirst()
            .orElseThrow();
    assertTrue(card.text().contains("asks to join the network"), card.text());
    assertEquals(List.of("j:gamma:approve", "j:gamma:deny"), card.callbackData());

    String strangers =
        telegram.userPresses(MALLORY, "Mallory", card.messageId(), "j:gamma:approve");
    String alices = telegram.userPresses(ALICE, "Alice", card.messageId(), "j:gamma:approve");
    telegram.await(
        "Alice's press answered", () -> telegram.callbackAnswer(alices).isPresent(), WAIT);
    assertEquals(Optional.empty(), telegram.callbackAnswer(strangers));
    assertEquals("Machine gamma admitted.", telegram.callbackAnswer(alices).orElseThrow().text());
    assertEquals("approved", gamma.join(java.time.Duration.ofSeconds(10), line -> {}).status());
    telegram.await(
        "told in General",
        () ->
            general().stream().anyMatch(m -> m.text().equals("✅ machine gamma admitted by Alice")),
        WAIT);
    telegram.await(
        "the card says who decided, without its buttons",
        () ->
            telegram
                .message(GROUP, card.messageId())
                .map(
                    m ->
                        !m.hasKeyboard()
                            && m.text().equals("🖥 Machine gamma asked to join: admitted by Alice"))
                .orElse(false),
        WAIT);
  }

  private List<BotApi.ChatMessage> general() {
    return telegram.messages(GROUP, null).stream().filter(BotApi.ChatMessage::fromBot).toList();
  }

  private BotApi.Topic awaitTopic() throws Exception {
    telegram.await("a topic", () -> !telegram.topics().isEmpty(), WAIT);
    return telegram.topics().get(0);
  }

  private BotApi.ChatMessage awaitCard(int threadId) throws Exception {
    telegram.await(
        "a card",
        () -> telegram.messagesInTopic(threadId).stream().anyMatch(BotApi.ChatMessage::hasKeyboard),
        WAIT);
    return telegram.messagesInTopic(threadId).stream()
        .filter(BotApi.ChatMessage::hasKeyboard)
        .findFirst()
        .orElseThrow();
  }

  private Optional<BotApi.ChatMessage> decided(int threadId, int messageId) {
    return telegram.messagesInTopic(threadId).stream()
        .filter(m -> m.messageId() == messageId && !m.edits().isEmpty())
        .findFirst();
  }
}
