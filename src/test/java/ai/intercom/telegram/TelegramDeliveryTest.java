package ai.intercom.telegram;

import static ai.intercom.testing.TelegramNodes.ALICE;
import static ai.intercom.testing.TelegramNodes.GROUP;
import static ai.intercom.testing.TelegramNodes.TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.testing.AgentProcess;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.BotApi;
import ai.intercom.testing.TelegramNodes;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * What reaches the supergroup when Telegram is not there or pushes back: the Bot API away (the
 * connection refused, or a proxy answering 502) while missions come and are decided, and Telegram's
 * flood control. A standalone node with a bot, the real TelegramBots client, {@link BotApi} on a
 * real socket. Every mission gets one topic, its opening and then its card, each exactly once; a
 * decision never waits for Telegram; a {@code retry_after} is obeyed.
 */
class TelegramDeliveryTest {

  static final Duration WAIT = Duration.ofSeconds(20);

  /**
   * Long enough for the outbox to back off several times (its backoff caps at 30 s); a longer one
   * by hand: {@code -Dintercom.test.outage=PT5M}.
   */
  static final Duration OUTAGE =
      Duration.parse(System.getProperty("intercom.test.outage", "PT12S"));

  /**
   * From the end of an outage until everything is shown: the outbox's next try (at most its 30 s
   * cap away, much less after a 12 s outage) and then the calls themselves, within the group's
   * budget of 20 a minute.
   */
  static final Duration CATCH_UP = Duration.ofSeconds(35);

  /** A chat held by the gate: its mission and its approval. */
  private record Held(String missionId, String approvalId) {}

  @TempDir Path home;
  private BotApi telegram;
  private Node node;
  private ApiClient api;

  @BeforeEach
  void start() {
    telegram = BotApi.start(TOKEN, GROUP);
  }

  /** The node with its bot, set up (menu, polling) before any outage begins. */
  private void startNode() throws Exception {
    node = TelegramNodes.start(home, telegram, Map.of());
    api = new ApiClient(node, home);
    assertEquals(200, api.register("s-desk", "desk", AgentProcess.pid()).status());
    telegram.await("the command menu", () -> !telegram.commands().isEmpty(), WAIT);
    telegram.await("polling", telegram::isLongPolling, WAIT);
  }

  @AfterEach
  void stop() {
    if (node != null) {
      TestNodes.stop(node);
    }
    telegram.close();
  }

  @Test
  void nothingIsLostWhileTheBotApiRefusesConnections() throws Exception {
    startNode();
    long before = groupRequests().size();
    telegram.refuseConnections(true);
    List<Held> held = holdChats("refused", 5);
    Held decided = decideWhileAway(held.get(0));
    waitOut(OUTAGE);
    assertEquals(before, groupRequests().size(), "nothing reached Telegram while it was away");

    telegram.refuseConnections(false);
    awaitEverythingShown(held, decided);
    assertEachShownOnceAndInOrder(held);
  }

  @Test
  void nothingIsLostWhileAProxyAnswersBadGateway() throws Exception {
    startNode();
    telegram.failWith(502);
    List<Held> held = holdChats("bad-gateway", 5);
    Held decided = decideWhileAway(held.get(0));
    waitOut(OUTAGE);
    List<BotApi.Request> refused = groupRequests().stream().filter(r -> r.status() == 502).toList();
    assertTrue(refused.size() >= 3, "the outbox kept trying: " + summary(groupRequests()));
    assertEquals(refused, groupRequests(), "only the proxy answered");

    telegram.recover();
    awaitEverythingShown(held, decided);
    assertEachShownOnceAndInOrder(held);
  }

  @Test
  void floodControlIsObeyedAndEveryMessageStillArrivesOnce() throws Exception {
    startNode();
    telegram.groupFloodLimit(5, Duration.ofSeconds(10));
    // 4 topics, openings and cards: 12 calls, more than two windows' worth
    List<Held> held = holdChats("flood", 4);
    awaitEverythingShown(held, null);
    assertEachShownOnceAndInOrder(held);

    List<BotApi.Request> toGroup = groupRequests();
    List<BotApi.Request> tooMany = toGroup.stream().filter(r -> r.status() == 429).toList();
    assertFalse(tooMany.isEmpty(), "the flood limit was reached: " + summary(toGroup));
    for (BotApi.Request refused : tooMany) {
      int retryAfter = refused.response().at("/parameters/retry_after").asInt();
      assertTrue(retryAfter > 0, refused.toString());
      for (BotApi.Request next : toGroup) {
        if (next.seq() > refused.seq()) {
          Duration after = Duration.between(refused.at(), next.at());
          assertTrue(
              after.compareTo(Duration.ofSeconds(retryAfter)) >= 0,
              "sent "
                  + after.toMillis()
                  + " ms after a 429 with retry_after "
                  + retryAfter
                  + ": "
                  + summary(toGroup));
        }
      }
    }
  }

