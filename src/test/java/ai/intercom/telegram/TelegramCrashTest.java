package ai.intercom.telegram;

import static ai.intercom.testing.TelegramNodes.ALICE;
import static ai.intercom.testing.TelegramNodes.GROUP;
import static ai.intercom.testing.TelegramNodes.TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.intercom.app.Node;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.BotApi;
import ai.intercom.testing.TelegramNodes;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hub that stops between acting on an operator's update and noting that it did (a crash at the
 * worst moment: the journal is cut back to just that point) acts on it again after its restart only
 * if it had not: a mission started from the phone, or a follow-up written in its topic, is there
 * once.
 */
class TelegramCrashTest {

  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path home;
  private BotApi telegram;
  private Node node;
  private ApiClient api;

  @BeforeEach
  void start() throws Exception {
    // not about flood control: restarts make the bot forget what it sent in the last minute
    telegram = BotApi.start(TOKEN, GROUP).groupFloodLimit(1000, Duration.ofMinutes(1));
    Files.writeString(
        home.resolve("policies.yml"),
        "defaults:\n  require_approval: once\nrules:\n"
            + "  - from: human\n    to: \"*\"\n    approval: never\n");
    startNode();
  }

  private void startNode() throws Exception {
    node = TelegramNodes.start(home, telegram, Map.of());
    api = new ApiClient(node, home);
    telegram.await("polling", telegram::isLongPolling, WAIT);
  }

  @AfterEach
  void stop() {
    TestNodes.stop(node);
    telegram.close();
  }

  @Test
  void anUpdateActedOnJustBeforeACrashIsNotActedOnAgain() throws Exception {
    telegram.userSends(
        ALICE, "Alice", GROUP, null, "/start_agent test-standalone/web events:1 CRASH-ONE");
    awaitMessage(null, m -> m.fromBot() && m.text().contains("mission"));
    int topic = awaitTopic();
    awaitMessage(topic, m -> m.text().startsWith("✅ completed"));
    crashBeforeTheLastUpdateWasNoted();
    awaitQuiet();
    assertEquals(1, missionsWithPrompt("events:1 CRASH-ONE"), missions());

    // the same for a follow-up written in the mission's topic
    telegram.userSends(ALICE, "Alice", GROUP, topic, "CRASH-TWO: once more");
    awaitMessage(topic, m -> m.text().startsWith("✅") && m.text().contains("CRASH-TWO"));
    crashBeforeTheLastUpdateWasNoted();
    awaitQuiet();
    String missionId = missionOfTopic(topic);
    JsonNode history = api.get("/api/missions/" + missionId + "/history?limit=1000").json();
    long followUps =
        java.util.stream.StreamSupport.stream(history.path("messages").spliterator(), false)
            .filter(line -> line.toString().contains("CRASH-TWO: once more"))
            .filter(line -> line.toString().contains("\"human\""))
            .count();
    assertEquals(1, followUps, history.toString());
  }

  /**
   * Stops the node and takes out of the bridge's journal the note that its last update was handled,
   * as a kill -9 right before that write would have left it (what the mirror wrote meanwhile
   * stays).
   */
  private void crashBeforeTheLastUpdateWasNoted() throws Exception {
    TestNodes.stop(node);
    try (Connection db =
        DriverManager.getConnection("jdbc:sqlite:" + home.resolve("data/intercom.db"))) {
      try (PreparedStatement last =
          db.prepareStatement(
              "DELETE FROM event_journal WHERE persistence_id = 'TelegramBridge' AND"
                  + " sequence_number = (SELECT MAX(sequence_number) FROM event_journal WHERE"
                  + " persistence_id = 'TelegramBridge' AND event_ser_manifest LIKE"
                  + " '%UpdateHandled')")) {
        assertEquals(1, last.executeUpdate(), "the bridge had noted an update as handled");
      }
      try (PreparedStatement snapshots =
          db.prepareStatement("DELETE FROM snapshot WHERE persistence_id = 'TelegramBridge'")) {
        snapshots.executeUpdate();
      }
    }
    startNode();
  }

  /** The bridge has handled what it had stored: a command sent now is answered after it. */
  private void awaitQuiet() throws Exception {
    long before =
        telegram.messages(GROUP, null).stream().filter(m -> m.text().startsWith("Latest")).count();
    telegram.userSends(ALICE, "Alice", GROUP, null, "/missions");
    telegram.await(
        "the answer to /missions",
        () ->
            telegram.messages(GROUP, null).stream()
                    .filter(m -> m.text().startsWith("Latest"))
                    .count()
                > before,
        WAIT);
  }

  private long missionsWithPrompt(String prompt) {
    JsonNode missions = api.get("/api/missions?limit=20").json();
    long count = 0;
    for (JsonNode mission : missions.path("missions")) {
      if (prompt.equals(api.mission(mission.path("mission_id").asText()).path("prompt").asText())) {
        count++;
      }
    }
    return count;
  }

  private String missions() {
    return api.get("/api/missions?limit=20").json().toString();
  }

  /** The mission id the topic's opening names. */
  private String missionOfTopic(int topic) {
    String opening = telegram.messagesInTopic(topic).get(0).text();
    return opening.replaceAll("(?s).*?(m-\\d{8}-[0-9a-f]+).*", "$1");
  }

  private int awaitTopic() throws Exception {
    telegram.await("a topic", () -> !telegram.topics().isEmpty(), WAIT);
    return telegram.topics().get(0).threadId();
  }

  private void awaitMessage(Integer topic, Predicate<BotApi.ChatMessage> matches) throws Exception {
    telegram.await(
        "a message in " + (topic == null ? "General" : "topic " + topic),
        () -> telegram.messages(GROUP, topic).stream().anyMatch(matches),
        WAIT);
  }
}
