package ai.intercom.telegram;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import okhttp3.OkHttpClient;
import org.telegram.telegrambots.client.okhttp.OkHttpTelegramClient;
import org.telegram.telegrambots.meta.TelegramUrl;
import org.telegram.telegrambots.meta.api.methods.ActionType;
import org.telegram.telegrambots.meta.api.methods.AnswerCallbackQuery;
import org.telegram.telegrambots.meta.api.methods.botapimethods.BotApiMethod;
import org.telegram.telegrambots.meta.api.methods.commands.SetMyCommands;
import org.telegram.telegrambots.meta.api.methods.forum.CreateForumTopic;
import org.telegram.telegrambots.meta.api.methods.send.SendChatAction;
import org.telegram.telegrambots.meta.api.methods.send.SendMessage;
import org.telegram.telegrambots.meta.api.methods.updates.DeleteWebhook;
import org.telegram.telegrambots.meta.api.methods.updates.GetUpdates;
import org.telegram.telegrambots.meta.api.methods.updatingmessages.EditMessageText;
import org.telegram.telegrambots.meta.api.objects.commands.BotCommand;
import org.telegram.telegrambots.meta.api.objects.message.MaybeInaccessibleMessage;
import org.telegram.telegrambots.meta.api.objects.message.Message;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.InlineKeyboardMarkup;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.buttons.InlineKeyboardButton;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.buttons.InlineKeyboardRow;
import org.telegram.telegrambots.meta.exceptions.TelegramApiException;
import org.telegram.telegrambots.meta.exceptions.TelegramApiRequestException;

/** The Bot API through the TelegramBots client, at any base URL (a local Bot API server too). */
final class TelegramBotsBot implements Bot, AutoCloseable {

  private final long supergroupId;
  private final OkHttpClient http;
  private final OkHttpTelegramClient client;

  /**
   * {@code pollTimeout}: how long a getUpdates call may wait; the HTTP read timeout allows it (the
   * client's default of 10 s would not).
   */
  TelegramBotsBot(String token, URI apiUrl, long supergroupId, Duration pollTimeout) {
    this.supergroupId = supergroupId;
    this.http =
        new OkHttpClient.Builder()
            .connectTimeout(Duration.ofSeconds(10))
            .readTimeout(pollTimeout.plusSeconds(15))
            .writeTimeout(Duration.ofSeconds(15))
            .build();
    int port =
        apiUrl.getPort() > 0 ? apiUrl.getPort() : "https".equals(apiUrl.getScheme()) ? 443 : 80;
    this.client =
        new OkHttpTelegramClient(
            http, token, new TelegramUrl(apiUrl.getScheme(), apiUrl.getHost(), port, false));
  }

  /** Long polling needs no webhook: one left behind would make getUpdates fail. */
  void dropWebhook() {
    call(new DeleteWebhook());
  }

  @Override
  public List<Update> updates(long offset, int timeoutSeconds) {
    List<org.telegram.telegrambots.meta.api.objects.Update> got =
        call(
            GetUpdates.builder()
                .offset((int) offset)
                .timeout(timeoutSeconds)
                .limit(100)
                .allowedUpdates(List.of("message", "callback_query"))
                .build());
    List<Update> updates = new ArrayList<>(got.size());
    for (var update : got) {
      updates.add(translate(update));
    }
    return updates;
  }

  private static Update translate(org.telegram.telegrambots.meta.api.objects.Update update) {
    long id = update.getUpdateId();
    Message message = update.getMessage();
    if (message != null && message.hasText() && message.getFrom() != null) {
      return new Update(
          id,
          new Text(
              message.getChatId(),
              Boolean.TRUE.equals(message.getIsTopicMessage())
                  ? message.getMessageThreadId()
                  : null,
              message.getFrom().getId(),
              name(message.getFrom()),
              message.getText()),
          null);
    }
    var query = update.getCallbackQuery();
    if (query != null && query.getFrom() != null) {
      MaybeInaccessibleMessage pressedOn = query.getMessage();
      return new Update(
          id,
          null,
          new Press(
              query.getId(),
              pressedOn == null ? 0 : pressedOn.getChatId(),
              pressedOn == null ? 0 : pressedOn.getMessageId(),
              query.getFrom().getId(),
              name(query.getFrom()),
              query.getData() == null ? "" : query.getData()));
    }
    return new Update(id, null, null);
  }