  /**
   * A long flood-control penalty holds back what the bot sends, nothing else: the operator's press
   * in Telegram still decides at once (its answer does not wait in the line), and so does the CLI.
   */
  @Test
  void aLongPenaltyHoldsBackNeitherPressesNorTheCli() throws Exception {
    startNode();
    assertEquals(200, api.register("s-web", "web", AgentProcess.pid()).status());
    // the first look at who is online is posted before the budget gets small
    telegram.await(
        "who is online",
        () -> telegram.messages(GROUP, null).stream().anyMatch(m -> m.text().startsWith("🟢")),
        WAIT);
    // what was sent so far (all within the last minute) and the first chat's topic, opening and
    // card use the minute's budget
    telegram.groupFloodLimit(okToGroup() + 3, Duration.ofMinutes(1));
    Held first = holdChats("penalty", 1).get(0);
    BotApi.ChatMessage card = awaitCardOf(first);
    // the second's topic gets a 429 for most of a minute
    Held second = holdChats("penalty-two", 1).get(0);
    telegram.await("a 429", () -> groupRequests().stream().anyMatch(r -> r.status() == 429), WAIT);
    int sentBefore = okToGroup();

    String query =
        telegram.userPresses(ALICE, "Alice", card.messageId(), "a:" + first.approvalId() + ":once");
    telegram.await(
        "the press answered during the penalty",
        () -> telegram.callbackAnswer(query).isPresent(),
        WAIT);
    telegram.await(
        "the first chat delivered during the penalty",
        () -> api.inbox("s-web").toString().contains("penalty"),
        WAIT);
    ApiClient.Answer cli =
        api.post("/api/approvals/" + second.approvalId() + "/approve", Map.of("by", "cli"));
    assertEquals(200, cli.status(), cli.toString());
    telegram.await(
        "the second chat delivered during the penalty",
        () -> api.inbox("s-web").toString().contains("penalty-two"),
        WAIT);
    assertEquals(sentBefore, okToGroup(), "nothing was sent to the group meanwhile");
  }

  private int okToGroup() {
    return (int) groupRequests().stream().filter(BotApi.Request::ok).count();
  }

  private BotApi.ChatMessage awaitCardOf(Held held) throws Exception {
    String data = "a:" + held.approvalId() + ":once";
    telegram.await(
        "the card of " + held.approvalId(),
        () ->
            telegram.topics().stream()
                .flatMap(t -> telegram.messagesInTopic(t.threadId()).stream())
                .anyMatch(m -> m.callbackData().contains(data)),
        WAIT);
    return telegram.topics().stream()
        .flatMap(t -> telegram.messagesInTopic(t.threadId()).stream())
        .filter(m -> m.callbackData().contains(data))
        .findFirst()
        .orElseThrow();
  }

