package ai.intercom.telegram;

import ai.intercom.security.Secrets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * How the bridge's parts send: through the {@link Outbox} (one line, within Telegram's limits),
 * long texts split into messages Telegram accepts, and button presses answered at once (they expire
 * within seconds and do not count towards the limits).
 */
final class Sender {

  private final ActorRef<Outbox.Command> outbox;
  private final Bot bot;
  private final Executor blocking;
  private final long supergroupId;

  Sender(ActorRef<Outbox.Command> outbox, Bot bot, Executor blocking, long supergroupId) {
    this.outbox = outbox;
    this.bot = bot;
    this.blocking = blocking;
    this.supergroupId = supergroupId;
  }

  long supergroupId() {
    return supergroupId;
  }

  /**
   * Sends {@code html} to a chat (a topic of it, or outside topics with null), split into parts if
   * it is long, the buttons under the last part; answers the id of the last message.
   */
  CompletionStage<Integer> send(
      Outbox.Priority priority,
      long chatId,
      Integer threadId,
      String html,
      List<List<Bot.Button>> buttons) {
    List<String> parts = TelegramText.split(Secrets.redact(html), TelegramText.PART_CHARS);
    CompletionStage<Integer> sent = CompletableFuture.completedFuture(0);
    for (int i = 0; i < parts.size(); i++) {
      String part = parts.get(i);
      List<List<Bot.Button>> under = i == parts.size() - 1 ? buttons : List.of();
      sent =
          sent.thenCompose(
              previous ->
                  this.<Integer>post(priority, null, b -> b.send(chatId, threadId, part, under)));
    }
    return sent;
  }

  /** Sends into the supergroup. */
  CompletionStage<Integer> post(Outbox.Priority priority, Integer threadId, String html) {
    return send(priority, supergroupId, threadId, html, List.of());
  }

  /**
   * Replaces a message's text (cut to one message); {@code coalesceKey}: a newer edit with the same
   * key replaces this one while it waits (progress).
   */
  CompletionStage<Void> edit(
      Outbox.Priority priority,
      String coalesceKey,
      long chatId,
      int messageId,
      String html,
      List<List<Bot.Button>> buttons) {
    String part = TelegramText.split(Secrets.redact(html), TelegramText.PART_CHARS).get(0);
    return this.<Object>post(
            priority,
            coalesceKey,
            b -> {
              b.edit(chatId, messageId, part, buttons);
              return Boolean.TRUE;
            })
        .thenApply(ignored -> null);
  }

  CompletionStage<Integer> createTopic(String name) {
    String masked = Secrets.redact(name);
    // a mask may be longer than the short secret it hides
    String shown =
        masked.length() <= TelegramText.TOPIC_NAME_CHARS
            ? masked
            : cut(masked, TelegramText.TOPIC_NAME_CHARS - 1) + "…";
    return post(Outbox.Priority.CARD, null, b -> b.createTopic(shown));
  }

  /** Shows "typing…" in a chat for a few seconds; best effort, outside the line. */
  void typing(long chatId, Integer threadId) {
    CompletableFuture.runAsync(() -> bot.typing(chatId, threadId), blocking)
        .exceptionally(error -> null);
  }

  /** The first {@code length} characters, one less rather than half a surrogate pair. */
  private static String cut(String text, int length) {
    int end = Character.isHighSurrogate(text.charAt(length - 1)) ? length - 1 : length;
    return text.substring(0, end);
  }

  /** Answers a button press now, outside the line (a late answer is worth nothing). */
  CompletionStage<Void> answer(String queryId, String notice) {
    String shown = notice.length() > 190 ? notice.substring(0, 189) + "…" : notice;
    return CompletableFuture.runAsync(() -> bot.answer(queryId, shown), blocking);
  }

  @SuppressWarnings("unchecked")
  private <T> CompletionStage<T> post(
      Outbox.Priority priority, String coalesceKey, java.util.function.Function<Bot, T> call) {
    CompletableFuture<Object> done = new CompletableFuture<>();
    outbox.tell(new Outbox.Post(priority, coalesceKey, b -> call.apply(b), done));
    return done.thenApply(answer -> (T) answer);
  }
}