  private static String name(org.telegram.telegrambots.meta.api.objects.User user) {
    String name = user.getFirstName() == null ? "" : user.getFirstName();
    if (user.getLastName() != null && !user.getLastName().isBlank()) {
      name = name + " " + user.getLastName();
    }
    if (name.isBlank()) {
      name = user.getUserName() == null ? String.valueOf(user.getId()) : user.getUserName();
    }
    return name.strip();
  }

  @Override
  public void setCommands(List<String[]> commands) {
    List<BotCommand> menu = new ArrayList<>();
    for (String[] command : commands) {
      menu.add(new BotCommand(command[0], command[1]));
    }
    call(new SetMyCommands(menu));
  }

  @Override
  public int createTopic(String name) {
    return call(CreateForumTopic.builder().chatId(supergroupId).name(name).build())
        .getMessageThreadId();
  }

  @Override
  public int send(long chatId, Integer threadId, String html, List<List<Button>> buttons) {
    SendMessage.SendMessageBuilder<?, ?> message =
        SendMessage.builder()
            .chatId(chatId)
            .messageThreadId(threadId)
            .text(html)
            .parseMode("HTML")
            .disableWebPagePreview(true);
    if (!buttons.isEmpty()) {
      message.replyMarkup(keyboard(buttons));
    }
    return call(message.build()).getMessageId();
  }

  @Override
  public void edit(long chatId, int messageId, String html, List<List<Button>> buttons) {
    EditMessageText.EditMessageTextBuilder<?, ?> edit =
        EditMessageText.builder()
            .chatId(chatId)
            .messageId(messageId)
            .text(html)
            .parseMode("HTML")
            .disableWebPagePreview(true);
    if (!buttons.isEmpty()) {
      edit.replyMarkup(keyboard(buttons));
    }
    try {
      call(edit.build());
    } catch (Failure e) {
      // an edit to what the message already says has nothing left to do
      if (!(e.code() == 400 && e.getMessage().contains("message is not modified"))) {
        throw e;
      }
    }
  }

  @Override
  public void typing(long chatId, Integer threadId) {
    call(
        SendChatAction.builder()
            .chatId(chatId)
            .messageThreadId(threadId)
            .action(ActionType.TYPING.toString())
            .build());
  }

  @Override
  public void answer(String queryId, String notice) {
    try {
      call(AnswerCallbackQuery.builder().callbackQueryId(queryId).text(notice).build());
    } catch (Failure e) {
      // a press answered too late (Telegram gives a few seconds) only loses its notice
      if (e.retriable()) {
        throw e;
      }
    }
  }

  private static InlineKeyboardMarkup keyboard(List<List<Button>> buttons) {
    List<InlineKeyboardRow> rows = new ArrayList<>();
    for (List<Button> row : buttons) {
      InlineKeyboardRow keys = new InlineKeyboardRow();
      for (Button button : row) {
        keys.add(
            InlineKeyboardButton.builder()
                .text(button.label())
                .callbackData(button.data())
                .build());
      }
      rows.add(keys);
    }
    return InlineKeyboardMarkup.builder().keyboard(rows).build();
  }

  private <T extends java.io.Serializable> T call(BotApiMethod<T> method) {
    try {
      return client.execute(method);
    } catch (TelegramApiRequestException e) {
      int retryAfter =
          e.getParameters() != null && e.getParameters().getRetryAfter() != null
              ? e.getParameters().getRetryAfter()
              : 0;
      int code = e.getErrorCode() == null ? 0 : e.getErrorCode();
      // no API response: the answer was not the Bot API's JSON (a proxy's error page)
      String said = e.getApiResponse() != null ? e.getApiResponse() : e.getMessage();
      throw new Failure(
          method.getMethod() + ": [" + code + "] " + said,
          code,
          code == 429 ? Math.max(1, retryAfter) : 0,
          code == 0 || code >= 500,
          e);
    } catch (TelegramApiException e) {
      // not answered: the API is down or unreachable (a cause of IOException), or the client
      // refused the request before sending it
      boolean unreachable = e.getCause() instanceof IOException;
      // the cause says why (unknown host, connection refused, timeout); the message only what
      String why =
          e.getCause() == null
              ? e.getMessage()
              : e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage();
      throw new Failure(method.getMethod() + ": " + why, 0, 0, unreachable, e);
    }
  }

  @Override
  public void close() {
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }
}
