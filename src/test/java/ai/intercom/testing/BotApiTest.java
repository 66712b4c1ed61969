package ai.intercom.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.telegram.telegrambots.client.okhttp.OkHttpTelegramClient;
import org.telegram.telegrambots.longpolling.TelegramBotsLongPollingApplication;
import org.telegram.telegrambots.longpolling.util.TelegramOkHttpClientFactory;
import org.telegram.telegrambots.meta.TelegramUrl;
import org.telegram.telegrambots.meta.api.methods.AnswerCallbackQuery;
import org.telegram.telegrambots.meta.api.methods.GetMe;
import org.telegram.telegrambots.meta.api.methods.commands.GetMyCommands;
import org.telegram.telegrambots.meta.api.methods.commands.SetMyCommands;
import org.telegram.telegrambots.meta.api.methods.forum.CloseForumTopic;
import org.telegram.telegrambots.meta.api.methods.forum.CreateForumTopic;
import org.telegram.telegrambots.meta.api.methods.forum.ReopenForumTopic;
import org.telegram.telegrambots.meta.api.methods.send.SendMessage;
import org.telegram.telegrambots.meta.api.methods.updates.GetUpdates;
import org.telegram.telegrambots.meta.api.methods.updatingmessages.DeleteMessage;
import org.telegram.telegrambots.meta.api.methods.updatingmessages.EditMessageReplyMarkup;
import org.telegram.telegrambots.meta.api.methods.updatingmessages.EditMessageText;
import org.telegram.telegrambots.meta.api.objects.CallbackQuery;
import org.telegram.telegrambots.meta.api.objects.MessageEntity;
import org.telegram.telegrambots.meta.api.objects.Update;
import org.telegram.telegrambots.meta.api.objects.User;
import org.telegram.telegrambots.meta.api.objects.commands.BotCommand;
import org.telegram.telegrambots.meta.api.objects.forum.ForumTopic;
import org.telegram.telegrambots.meta.api.objects.message.Message;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.InlineKeyboardMarkup;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.buttons.InlineKeyboardButton;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.buttons.InlineKeyboardRow;
import org.telegram.telegrambots.meta.exceptions.TelegramApiException;
import org.telegram.telegrambots.meta.exceptions.TelegramApiRequestException;
import org.telegram.telegrambots.meta.exceptions.TelegramApiValidationException;

/** The Bot API stand-in, driven by the real TelegramBots 10.2.0 client over a real socket. */
class BotApiTest {

  private static final String TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";
  private static final long GROUP = -1001234567890L;
  private static final long ALICE = 5_550_001L;
  private static final Duration WITHIN = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private BotApi api;
  private OkHttpClient http;
  private OkHttpTelegramClient bot;

  @BeforeEach
  void start() {
    api = BotApi.start(TOKEN, GROUP);
    http = new OkHttpClient.Builder().build();
    bot = new OkHttpTelegramClient(http, TOKEN, telegramUrl());
  }

  @AfterEach
  void stop() {
    api.close();
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }

  @Test
  void getMeAnswersWithTheBotTheTokenNames() throws Exception {
    User me = bot.execute(new GetMe());

    assertEquals(123456789L, me.getId());
    assertTrue(me.getIsBot());
    assertEquals(api.botUsername(), me.getUserName());
    assertEquals("getme", api.requests("getMe").get(0).sentAs());
  }

  @Test
  void aMessageInATopicCarriesItsThreadAndKeyboard() throws Exception {
    ForumTopic topic = createTopic("m-20260101-abc123 laptop/intercom");

    Message sent =
        bot.execute(
            SendMessage.builder()
                .chatId(GROUP)
                .messageThreadId(topic.getMessageThreadId())
                .text("Approve <b>ask</b> from laptop?")
                .parseMode("HTML")
                .replyMarkup(keyboard("once:m-1", "deny:m-1"))
                .build());

    assertEquals(topic.getMessageThreadId(), sent.getMessageThreadId());
    assertTrue(sent.getIsTopicMessage());
    assertEquals("Approve ask from laptop?", sent.getText());
    MessageEntity bold = sent.getEntities().get(0);
    assertEquals(
        List.of("bold", 8, 3), List.of(bold.getType(), bold.getOffset(), bold.getLength()));
    assertEquals(
        "m-20260101-abc123 laptop/intercom",
        sent.getReplyToMessage().getForumTopicCreated().getName(),
        "a topic message replies to the topic's creation message");
    assertEquals("deny:m-1", sent.getReplyMarkup().getKeyboard().get(0).get(1).getCallbackData());
    assertEquals(BotApi.TOPIC_ICON_COLORS.get(0), topic.getIconColor());

    BotApi.ChatMessage stored = api.messagesInTopic(topic.getMessageThreadId()).get(0);
    assertEquals("Approve ask from laptop?", stored.text());
    assertEquals(List.of("once:m-1", "deny:m-1"), stored.callbackData());
    assertEquals("m-20260101-abc123 laptop/intercom", api.topics().get(0).name());
    assertEquals("createForumTopic", api.requests("createForumTopic").get(0).sentAs());
    assertEquals("sendmessage", api.requests("sendMessage").get(0).sentAs());
  }