  /**
   * The stand-in's outages as the product's client meets them: a refused or cut connection and a
   * proxy's HTML page are failures worth retrying, as is the Bot API's 500; state survives. No node
   * here: its bot would poll too.
   */
  @Test
  void theBotApisOutagesAreFailuresTheBotTriesAgain() throws Exception {
    try (TelegramBotsBot bot =
        new TelegramBotsBot(TOKEN, URI.create(telegram.url()), GROUP, Duration.ofSeconds(5))) {
      int topic = bot.createTopic("outages");
      bot.send(GROUP, topic, "before", List.of());

      telegram.refuseConnections(true);
      assertRetriable(0, () -> bot.send(GROUP, topic, "refused", List.of()));
      telegram.refuseConnections(false);
      bot.send(GROUP, topic, "back", List.of());

      // a long poll under way loses its connection
      CompletableFuture<List<Bot.Update>> polling =
          CompletableFuture.supplyAsync(() -> bot.updates(0, 5));
      telegram.await("the long poll", telegram::isLongPolling, WAIT);
      telegram.refuseConnections(true);
      Throwable cut =
          assertThrows(ExecutionException.class, () -> polling.get(3, TimeUnit.SECONDS)).getCause();
      assertTrue(cut instanceof Bot.Failure f && f.retriable(), String.valueOf(cut));
      telegram.refuseConnections(false);

      telegram.failWith(502);
      assertRetriable(0, () -> bot.send(GROUP, topic, "bad gateway", List.of()));
      List<BotApi.Request> sends = telegram.requests("sendMessage");
      BotApi.Request page = sends.get(sends.size() - 1);
      assertEquals(502, page.status());
      assertTrue(page.response().asText().contains("502 Bad Gateway"), page.toString());
      telegram.failWith(500);
      assertRetriable(500, () -> bot.send(GROUP, topic, "internal error", List.of()));
      telegram.recover();
      bot.send(GROUP, topic, "recovered", List.of());

      assertEquals(
          List.of("before", "back", "recovered"),
          telegram.messagesInTopic(topic).stream().map(BotApi.ChatMessage::text).toList());
      assertEquals(1, telegram.topics().size());
    }
  }

  private static void assertRetriable(int code, Executable call) {
    Bot.Failure failure = assertThrows(Bot.Failure.class, call);
    assertTrue(failure.retriable(), failure.getMessage());
    assertEquals(code, failure.code(), failure.getMessage());
  }

