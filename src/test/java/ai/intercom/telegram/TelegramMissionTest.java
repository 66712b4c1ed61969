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
import ai.intercom.testing.TelegramNodes;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Missions run from the operator's phone: {@code /start_agent} in the supergroup, the card pressed
 * in the mission's topic, the run's steps in one progress message, its result, and text written in
 * the topic going to the agent (a follow-up that resumes it, a message into a chat's session). The
 * agent is the Python stand-in {@code claude} (it plays progress on cue); the bot talks to {@link
 * BotApi} through the real TelegramBots client.
 */
class TelegramMissionTest {

  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path home;
  private BotApi telegram;
  private Node node;
  private ApiClient api;

  @BeforeEach
  void start() throws Exception {
    telegram = BotApi.start(TOKEN, GROUP);
    node =
        TelegramNodes.start(
            home,
            telegram,
            Map.of(
                "intercom.telegram.dispatcher",
                Map.of(
                    "enabled", true,
                    "target", "test-standalone/web",
                    "system-prompt", "DISPATCHER-PROMPT")));
    api = new ApiClient(node, home);
    telegram.await("polling", telegram::isLongPolling, WAIT);
  }

  @AfterEach
  void stop() {
    TestNodes.stop(node);
    telegram.close();
  }

  @Test
  void aMissionStartedFromThePhoneRunsShowsItsStepsAndTakesAFollowUpWrittenInItsTopic()
      throws Exception {
    telegram.userSends(
        ALICE, "Alice", GROUP, null, "/start_agent test-standalone/web events:6 build the shop");
    BotApi.ChatMessage started =
        awaitMessage(GROUP, null, m -> m.fromBot() && m.text().contains("mission"));
    assertTrue(started.text().contains("pending_approval"), started.text());
    String missionId = started.text().replaceAll("(?s).*(m-\\d{8}-[0-9a-f]+).*", "$1");

    int topic = awaitTopic();
    pressFirstCard(topic, "once");
    awaitMessage(GROUP, topic, m -> m.text().startsWith("✅ completed"));
    List<String> texts = texts(topic);
    assertTrue(texts.get(0).contains(missionId) && texts.get(0).contains("human"), texts.get(0));
    assertTrue(texts.stream().anyMatch(t -> t.startsWith("🚀 started")), texts.toString());
    String progress =
        texts.stream().filter(t -> t.startsWith("⏳ progress")).findFirst().orElseThrow();
    assertTrue(progress.contains("Read") || progress.contains("Bash"), progress);
    String result = texts.stream().filter(t -> t.startsWith("✅ completed")).findFirst().get();
    assertTrue(result.contains("done: events:6 build the shop"), result);

    // text in the topic: a follow-up, through the gate, that resumes the same conversation
    telegram.userSends(ALICE, "Alice", GROUP, topic, "now the tests too");
    awaitMessage(GROUP, topic, m -> m.fromBot() && m.text().contains("pending_approval"));
    pressFirstCard(topic, "once");
    BotApi.ChatMessage resumed =
        awaitMessage(
            GROUP, topic, m -> m.text().contains("now the tests too") && m.text().startsWith("✅"));
    assertTrue(resumed.text().contains("resumed "), resumed.text());
    assertEquals("completed", api.mission(missionId).path("status").asText());
  }

  @Test
  void aLaunchedAgentsPermissionPromptIsACardWithAllowAndDeny() throws Exception {
    Files.writeString(
        home.resolve("policies.yml"),
        "defaults:\n  require_approval: once\nrules:\n"
            + "  - from: human\n    to: \"*\"\n    type: start_agent\n    approval: never\n");
    assertEquals(200, api.post("/api/policy/reload", Map.of()).status());
    telegram.userSends(
        ALICE, "Alice", GROUP, null, "/start_agent test-standalone/web mode:permission allow this");
    int topic = awaitTopic();
    BotApi.ChatMessage card = awaitMessage(GROUP, topic, BotApi.ChatMessage::hasKeyboard);
    assertTrue(card.text().contains("Bash") && card.text().contains("rm -rf build"), card.text());
    assertEquals(3, card.callbackData().size(), card.callbackData().toString());
    assertTrue(card.json().toString().contains("Allow for this mission"), card.json().toString());
    pressFirstCard(topic, "once");
    BotApi.ChatMessage done = awaitMessage(GROUP, topic, m -> m.text().startsWith("✅ completed"));
    assertTrue(done.text().contains("permission allow"), done.text());
  }

  @Test
  void plainTextOutsideTheTopicsGoesToTheDispatcherWhoseAnswerReplacesTheThinkingMessage()
      throws Exception {
    Files.writeString(
        home.resolve("policies.yml"),
        "defaults:\n  require_approval: once\nrules:\n"
            + "  - from: human\n    to: \"*\"\n    approval: never\n");
    assertEquals(200, api.post("/api/policy/reload", Map.of()).status());
    telegram.userSends(ALICE, "Alice", GROUP, null, "which machine builds the shop?");
    BotApi.ChatMessage thinking =
        awaitMessage(
            GROUP,
            null,
            m -> m.fromBot() && m.edits().stream().anyMatch(v -> v.text().startsWith("🤔")));
    telegram.await(
        "the answer in place",
        () ->
            telegram.message(GROUP, thinking.messageId()).orElseThrow().text().startsWith("done: "),
        WAIT);
    String answer = telegram.message(GROUP, thinking.messageId()).orElseThrow().text();
    assertTrue(answer.contains("DISPATCHER-PROMPT"), answer);
    assertTrue(answer.contains("which machine builds the shop?"), answer);
    assertTrue(
        telegram.requests("sendChatAction").stream().anyMatch(BotApi.Request::ok),
        "typing shown: " + telegram.requests("sendChatAction"));
  }

  @Test
  void theCommandsAnswerWithTheNetworkAndStopEndsARunningMission() throws Exception {
    telegram.userSends(
        ALICE,
        "Alice",
        GROUP,
        null,
        "/start_agent test-standalone/web mode:hang token=s3cr3tvalue");
    BotApi.ChatMessage started =
        awaitMessage(GROUP, null, m -> m.fromBot() && m.text().contains("mission"));
    String missionId = started.text().replaceAll("(?s).*(m-\\d{8}-[0-9a-f]+).*", "$1");
    int topic = awaitTopic();
    awaitMessage(GROUP, topic, BotApi.ChatMessage::hasKeyboard);
    // secrets never reach Telegram: not in the opening, not on the card
    for (BotApi.Request request : telegram.requests()) {
      assertFalse(request.params().toString().contains("s3cr3tvalue"), request.toString());
    }

    telegram.userSends(ALICE, "Alice", GROUP, null, "/approvals");
    awaitMessage(GROUP, null, m -> m.fromBot() && m.text().equals("1 approval waits."));
    assertTrue(
        telegram.messages(GROUP, null).stream().anyMatch(BotApi.ChatMessage::hasKeyboard),
        "the pending card, with its buttons, where /approvals was asked");
    pressFirstCard(topic, "once");
    awaitMessage(GROUP, topic, m -> m.text().startsWith("🚀 started"));

    telegram.userSends(ALICE, "Alice", GROUP, null, "/agents");
    awaitMessage(
        GROUP,
        null,
        m ->
            m.fromBot()
                && m.text().startsWith("Agents")
                && m.text().contains("test-standalone/web"));
    telegram.userSends(ALICE, "Alice", GROUP, null, "/machines");
    awaitMessage(
        GROUP,
        null,
        m ->
            m.fromBot()
                && m.text().startsWith("Machines")
                && m.text().contains("🟢 test-standalone"));
    telegram.userSends(ALICE, "Alice", GROUP, null, "/missions");
    awaitMessage(
        GROUP,
        null,
        m -> m.fromBot() && m.text().startsWith("Latest missions") && m.text().contains(missionId));
    telegram.userSends(ALICE, "Alice", GROUP, null, "/policy");
    awaitMessage(
        GROUP,
        null,
        m -> m.fromBot() && m.text().startsWith("Policy") && m.text().contains("default: once"));
    telegram.userSends(ALICE, "Alice", GROUP, topic, "/status " + missionId);
    awaitMessage(GROUP, topic, m -> m.fromBot() && m.text().contains("status: running"));
    telegram.userSends(ALICE, "Alice", GROUP, null, "/start_agent nowhere");
    awaitMessage(GROUP, null, m -> m.fromBot() && m.text().startsWith("Usage: /start_agent"));
    telegram.userSends(ALICE, "Alice", GROUP, null, "/frobnicate");
    awaitMessage(
        GROUP, null, m -> m.fromBot() && m.text().startsWith("Unknown command /frobnicate"));

    telegram.userSends(ALICE, "Alice", GROUP, topic, "/stop " + missionId);
    awaitMessage(GROUP, topic, m -> m.text().startsWith("⏹ stopped by Alice"));
    assertEquals("stopped", api.mission(missionId).path("status").asText());
  }

  @Test
  void privateChatsAndOtherGroupsAreIgnoredAsConfigured() throws Exception {
    long otherGroup = -1009999999999L;
    telegram.addGroup(otherGroup, "somewhere else");
    telegram.userSends(ALICE, "Alice", ALICE, null, "/help");
    telegram.userSends(ALICE, "Alice", otherGroup, null, "/help");
    telegram.userSends(ALICE, "Alice", GROUP, null, "/help");
    awaitMessage(GROUP, null, m -> m.fromBot() && m.text().contains("/start_agent"));
    assertEquals(
        List.of(),
        telegram.messages(ALICE, null).stream().filter(BotApi.ChatMessage::fromBot).toList());
    assertEquals(
        List.of(),
        telegram.messages(otherGroup, null).stream().filter(BotApi.ChatMessage::fromBot).toList());
  }

  @Test
  void aLongResultWithMarkupCharactersArrivesWholeInPartsTelegramAccepts() throws Exception {
    assertEquals(200, api.register("s-desk", "desk", AgentProcess.pid()).status());
    StringBuilder prompt = new StringBuilder("events:1 ");
    for (int i = 0; prompt.length() < 9_000; i++) {
      prompt.append("line ").append(i).append(": if a < b && c > d then <b>bold</b> &amp;\n");
    }
    JsonNode sent =
        api.post(
                "/api/start_agent",
                Map.of(
                    "session_id", "s-desk",
                    "machine", "test-standalone",
                    "project", "web",
                    "mission", prompt.toString()))
            .json();
    assertEquals("pending_approval", sent.path("status").asText(), sent.toString());
    int topic = awaitTopic();
    pressFirstCard(topic, "once");
    awaitMessage(GROUP, topic, m -> m.text().startsWith("✅ completed"));
    telegram.await(
        "the whole result",
        () -> String.join("\n", texts(topic)).contains("line " + (lastLine(prompt) - 1) + ":"),
        WAIT);
    String all = String.join("", texts(topic));
    assertTrue(all.contains("if a < b && c > d then <b>bold</b> &amp;"), "shown as written");
    for (BotApi.Request refused : telegram.requests()) {
      assertTrue(
          refused.ok() || refused.method().equalsIgnoreCase("getupdates"), refused.toString());
    }
  }

  @Test
  void textInAChatsTopicReachesItsSessionAsFromHuman() throws Exception {
    assertEquals(200, api.register("s-desk", "desk", AgentProcess.pid()).status());
    assertEquals(200, api.register("s-web", "web", AgentProcess.pid()).status());
    JsonNode sent = api.chat("s-desk", "test-standalone/web", "CHAT: ready?").json();
    int topic = awaitTopic();
    pressFirstCard(topic, "mission");
    telegram.await("delivered", () -> api.inbox("s-web").toString().contains("CHAT: ready?"), WAIT);

    telegram.userSends(ALICE, "Alice", GROUP, topic, "HUMAN-SAYS: take your time");
    BotApi.ChatMessage answer = awaitMessage(GROUP, topic, m -> m.text().startsWith("➡️"));
    assertTrue(answer.text().contains("delivered"), texts(topic).toString());
    String inbox = api.inbox("s-web").toString();
    assertTrue(inbox.contains("HUMAN-SAYS: take your time"), inbox);
    assertTrue(inbox.contains("\"human\""), "from human: " + inbox);

    // the session's answer in the thread shows in the topic
    JsonNode reply =
        api.reply("s-web", sent.path("thread_id").asText(), "AGENT-ANSWERS: done").json();
    assertTrue(
        reply.path("status").asText().matches("delivered|pending_approval"), reply.toString());
    awaitMessage(
        GROUP, topic, m -> m.text().contains("AGENT-ANSWERS: done") && m.text().startsWith("💬"));
    assertTrue(sent.path("thread_id").asText().startsWith("t-"), sent.toString());
  }

  private static int lastLine(CharSequence prompt) {
    String text = prompt.toString().strip();
    String last = text.substring(text.lastIndexOf("line ") + 5);
    return Integer.parseInt(last.substring(0, last.indexOf(':')));
  }

  private int awaitTopic() throws Exception {
    telegram.await("a topic", () -> !telegram.topics().isEmpty(), WAIT);
    return telegram.topics().get(telegram.topics().size() - 1).threadId();
  }

  /** Presses {@code level} on the newest card of the topic that still has buttons. */
  private void pressFirstCard(int topic, String level) throws Exception {
    BotApi.ChatMessage card = awaitMessage(GROUP, topic, BotApi.ChatMessage::hasKeyboard);
    String data =
        card.callbackData().stream().filter(d -> d.endsWith(":" + level)).findFirst().orElseThrow();
    String query = telegram.userPresses(ALICE, "Alice", card.messageId(), data);
    telegram.await("the press answered", () -> telegram.callbackAnswer(query).isPresent(), WAIT);
  }

  private BotApi.ChatMessage awaitMessage(
      long chat, Integer topic, Predicate<BotApi.ChatMessage> matches) throws Exception {
    try {
      telegram.await(
          "a message in " + (topic == null ? "General" : "topic " + topic),
          () -> telegram.messages(chat, topic).stream().anyMatch(matches),
          WAIT);
    } catch (AssertionError e) {
      throw new AssertionError(
          e.getMessage()
              + "; there: "
              + telegram.messages(chat, topic).stream().map(BotApi.ChatMessage::text).toList(),
          e);
    }
    List<BotApi.ChatMessage> found =
        telegram.messages(chat, topic).stream().filter(matches).toList();
    return found.get(found.size() - 1);
  }

  private List<String> texts(int topic) {
    return telegram.messagesInTopic(topic).stream().map(BotApi.ChatMessage::text).toList();
  }
}