  @Test
  void longPollingDeliversWhatAUserWritesAndPressesAndTheAnswerReachesThem() throws Exception {
    int thread = createTopic("m-20260101-abc123").getMessageThreadId();
    Message prompt =
        bot.execute(
            SendMessage.builder()
                .chatId(GROUP)
                .messageThreadId(thread)
                .text("Approve?")
                .replyMarkup(keyboard("once:m-1", "deny:m-1"))
                .build());
    BlockingQueue<Update> received = new LinkedBlockingQueue<>();
    ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(daemon());
    TelegramBotsLongPollingApplication app =
        new TelegramBotsLongPollingApplication(
            ObjectMapper::new,
            new TelegramOkHttpClientFactory.DefaultOkHttpClientCreator(),
            () -> poller);
    try {
      app.registerBot(
          TOKEN,
          this::telegramUrl,
          last -> GetUpdates.builder().offset(last + 1).limit(100).timeout(10).build(),
          received::addAll);
      api.await("the bot long polling", api::isLongPolling, WITHIN);

      api.userSends(ALICE, "Alice", GROUP, thread, "/status m-20260101-abc123");
      Message written = received.poll(10, TimeUnit.SECONDS).getMessage();
      assertEquals("/status m-20260101-abc123", written.getText());
      assertEquals(thread, written.getMessageThreadId());
      assertEquals(ALICE, written.getFrom().getId());
      MessageEntity command = written.getEntities().get(0);
      assertEquals(
          List.of("bot_command", 0, 7),
          List.of(command.getType(), command.getOffset(), command.getLength()));

      String queryId = api.userPresses(ALICE, "Alice", prompt.getMessageId(), "once:m-1");
      CallbackQuery press = received.poll(10, TimeUnit.SECONDS).getCallbackQuery();
      assertEquals(queryId, press.getId());
      assertEquals("once:m-1", press.getData());
      Message pressedOn = assertInstanceOf(Message.class, press.getMessage());
      assertEquals(prompt.getMessageId(), pressedOn.getMessageId());
      assertEquals(thread, pressedOn.getMessageThreadId());

      assertTrue(
          bot.execute(
              AnswerCallbackQuery.builder()
                  .callbackQueryId(press.getId())
                  .text("Approved once")
                  .build()));
      assertEquals(
          new BotApi.CallbackAnswer(queryId, "Approved once", false, "", 0),
          api.callbackAnswer(queryId).orElseThrow());

      Message edited =
          (Message)
              bot.execute(
                  EditMessageText.builder()
                      .chatId(GROUP)
                      .messageId(prompt.getMessageId())
                      .text("Approved once by Alice")
                      .build());
      assertEquals(
          null, edited.getReplyMarkup(), "an edit without reply_markup drops the keyboard");
      assertNotNull(edited.getEditDate());
      BotApi.ChatMessage stored = api.message(GROUP, prompt.getMessageId()).orElseThrow();
      assertFalse(stored.hasKeyboard());
      assertEquals("Approve?", stored.edits().get(0).text());

      api.await(
          "both updates confirmed by a later offset", () -> api.pendingUpdates() == 0, WITHIN);
    } finally {
      app.close();
      // Answers the poll still waiting and lets the cancelled session read that answer, so it
      // ends without an error instead of being interrupted mid-read.
      api.close();
      poller.shutdown();
      assertTrue(poller.awaitTermination(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void getUpdatesWaitsForAnUpdateAndALaterOffsetConfirmsIt() throws Exception {
    CompletableFuture<ArrayList<Update>> poll =
        bot.executeAsync(GetUpdates.builder().timeout(5).build());
    api.await("a waiting getUpdates", api::isLongPolling, WITHIN);
    assertFalse(poll.isDone());

    api.userSends(ALICE, "Alice", ALICE, null, "hello");
    List<Update> updates = poll.get(10, TimeUnit.SECONDS);
    assertEquals(1, updates.size());
    assertEquals("hello", updates.get(0).getMessage().getText());
    assertEquals("private", updates.get(0).getMessage().getChat().getType());

    int next = updates.get(0).getUpdateId() + 1;
    long started = System.nanoTime();
    List<Update> none = bot.execute(GetUpdates.builder().offset(next).timeout(1).build());
    assertTrue(none.isEmpty());
    assertTrue(System.nanoTime() - started >= 900_000_000L, "the poll waits its timeout");
    assertEquals(0, api.pendingUpdates());
  }

  @Test
  void aNewerWaitingGetUpdatesEndsTheOlderOneWithAConflict() throws Exception {
    CompletableFuture<ArrayList<Update>> older =
        bot.executeAsync(GetUpdates.builder().timeout(10).build());
    api.await("the older poll waiting", api::isLongPolling, WITHIN);
    CompletableFuture<ArrayList<Update>> newer =
        bot.executeAsync(GetUpdates.builder().timeout(10).build());

    ExecutionException ended =
        assertThrows(ExecutionException.class, () -> older.get(10, TimeUnit.SECONDS));
    TelegramApiRequestException conflict =
        assertInstanceOf(TelegramApiRequestException.class, ended.getCause());
    assertEquals(409, conflict.getErrorCode());
    assertEquals(
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is"
            + " running",
        conflict.getApiResponse());

    api.userSends(ALICE, "Alice", ALICE, null, "hello");
    assertEquals(1, newer.get(10, TimeUnit.SECONDS).size());
  }

  @Test
  void textMustBeOneTo4096CharactersAfterEntityParsing() throws Exception {
    bot.execute(message("x".repeat(4096)).build());
    bot.execute(message("<b>" + "x".repeat(4096) + "</b>").parseMode("HTML").build());

    assertRefused(
        400,
        "Bad Request: message is too long",
        () -> bot.execute(message("x".repeat(4097)).build()));
    assertRefused(
        400,
        "Bad Request: text must be non-empty",
        () -> bot.execute(message("<b> </b>\n").parseMode("HTML").build()));
    TelegramApiException empty =
        assertThrows(TelegramApiException.class, () -> bot.execute(message("").build()));
    assertInstanceOf(
        TelegramApiValidationException.class,
        empty.getCause(),
        "the client refuses an empty text itself; only a raw request reaches the service");
    assertEquals(
        "Bad Request: message text is empty",
        raw("sendMessage", "{\"chat_id\":" + GROUP + ",\"text\":\"\"}")
            .path("description")
            .asText());
  }

  @Test
  void unbalancedMarkupIsRefusedWithTheParsersWords() {
    assertRefused(
        400,
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
        () -> bot.execute(message("<b>bold").parseMode("HTML").build()));
    assertRefused(
        400,
        "Bad Request: can't parse entities: Unmatched end tag at byte offset 4, expected \"</i>\","
            + " found \"</b>\"",
        () -> bot.execute(message("<i>x</b>").parseMode("HTML").build()));
    assertRefused(
        400,
        "Bad Request: can't parse entities: Unsupported start tag \"p\" at byte offset 0",
        () -> bot.execute(message("<p>x</p>").parseMode("HTML").build()));
    assertRefused(
        400,
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the"
            + " preceding '\\'",
        () -> bot.execute(message("Done.").parseMode("MarkdownV2").build()));
    assertRefused(
        400,
        "Bad Request: can't parse entities: Can't find end of Bold entity at byte offset 0",
        () -> bot.execute(message("*bold").parseMode("MarkdownV2").build()));
  }

  @Test
  void aMessageGoesOnlyToAKnownChatAndTopic() throws Exception {
    assertRefused(
        400,
        "Bad Request: message thread not found",
        () -> bot.execute(message("hi").messageThreadId(999).build()));
    assertRefused(
        400,
        "Bad Request: message thread not found",
        () -> bot.execute(message("hi").messageThreadId(1).build()));
    assertRefused(
        400,
        "Bad Request: chat not found",
        () -> bot.execute(SendMessage.builder().chatId(-1009999999999L).text("hi").build()));

    api.userSends(ALICE, "Alice", GROUP, null, "hi");
    assertRefused(
        403,
        "Forbidden: bot can't initiate conversation with a user",
        () -> bot.execute(SendMessage.builder().chatId(ALICE).text("hi").build()));
    api.userSends(ALICE, "Alice", ALICE, null, "/start");
    assertEquals(
        "hi", bot.execute(SendMessage.builder().chatId(ALICE).text("hi").build()).getText());
  }

  @Test
  void callbackDataIsOneTo64Bytes() throws Exception {
    bot.execute(message("ok").replyMarkup(keyboard("x".repeat(64))).build());

    assertRefused(
        400,
        "Bad Request: BUTTON_DATA_INVALID",
        () -> bot.execute(message("ok").replyMarkup(keyboard("é".repeat(33))).build()));
  }

  @Test
  void editsNeedAnExistingChangedMessageOfTheBot() throws Exception {
    Message sent = bot.execute(message("Approve?").replyMarkup(keyboard("once")).build());
    EditMessageText same = sameEdit(sent.getMessageId());

    assertRefused(
        400,
        "Bad Request: message is not modified: specified new message content and reply markup are"
            + " exactly the same as a current content and reply markup of the message",
        () -> bot.execute(same));
    assertRefused(400, "Bad Request: message to edit not found", () -> bot.execute(sameEdit(4242)));
    int written = api.userSends(ALICE, "Alice", GROUP, null, "mine");
    assertRefused(
        400, "Bad Request: message can't be edited", () -> bot.execute(sameEdit(written)));

    bot.execute(
        EditMessageReplyMarkup.builder()
            .chatId(GROUP)
            .messageId(sent.getMessageId())
            .replyMarkup(keyboard("deny"))
            .build());
    assertEquals(
        List.of("deny"), api.message(GROUP, sent.getMessageId()).orElseThrow().callbackData());
  }

  @Test
  void aPressIsAnsweredOnceAndInTime() throws Exception {
    Message sent = bot.execute(message("Approve?").replyMarkup(keyboard("once")).build());
    String queryId = api.userPresses(ALICE, "Alice", sent.getMessageId(), "once");

    bot.execute(AnswerCallbackQuery.builder().callbackQueryId(queryId).build());
    String tooOld =
        "Bad Request: query is too old and response timeout expired or query ID is invalid";
    assertRefused(
        400,
        tooOld,
        () -> bot.execute(AnswerCallbackQuery.builder().callbackQueryId(queryId).build()));
    assertRefused(
        400,
        tooOld,
        () -> bot.execute(AnswerCallbackQuery.builder().callbackQueryId("12345").build()));

    api.callbackQueryTimeout(Duration.ZERO);
    String late = api.userPresses(ALICE, "Alice", sent.getMessageId(), "once");
    assertRefused(
        400,
        tooOld,
        () -> bot.execute(AnswerCallbackQuery.builder().callbackQueryId(late).build()));
  }

  @Test
  void floodControlAnswers429WithRetryAfterPerChat() throws Exception {
    api.groupFloodLimit(3, Duration.ofMinutes(1));
    for (int i = 0; i < 3; i++) {
      bot.execute(message("progress " + i).build());
    }

    TelegramApiRequestException flood =
        assertThrows(
            TelegramApiRequestException.class, () -> bot.execute(message("one more").build()));
    assertEquals(429, flood.getErrorCode());
    int retryAfter = flood.getParameters().getRetryAfter();
    assertTrue(retryAfter >= 1 && retryAfter <= 60, "retry_after " + retryAfter);
    assertEquals("Too Many Requests: retry after " + retryAfter, flood.getApiResponse());

    api.userSends(ALICE, "Alice", ALICE, null, "/start");
    bot.execute(SendMessage.builder().chatId(ALICE).text("another chat still works").build());
  }

  @Test
  void topicsOpenAndCloseOnlyOnceAndNamesAreCleaned() throws Exception {
    int thread = createTopic("m-1").getMessageThreadId();
    assertTrue(bot.execute(new CloseForumTopic(Long.toString(GROUP), thread)));
    assertTrue(api.topic(thread).orElseThrow().closed());
    assertRefused(
        400,
        "Bad Request: TOPIC_NOT_MODIFIED",
        () -> bot.execute(new CloseForumTopic(Long.toString(GROUP), thread)));
    assertTrue(bot.execute(new ReopenForumTopic(Long.toString(GROUP), thread)));
    assertFalse(api.topic(thread).orElseThrow().closed());

    JsonNode longName =
        raw("createForumTopic", "{\"chat_id\":" + GROUP + ",\"name\":\"" + "n".repeat(200) + "\"}");
    assertEquals(128, longName.path("result").path("name").asText().length());
    assertEquals(
        "Bad Request: name must be non-empty",
        raw("createForumTopic", "{\"chat_id\":" + GROUP + ",\"name\":\"  \\n \"}")
            .path("description")
            .asText());
  }

  @Test
  void messagesAreDeletedOnce() throws Exception {
    Message sent = bot.execute(message("temporary").build());
    assertTrue(bot.execute(new DeleteMessage(Long.toString(GROUP), sent.getMessageId())));
    assertTrue(api.message(GROUP, sent.getMessageId()).isEmpty());
    assertRefused(
        400,
        "Bad Request: message to delete not found",
        () -> bot.execute(new DeleteMessage(Long.toString(GROUP), sent.getMessageId())));
  }

  @Test
  void commandsAreSetAndReadBack() throws Exception {
    bot.execute(
        new SetMyCommands(
            List.of(new BotCommand("status", "Show a mission"), new BotCommand("help", "Help"))));

    assertEquals(
        List.of(
            new BotApi.BotCommand("status", "Show a mission"),
            new BotApi.BotCommand("help", "Help")),
        api.commands());
    List<BotCommand> read = bot.execute(new GetMyCommands());
    assertEquals("status", read.get(0).getCommand());
    assertEquals(
        "Bad Request: BOT_COMMAND_INVALID",
        raw("setMyCommands", "{\"commands\":[{\"command\":\"Status\",\"description\":\"x\"}]}")
            .path("description")
            .asText());
  }

  @Test
  void aWrongTokenIsUnauthorizedAndAnUnknownMethodNotFound() throws Exception {
    OkHttpTelegramClient stranger =
        new OkHttpTelegramClient(
            http, "987654321:AAHwrongwrongwrongwrongwrongwrong00", telegramUrl());
    assertRefused(401, "Unauthorized", () -> stranger.execute(new GetMe()));

    HttpResponse<String> unknown = post("/bot" + TOKEN + "/fooBar", "application/json", "{}");
    assertEquals(404, unknown.statusCode());
    assertEquals(
        "{\"ok\":false,\"error_code\":404,\"description\":\"Not Found: method not found\"}",
        unknown.body());

    HttpResponse<String> form =
        post(
            "/bot" + TOKEN + "/SENDMESSAGE",
            "application/x-www-form-urlencoded",
            "chat_id=" + GROUP + "&text=caf%C3%A9");
    assertEquals(200, form.statusCode());
    assertEquals("café", JSON.readTree(form.body()).path("result").path("text").asText());
  }

  private ForumTopic createTopic(String name) throws TelegramApiException {
    return bot.execute(CreateForumTopic.builder().chatId(GROUP).name(name).build());
  }

  private static SendMessage.SendMessageBuilder<?, ?> message(String text) {
    return SendMessage.builder().chatId(GROUP).text(text);
  }

  private static EditMessageText sameEdit(int messageId) {
    return EditMessageText.builder()
        .chatId(GROUP)
        .messageId(messageId)
        .text("Approve?")
        .replyMarkup(keyboard("once"))
        .build();
  }

  private static InlineKeyboardMarkup keyboard(String... callbackData) {
    InlineKeyboardRow row = new InlineKeyboardRow();
    for (String data : callbackData) {
      row.add(InlineKeyboardButton.builder().text(data.split(":")[0]).callbackData(data).build());
    }
    return new InlineKeyboardMarkup(List.of(row));
  }

  private static void assertRefused(int code, String description, Executable call) {
    TelegramApiRequestException refused = assertThrows(TelegramApiRequestException.class, call);
    assertEquals(code, refused.getErrorCode(), refused.getMessage());
    assertEquals(description, refused.getApiResponse());
  }

  private TelegramUrl telegramUrl() {
    return new TelegramUrl("http", api.host(), api.port(), false);
  }

  private JsonNode raw(String method, String json) throws IOException, InterruptedException {
    return JSON.readTree(post("/bot" + TOKEN + "/" + method, "application/json", json).body());
  }

  private HttpResponse<String> post(String path, String contentType, String body)
      throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(api.url() + path))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static java.util.concurrent.ThreadFactory daemon() {
    return task -> {
      Thread thread = new Thread(task, "long-polling");
      thread.setDaemon(true);
      return thread;
    };
  }
}