  private List<Held> holdChats(String what, int count) {
    List<Held> held = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ApiClient.Answer sent =
          api.chat("s-desk", "test-standalone/web", what + " " + i + ": may I deploy the shop?");
      assertEquals("pending_approval", sent.text("status"), sent.toString());
      held.add(new Held(sent.text("mission_id"), sent.text("approval_id")));
    }
    return held;
  }

  /** Approves {@code held} as the CLI does: at once, whether Telegram is there or not. */
  private Held decideWhileAway(Held held) {
    long start = System.nanoTime();
    ApiClient.Answer approved =
        api.post("/api/approvals/" + held.approvalId() + "/approve", Map.of("by", "cli"));
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertEquals(200, approved.status(), approved.toString());
    assertTrue(took.compareTo(Duration.ofSeconds(2)) < 0, "the gate waited " + took);
    for (JsonNode pending : api.get("/api/approvals").json().path("approvals")) {
      assertNotEquals(held.approvalId(), pending.path("id").asText(), "decided: " + pending);
    }
    return held;
  }

  /** The outage lasts this long: the scenario's length, not a wait for a condition. */
  private static void waitOut(Duration outage) throws InterruptedException {
    Thread.sleep(outage.toMillis());
  }

  /**
   * Every mission's topic has its opening and its card, the {@code decided} card says so, and then
   * nothing more goes to the group for a while (so a late duplicate would have shown).
   */
  private void awaitEverythingShown(List<Held> held, Held decided) throws Exception {
    long start = System.nanoTime();
    awaitInGroup(
        "every mission's opening and card",
        () ->
            held.stream()
                .allMatch(h -> inGroup(opening(h)).size() == 1 && inGroup(card(h)).size() == 1),
        CATCH_UP);
    if (decided != null) {
      awaitInGroup(
          "the decided card saying so",
          () ->
              inGroup(card(decided)).stream()
                  .map(Located::message)
                  .anyMatch(m -> !m.hasKeyboard() && m.text().contains("approved by cli")),
          CATCH_UP.minus(Duration.ofNanos(System.nanoTime() - start)));
    }
    awaitQuiet(Duration.ofSeconds(3), WAIT);
  }

  /** As {@link BotApi#await}, failing with what the group got and when. */
  private void awaitInGroup(String what, BooleanSupplier condition, Duration within)
      throws InterruptedException {
    try {
      telegram.await(what, condition, within);
    } catch (AssertionError e) {
      throw new AssertionError(
          e.getMessage() + "; requests:" + summary(groupRequests()) + "\n" + everything(), e);
    }
  }

  private void awaitQuiet(Duration quiet, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      List<BotApi.Request> toGroup = groupRequests();
      Instant last = toGroup.isEmpty() ? Instant.EPOCH : toGroup.get(toGroup.size() - 1).at();
      Duration since = Duration.between(last, Instant.now());
      if (since.compareTo(quiet) >= 0) {
        return;
      }
      assertTrue(System.nanoTime() < deadline, "the bot never went quiet: " + summary(toGroup));
      Thread.sleep(Math.max(20, quiet.minus(since).toMillis()));
    }
  }

  private void assertEachShownOnceAndInOrder(List<Held> held) {
    List<BotApi.Topic> topics = telegram.topics();
    assertEquals(
        held.size(), topics.size(), "one topic per mission: " + topics + "\n" + everything());
    Set<Integer> used = new HashSet<>();
    for (Held h : held) {
      List<Located> openings = inGroup(opening(h));
      assertEquals(1, openings.size(), h + " opened once: " + everything());
      int topic = openings.get(0).threadId();
      assertTrue(used.add(topic), "a topic of its own: " + h + "\n" + everything());
      List<BotApi.ChatMessage> inTopic = telegram.messagesInTopic(topic);
      assertTrue(inTopic.get(0).text().startsWith(opening(h)), h + " opens: " + texts(inTopic));
      List<Located> cards = inGroup(card(h));
      assertEquals(1, cards.size(), h + " carded once: " + everything());
      assertEquals(topic, cards.get(0).threadId(), h + " card in its topic: " + everything());
      assertTrue(cards.get(0).index() > 0, h + " card after the opening: " + texts(inTopic));
      List<String> texts = texts(inTopic);
      assertEquals(
          texts.size(), new HashSet<>(texts).size(), h + " nothing twice in its topic: " + texts);
    }
    List<String> created =
        telegram.requests("createForumTopic").stream()
            .filter(BotApi.Request::ok)
            .map(r -> r.param("name"))
            .toList();
    assertEquals(held.size(), created.size(), "topics created: " + created);
  }

  /**
   * A bot message of the supergroup: in topic {@code threadId} (null: General), at {@code index}.
   */
  private record Located(Integer threadId, int index, BotApi.ChatMessage message) {}

  private List<Located> inGroup(String prefix) {
    List<Located> found = new ArrayList<>();
    List<Integer> threads = new ArrayList<>();
    threads.add(null);
    telegram.topics().forEach(t -> threads.add(t.threadId()));
    for (Integer thread : threads) {
      List<BotApi.ChatMessage> messages = telegram.messages(GROUP, thread);
      for (int i = 0; i < messages.size(); i++) {
        if (messages.get(i).fromBot() && messages.get(i).text().startsWith(prefix)) {
          found.add(new Located(thread, i, messages.get(i)));
        }
      }
    }
    return found;
  }

  private static String opening(Held held) {
    return "Mission " + held.missionId() + "\n";
  }

  private static String card(Held held) {
    return "🔐 Approval " + held.approvalId() + "\n";
  }

  private static List<String> texts(List<BotApi.ChatMessage> messages) {
    return messages.stream().map(BotApi.ChatMessage::text).toList();
  }

  /** The requests that concern the supergroup (sent, edited, topics), oldest first. */
  private List<BotApi.Request> groupRequests() {
    return telegram.requests().stream()
        .filter(r -> String.valueOf(GROUP).equals(r.param("chat_id")))
        .toList();
  }

  private static String summary(List<BotApi.Request> requests) {
    return requests.stream()
        .map(
            r ->
                "\n  "
                    + r.at()
                    + " "
                    + r.method()
                    + " "
                    + shortened(r.param("text") != null ? r.param("text") : r.param("name"))
                    + " -> "
                    + r.status()
                    + (r.ok()
                        ? ""
                        : " "
                            + shortened(
                                r.description() != null ? r.description() : r.response().asText())))
        .collect(Collectors.joining());
  }

  private static String shortened(String text) {
    String flat = String.valueOf(text).replace('\n', ' ');
    return flat.length() > 60 ? flat.substring(0, 59) + "…" : flat;
  }

  private String everything() {
    StringBuilder out = new StringBuilder();
    out.append("General: ").append(texts(telegram.messages(GROUP, null)));
    for (BotApi.Topic topic : telegram.topics()) {
      out.append("\n")
          .append(topic.threadId())
          .append(" ")
          .append(topic.name())
          .append(": ")
          .append(texts(telegram.messagesInTopic(topic.threadId())));
    }
    return out.toString();
  }
}
