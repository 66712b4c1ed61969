package ai.intercom.telegram;

import java.util.List;

/**
 * What the bridge asks of the Telegram Bot API, in its own terms; {@link TelegramBotsBot} does it
 * with the TelegramBots client. Calls block (the bridge makes them off its actor's thread) and fail
 * with a {@link Failure} that says whether to try again.
 */
public interface Bot {

  /**
   * A button under a message: its label and the callback data it sends (see {@link CallbackData}).
   */
  record Button(String label, String data) {}

  /** Someone wrote in a chat the bot is in. {@code threadId}: the forum topic, or null. */
  record Text(long chatId, Integer threadId, long userId, String userName, String text) {}

  /** Someone pressed a button under the bot's message {@code messageId}. */
  record Press(
      String queryId, long chatId, int messageId, long userId, String userName, String data) {}

  /** One update: a {@link Text}, a {@link Press}, or neither (kinds the bridge does not use). */
  record Update(long updateId, Text text, Press press) {}

  /**
   * A call that did not succeed. {@code retryAfterSeconds} > 0: flood control, wait that long;
   * {@code transient}: the API could not be reached or failed (5xx), try again; else the request
   * itself was refused (4xx), and sending it again changes nothing.
   */
  final class Failure extends RuntimeException {
    private final int code;
    private final int retryAfterSeconds;
    private final boolean transientError;

    Failure(
        String message, int code, int retryAfterSeconds, boolean transientError, Throwable cause) {
      super(message, cause);
      this.code = code;
      this.retryAfterSeconds = retryAfterSeconds;
      this.transientError = transientError;
    }

    int code() {
      return code;
    }

    int retryAfterSeconds() {
      return retryAfterSeconds;
    }

    /** Whether the same request may succeed later. */
    boolean retriable() {
      return transientError || retryAfterSeconds > 0;
    }
  }

  /** The next updates after {@code offset}, waiting up to {@code timeoutSeconds} for one. */
  List<Update> updates(long offset, int timeoutSeconds);

  /** The bot's command menu. */
  void setCommands(List<String[]> commandsAndDescriptions);

  /** A new forum topic in the supergroup; answers its thread id. */
  int createTopic(String name);

  /** Sends HTML text into a chat (a topic of it, or outside topics when null); answers its id. */
  int send(long chatId, Integer threadId, String html, List<List<Button>> buttons);

  /** Replaces a message's text; no buttons removes them. */
  void edit(long chatId, int messageId, String html, List<List<Button>> buttons);

  /** Shows that the bot is typing (sendChatAction). */
  void typing(long chatId, Integer threadId);

  /** Answers a button press with a short notice. */
  void answer(String queryId, String notice);
}
