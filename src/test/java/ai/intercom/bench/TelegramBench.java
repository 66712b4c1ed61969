package ai.intercom.bench;

import static ai.intercom.testing.TelegramNodes.ALICE;
import static ai.intercom.testing.TelegramNodes.GROUP;
import static ai.intercom.testing.TelegramNodes.TOKEN;

import ai.intercom.app.Node;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.BotApi;
import ai.intercom.testing.TelegramNodes;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The operator's Telegram through one standalone node and the Bot API stand-in ({@link BotApi}, the
 * real TelegramBots client in the product). Press: from a press on an approval card until the held
 * message is in the target session's inbox. Progress: how many Bot API calls 10 missions of 200
 * progress steps each cost, and how long the supergroup takes to show them all. The bot's budget is
 * raised to 6,000 calls a minute (a local Bot API server's), so that Telegram's 20 a minute do not
 * make the bench wait. Run with {@code bench/telegram [PRESSES] [MISSIONS] [STEPS]}.
 */
public final class TelegramBench {

  static final Duration WAIT = Duration.ofSeconds(120);

  public static void main(String[] args) throws Exception {
    int presses = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int missions = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    Path home = Files.createTempDirectory("telegram-bench");
    try (BotApi telegram = BotApi.start(TOKEN, GROUP)) {
      telegram.groupFloodLimit(100_000, Duration.ofMinutes(1)).keepRequests(100_000);
      Node node =
          TelegramNodes.start(
              home,
              telegram,
              Map.of(
                  "intercom.telegram.messages-per-minute",
                  6000,
                  "intercom.agent-launcher.max-concurrent",
                  missions));
      try {
        ApiClient api = new ApiClient(node, home);
        api.register("s-desk", "desk", ProcessHandle.current().pid());
        api.register("s-web", "web", ProcessHandle.current().pid());
        press(telegram, api, presses);
        progress(telegram, api, home, missions, steps);
      } finally {
        TestNodes.stop(node);
      }
    }
  }

  private static void press(BotApi telegram, ApiClient api, int count) throws Exception {
    JsonNode opened = api.chat("s-desk", "test-standalone/web", "PRESS-0 opens the thread").json();
    String thread = opened.path("thread_id").asText();
    List<Double> millis = new ArrayList<>();
    for (int i = 0; i < count + 5; i++) {
      String text = "PRESS-" + (i + 1) + " waits for the operator";
      String approvalId =
          i == 0
              ? opened.path("approval_id").asText()
              : api.reply("s-desk", thread, text).json().path("approval_id").asText();
      String marker = i == 0 ? "PRESS-0" : "PRESS-" + (i + 1);
      BotApi.ChatMessage card = awaitCard(telegram, approvalId);
      long pressed = System.nanoTime();
      telegram.userPresses(ALICE, "Owner", card.messageId(), "a:" + approvalId + ":once");
      long deadline = pressed + WAIT.toNanos();
      while (!api.inbox("s-web").toString().contains(marker)) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(marker + " never reached the inbox");
        }
        Thread.sleep(1);
      }
      if (i >= 5) {
        millis.add((System.nanoTime() - pressed) / 1e6);
      }
    }
    Latencies.print("press: a card's button -> the held message in the session's inbox", millis);
  }

  private static BotApi.ChatMessage awaitCard(BotApi telegram, String approvalId) throws Exception {
    String data = "a:" + approvalId + ":once";
    telegram.await(
        "the card of " + approvalId,
        () ->
            telegram.messages(GROUP, null).stream().anyMatch(m -> m.callbackData().contains(data))
                || telegram.topics().stream()
                    .anyMatch(
                        t ->
                            telegram.messagesInTopic(t.threadId()).stream()
                                .anyMatch(m -> m.callbackData().contains(data))),
        WAIT);
    for (BotApi.Topic topic : telegram.topics()) {
      for (BotApi.ChatMessage message : telegram.messagesInTopic(topic.threadId())) {
        if (message.callbackData().contains(data)) {
          return message;
        }
      }
    }
    throw new AssertionError("no card for " + approvalId);
  }

  private static void progress(BotApi telegram, ApiClient api, Path home, int missions, int steps)
      throws Exception {
    Files.writeString(
        home.resolve("policies.yml"), "defaults:\n  require_approval: never\nrules: []\n");
    api.post("/api/policy/reload", Map.of());
    int before = telegram.requests().size();
    long started = System.nanoTime();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < missions; i++) {
      ids.add(
          api.post(
                  "/api/start_agent",
                  Map.of(
                      "session_id", "s-desk",
                      "machine", "test-standalone",
                      "project", "web",
                      "mission", "events:" + steps + " sleep:1 mission " + i))
              .text("mission_id"));
    }
    for (String id : ids) {
      api.finishedMission(id, WAIT);
    }
    long finished = System.nanoTime();
    telegram.await(
        "every result shown",
        () ->
            telegram.topics().stream()
                    .filter(
                        t ->
                            telegram.messagesInTopic(t.threadId()).stream()
                                .anyMatch(m -> m.text().startsWith("✅ completed")))
                    .count()
                >= missions,
        WAIT);
    long shown = System.nanoTime();
    Map<String, Integer> calls = new TreeMap<>();
    for (BotApi.Request request : telegram.requests().subList(before, telegram.requests().size())) {
      if (!request.method().equalsIgnoreCase("getUpdates")) {
        calls.merge(request.method().toLowerCase(), 1, Integer::sum);
      }
    }
    int total = calls.values().stream().mapToInt(Integer::intValue).sum();
    System.out.printf(
        "progress: %d missions x %d steps: %d Bot API calls %s; all finished after %.1f s,"
            + " all shown %.1f s later%n",
        missions, steps, total, calls, (finished - started) / 1e9, (shown - finished) / 1e9);
  }
}
