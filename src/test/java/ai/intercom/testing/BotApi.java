package ai.intercom.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A local stand-in for the Telegram Bot API (https://core.telegram.org/bots/api), on a real socket
 * (127.0.0.1, a free port), so the real TelegramBots client and long-polling application can run
 * against it in tests. It holds the state of one forum supergroup (topics, messages, buttons) and
 * of the private chats users open with the bot, and answers as the service does, down to its
 * refusals: the same status codes, {@code {"ok":false,"error_code":N,"description":...}} bodies and
 * descriptions as the Bot API server ({@code tdlib/telegram-bot-api} with TDLib) gives.
 *
 * <p>Served methods (names match case-insensitively, as on the service): {@code getMe}, {@code
 * getUpdates}, {@code deleteWebhook}, {@code getWebhookInfo}, {@code setMyCommands}, {@code
 * getMyCommands}, {@code deleteMyCommands}, {@code createForumTopic}, {@code editForumTopic},
 * {@code closeForumTopic}, {@code reopenForumTopic}, {@code deleteForumTopic}, {@code sendMessage},
 * {@code editMessageText}, {@code editMessageReplyMarkup}, {@code deleteMessage}, {@code
 * answerCallbackQuery}. Any other method is answered as an unknown one (404). Parameters may come
 * as a JSON body, a form, multipart form data or the query string, and are read as the server reads
 * them: every value as a string, numbers parsed leniently.
 *
 * <p>Behaviour taken from the service, not invented: text is parsed for HTML, MarkdownV2 and
 * Markdown entities with the service's error messages and UTF-8 byte offsets, then trimmed of
 * spaces and newlines, and must be 1-4096 characters; topic names are cleaned and cut to 128
 * characters; messages in a topic carry {@code message_thread_id}, {@code is_topic_message} and, as
 * an implicit reply, the topic's creation message; {@code editMessageText} without {@code
 * reply_markup} removes the keyboard; long polling blocks up to {@code timeout} seconds (at most
 * 50), confirms updates below {@code offset}, and a newer waiting {@code getUpdates} ends the older
 * one with 409; {@code allowed_updates} filters updates as they are created; flood control answers
 * 429 with {@code retry_after}. A test drives the human side with {@link #userSends} and {@link
 * #userPresses} and reads the state and every request back; waits use the monitor, never a sleep.
 *
 * <p>Outages, as a client sees them: {@link #refuseConnections} closes the socket (the port then
 * refuses connections, open ones are cut, a waiting long poll loses its connection) and later
 * listens again on the same port with the same state; {@link #failWith} answers every request with
 * a 5xx without acting on it, as the proxy in front of the Bot API does when the server behind it
 * is away (502, 503, 504: nginx's HTML page) or as the Bot API itself does (500: its JSON error).
 */
public final class BotApi implements AutoCloseable {

  /**
   * The colours {@code createForumTopic} accepts for {@code icon_color}; the first is the default.
   */
  public static final List<Integer> TOPIC_ICON_COLORS =
      List.of(0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern TOKEN = Pattern.compile("([1-9][0-9]{0,15}):[A-Za-z0-9_-]{20,}");
  private static final Pattern COMMAND_NAME = Pattern.compile("[a-z0-9_]+");
  private static final Pattern BOT_COMMAND =
      Pattern.compile(
          "(?<![A-Za-z0-9_/])/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_])");
  private static final String BOT_FIRST_NAME = "AI-Intercom";
  private static final String BOT_USERNAME = "ai_intercom_test_bot";
  private static final String SUPERGROUP_TITLE = "AI-Intercom";
  private static final int GENERAL_TOPIC_ID = 1;
  private static final int LONG_POLL_MAX_TIMEOUT = 50;
  private static final int MAX_MESSAGE_LENGTH = 4096;
  private static final int MAX_RAW_TEXT_BYTES = 1 << 15;
  private static final int MAX_CALLBACK_DATA_BYTES = 64;
  private static final int MAX_CALLBACK_ANSWER_LENGTH = 200;
  private static final int MAX_TOPIC_NAME_LENGTH = 128;
  private static final int MAX_COMMAND_LENGTH = 32;
  private static final int MAX_COMMAND_DESCRIPTION_LENGTH = 256;
  private static final String NOT_MODIFIED =
      "message is not modified: specified new message content and reply markup are exactly the"
          + " same as a current content and reply markup of the message";
  private static final String QUERY_TOO_OLD =
      "query is too old and response timeout expired or query ID is invalid";
  private static final Set<String> DEFAULT_UPDATE_TYPES =
      Set.of(
          "message",
          "edited_message",
          "channel_post",
          "edited_channel_post",
          "business_connection",
          "business_message",
          "edited_business_message",
          "deleted_business_messages",
          "inline_query",
          "chosen_inline_result",
          "callback_query",
          "shipping_query",
          "pre_checkout_query",
          "purchased_paid_media",
          "poll",
          "poll_answer",
          "my_chat_member",
          "chat_join_request",
          "chat_boost",
          "removed_chat_boost");
  private static final Set<String> OPT_IN_UPDATE_TYPES =
      Set.of("chat_member", "message_reaction", "message_reaction_count");
  private static final Set<String> BOT_COMMAND_SCOPES =
      Set.of(
          "default",
          "all_private_chats",
          "all_group_chats",
          "all_chat_administrators",
          "chat",
          "chat_administrators",
          "chat_member");
  private static final Map<String, String> METHOD_NAMES =
      List.of(
              "getMe",
              "getUpdates",
              "deleteWebhook",
              "getWebhookInfo",
              "setMyCommands",
              "getMyCommands",
              "deleteMyCommands",
              "createForumTopic",
              "editForumTopic",
              "closeForumTopic",
              "reopenForumTopic",
              "deleteForumTopic",
              "sendMessage",
              "editMessageText",
              "editMessageReplyMarkup",
              "deleteMessage",
              "answerCallbackQuery")
          .stream()
          .collect(Collectors.toMap(name -> name.toLowerCase(Locale.ROOT), name -> name));

  /**
   * One HTTP request as the stand-in received and answered it. {@code method} is the Bot API name
   * ({@code sendMessage}) when the method is known, else the lower-cased path segment; {@code
   * sentAs} is the segment as the client wrote it; {@code params} holds the parameters as sent
   * (JSON values as they were, form fields as strings); {@code response} is the JSON answer (a text
   * node for an HTML page); {@code at} is when the request came in.
   */
  public record Request(
      long seq,
      String method,
      String sentAs,
      ObjectNode params,
      int status,
      JsonNode response,
      Instant at) {

    public boolean ok() {
      return status == 200;
    }

    /** A parameter as the server reads it: strings as they are, other JSON values as JSON. */
    public String param(String name) {
      JsonNode value = params.get(name);
      return value == null ? null : value.isTextual() ? value.asText() : value.toString();
    }

    public String description() {
      return response.path("description").asText(null);
    }

    String summary() {
      return method + " " + params + " -> " + status + " " + response;
    }
  }

  /** A forum topic of the supergroup. */
  public record Topic(int threadId, String name, int iconColor, boolean closed) {}

  /** An earlier state of an edited message. */
  public record Version(String text, JsonNode entities, JsonNode replyMarkup) {}

  /**
   * A message as it stands now. {@code threadId} is null outside topics; {@code replyMarkup} is the
   * inline keyboard or null; {@code edits} are the earlier versions, oldest first; {@code json} is
   * the Message object as the Bot API would return it.
   */
  public record ChatMessage(
      long chatId,
      Integer threadId,
      int messageId,
      long fromId,
      boolean fromBot,
      String text,
      JsonNode entities,
      JsonNode replyMarkup,
      List<Version> edits,
      JsonNode json) {

    public boolean hasKeyboard() {
      return replyMarkup != null;
    }

    /** The callback data of the inline buttons, row by row. */
    public List<String> callbackData() {
      List<String> data = new ArrayList<>();
      if (replyMarkup != null) {
        for (JsonNode row : replyMarkup.path("inline_keyboard")) {
          for (JsonNode button : row) {
            if (button.has("callback_data")) {
              data.add(button.get("callback_data").asText());
            }
          }
        }
      }
      return data;
    }
  }

  /** How the bot answered a button press. */
  public record CallbackAnswer(
      String queryId, String text, boolean showAlert, String url, int cacheTime) {}

  /** One entry of the bot's command menu. */
  public record BotCommand(String command, String description) {}

  private final ExecutorService executor;
  private final String token;
  private final long botId;
  private final long supergroupId;
  private final Map<String, Handler> handlers = new HashMap<>();

  // All state below is guarded by this object's monitor; every change ends with notifyAll().
  private final Map<Long, Chat> chats = new LinkedHashMap<>();
  private final Map<Long, String> users = new HashMap<>();
  private final ArrayDeque<QueuedUpdate> updates = new ArrayDeque<>();
  private final Map<String, PendingQuery> queries = new HashMap<>();
  private final List<CallbackAnswer> answers = new ArrayList<>();
  private final Map<String, List<BotCommand>> commands = new HashMap<>();
  private final ArrayDeque<Request> requests = new ArrayDeque<>();
  private int nextUpdateId = 100_000_000 + RANDOM.nextInt(800_000_000);
  private Set<String> allowedUpdates = DEFAULT_UPDATE_TYPES;
  private long pollTickets;
  private long waitingPoll;
  private int previousOffset = Integer.MIN_VALUE;
  private long previousPollNanos;
  private long requestSeq;
  private int maxRequests = 10_000;
  private int groupFloodLimit = 20;
  private Duration groupFloodWindow = Duration.ofMinutes(1);
  private int privateFloodLimit = 5;
  private Duration privateFloodWindow = Duration.ofSeconds(5);
  private Duration callbackQueryTimeout = Duration.ofSeconds(10);
  private int inFlight;
  private boolean closed;
  private HttpServer server;
  private int port;
  private boolean refusing;
  private int failing;

  private BotApi(ExecutorService executor, String token, long supergroupId) {
    this.executor = executor;
    this.token = token;
    this.botId = Long.parseLong(token.substring(0, token.indexOf(':')));
    this.supergroupId = supergroupId;
    chats.put(supergroupId, new Chat(supergroupId, true, SUPERGROUP_TITLE, 2));
    handlers.put("getme", this::getMe);
    handlers.put("getupdates", this::getUpdates);
    handlers.put("deletewebhook", this::deleteWebhook);
    handlers.put("getwebhookinfo", this::getWebhookInfo);
    handlers.put("setmycommands", this::setMyCommands);
    handlers.put("getmycommands", this::getMyCommands);
    handlers.put("deletemycommands", this::deleteMyCommands);
    handlers.put("createforumtopic", this::createForumTopic);
    handlers.put("editforumtopic", this::editForumTopic);
    handlers.put("closeforumtopic", args -> toggleForumTopic(args, true));
    handlers.put("reopenforumtopic", args -> toggleForumTopic(args, false));
    handlers.put("deleteforumtopic", this::deleteForumTopic);
    handlers.put("sendmessage", this::sendMessage);
    handlers.put("editmessagetext", this::editMessageText);
    handlers.put("editmessagereplymarkup", this::editMessageReplyMarkup);
    handlers.put("deletemessage", this::deleteMessage);
    handlers.put("sendchataction", this::sendChatAction);
    handlers.put("answercallbackquery", this::answerCallbackQuery);
  }

  /**
   * Starts a stand-in for the bot with this token (as BotFather issues them, {@code <bot
   * id>:<secret>}) that is an administrator of the forum supergroup {@code supergroupId} (a {@code
   * -100...} id).
   */
  public static BotApi start(String token, long supergroupId) {
    if (token == null || !TOKEN.matcher(token).matches()) {
      throw new IllegalArgumentException("a bot token looks like 123456789:AAH...: " + token);
    }
    if (supergroupId > -1_000_000_000_000L) {
      throw new IllegalArgumentException("a supergroup id starts with -100: " + supergroupId);
    }
    try {
      // A thread per exchange: a long poll holds its exchange while other requests go on.
      ExecutorService executor =
          Executors.newCachedThreadPool(
              task -> {
                Thread thread = new Thread(task, "bot-api");
                thread.setDaemon(true);
                return thread;
              });
      BotApi api = new BotApi(executor, token, supergroupId);
      synchronized (api) {
        api.server = api.listen(0);
        api.port = api.server.getAddress().getPort();
      }
      return api;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the Bot API stand-in", e);
    }
  }

  private HttpServer listen(int port) throws IOException {
    HttpServer listening =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    listening.createContext("/", this::handle);
    listening.setExecutor(executor);
    listening.start();
    return listening;
  }

  /** The base URL, {@code http://127.0.0.1:PORT}; requests go to {@code /bot<token>/<method>}. */
  public String url() {
    return "http://" + host() + ":" + port();
  }

  public String host() {
    return "127.0.0.1";
  }

  /** The port, the same across outages. */
  public synchronized int port() {
    return port;
  }

  public long botId() {
    return botId;
  }

  public String botUsername() {
    return BOT_USERNAME;
  }

  public long supergroupId() {
    return supergroupId;
  }

  /**
   * Flood control per chat: at most {@code messages} sent, edited or topic-creating requests in any
   * {@code window}, else 429. Default for the supergroup: 20 a minute, as the Bot FAQ states.
   */
  public synchronized BotApi groupFloodLimit(int messages, Duration window) {
    this.groupFloodLimit = messages;
    this.groupFloodWindow = window;
    return this;
  }

  /**
   * Flood control for private chats. Default 5 in 5 seconds: the FAQ's "about one message per
   * second, short bursts allowed".
   */
  public synchronized BotApi privateFloodLimit(int messages, Duration window) {
    this.privateFloodLimit = messages;
    this.privateFloodWindow = window;
    return this;
  }

  /**
   * How long a button press can be answered. The service does not document it; bots report about 5
   * to 15 seconds. Default 10 seconds.
   */
  public synchronized BotApi callbackQueryTimeout(Duration timeout) {
    this.callbackQueryTimeout = timeout;
    return this;
  }

  /** How many request records to keep (the oldest go first). Default 10,000. */
  public synchronized BotApi keepRequests(int count) {
    this.maxRequests = Math.max(1, count);
    while (requests.size() > maxRequests) {
      requests.removeFirst();
    }
    return this;
  }

  /**
   * Takes the service off the network ({@code true}) or brings it back ({@code false}). Off: the
   * listening socket closes, so connecting is refused; requests under way are answered (up to a
   * second), then open connections are cut, a waiting long poll among them, without an answer.
   * Back: a new socket on the same port, serving the same chats, updates and records as before.
   */
  public BotApi refuseConnections(boolean refuse) {
    HttpServer stopping;
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the stand-in is closed");
      }
      if (refuse == refusing) {
        return this;
      }
      refusing = refuse;
      notifyAll();
      if (!refuse) {
        server = listenAgain();
        return this;
      }
      stopping = server;
      server = null;
    }
    stopping.stop(1);
    return this;
  }

  /** The old socket's port may linger a moment after it closed. */
  private HttpServer listenAgain() {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (true) {
      try {
        return listen(port);
      } catch (BindException e) {
        if (System.nanoTime() > deadline) {
          throw new UncheckedIOException("could not listen on port " + port + " again", e);
        }
        try {
          waitFor(50_000_000L);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(interrupted);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("could not listen on port " + port + " again", e);
      }
    }
  }

  /**
   * Answers every request, a waiting long poll too, with {@code status} and acts on none, until
   * {@link #recover}: 500 as the Bot API server words it ({@code {"ok":false,"error_code":500,
   * "description":"Internal Server Error"}}), 502, 503 or 504 as nginx in front of it does (an HTML
   * page). The requests are kept with that status.
   */
  public synchronized BotApi failWith(int status) {
    if (status != 500 && gatewayReason(status) == null) {
      throw new IllegalArgumentException("an outage answers 500, 502, 503 or 504, not " + status);
    }
    failing = status;
    notifyAll();
    return this;
  }

  /** Ends {@link #failWith}: requests are served again. */
  public synchronized BotApi recover() {
    failing = 0;
    notifyAll();
    return this;
  }

  private static String gatewayReason(int status) {
    return switch (status) {
      case 502 -> "Bad Gateway";
      case 503 -> "Service Temporarily Unavailable";
      case 504 -> "Gateway Time-out";
      default -> null;
    };
  }

  /** Whether requests get no service now: off the network or failing. */
  private boolean unavailable() {
    return refusing || failing != 0;
  }

  /**
   * A user writes {@code text} in the supergroup ({@code chatId} = the supergroup id, {@code
   * threadId} a topic or null for General) or in their private chat with the bot ({@code chatId} =
   * {@code userId}). The user is taken to be an administrator, so closed topics accept it too.
   * Commands in the text get {@code bot_command} entities. Returns the message id.
   */
  public synchronized int userSends(
      long userId, String firstName, long chatId, Integer threadId, String text) {
    requireUser(userId, firstName);
    if (text == null || text.isBlank() || text.codePointCount(0, text.length()) > 4096) {
      throw new IllegalArgumentException("a user sends 1-4096 characters: " + text);
    }
    Chat chat = userChat(userId, firstName, chatId);
    if (threadId != null) {
      if (!chat.forum || !chat.topics.containsKey(threadId)) {
        throw new IllegalArgumentException("no topic " + threadId + " in chat " + chatId);
      }
    }
    users.put(userId, firstName);
    ArrayNode entities = JSON.createArrayNode();
    Matcher command = BOT_COMMAND.matcher(text);
    while (command.find()) {
      entities
          .addObject()
          .put("offset", command.start())
          .put("length", command.end() - command.start())
          .put("type", "bot_command");
    }
    Posted message = chat.post(userId, false, threadId, null);
    message.text = text;
    message.entities = entities;
    enqueue("message", messageJson(chat, message, true));
    return message.id;
  }

  /**
   * Another group the bot was added to (not a forum), where users may write too: {@code chatId} is
   * negative, as group ids are.
   */
  public synchronized BotApi addGroup(long chatId, String title) {
    if (chatId >= 0 || chatId == supergroupId) {
      throw new IllegalArgumentException("a group id is negative and not the supergroup's");
    }
    chats.putIfAbsent(chatId, new Chat(chatId, false, title, 1));
    return this;
  }

  /** A user presses an inline button of a message the bot sent to the supergroup. */
  public String userPresses(long userId, String firstName, int messageId, String callbackData) {
    return userPresses(userId, firstName, supergroupId, messageId, callbackData);
  }

  /**
   * A user presses the inline button with {@code callbackData} under the bot's message {@code
   * messageId} in {@code chatId}. Returns the callback query id the bot must answer.
   */
  public synchronized String userPresses(
      long userId, String firstName, long chatId, int messageId, String callbackData) {
    requireUser(userId, firstName);
    Chat chat = userChat(userId, firstName, chatId);
    Posted message = chat.messages.get(messageId);
    if (message == null || message.deleted || !message.fromBot) {
      throw new IllegalArgumentException("no bot message " + messageId + " in chat " + chatId);
    }
    if (!callbackData(message.markup).contains(callbackData)) {
      throw new IllegalArgumentException(
          "message " + messageId + " has no button with callback data " + callbackData);
    }
    users.put(userId, firstName);
    String id = Long.toString(RANDOM.nextLong() & Long.MAX_VALUE);
    queries.put(id, new PendingQuery(System.nanoTime()));
    ObjectNode query = JSON.createObjectNode();
    query.put("id", id);
    query.set("from", userJson(userId));
    query.set("message", messageJson(chat, message, true));
    query.put("chat_instance", Long.toString(chat.instance));
    query.put("data", callbackData);
    enqueue("callback_query", query);
    return id;
  }

  /** The messages of a chat, in order: in topic {@code threadId}, or outside topics when null. */
  public synchronized List<ChatMessage> messages(long chatId, Integer threadId) {
    Chat chat = chats.get(chatId);
    List<ChatMessage> result = new ArrayList<>();
    if (chat != null) {
      for (Posted message : chat.messages.values()) {
        if (!message.deleted
            && message.serviceKind == null
            && Objects.equals(message.threadId, threadId)) {
          result.add(snapshot(chat, message));
        }
      }
    }
    return result;
  }

  /** The messages of a supergroup topic, in order. */
  public List<ChatMessage> messagesInTopic(int threadId) {
    return messages(supergroupId, threadId);
  }

  /** A message of a chat, unless it was deleted. */
  public synchronized Optional<ChatMessage> message(long chatId, int messageId) {
    Chat chat = chats.get(chatId);
    Posted message = chat == null ? null : chat.messages.get(messageId);
    if (message == null || message.deleted || message.serviceKind != null) {
      return Optional.empty();
    }
    return Optional.of(snapshot(chat, message));
  }

  /** The supergroup's topics, in creation order. */
  public synchronized List<Topic> topics() {
    return supergroup().topics.values().stream().map(TopicState::snapshot).toList();
  }

  public synchronized Optional<Topic> topic(int threadId) {
    return Optional.ofNullable(supergroup().topics.get(threadId)).map(TopicState::snapshot);
  }

  /** The commands set for the default scope and no language. */
  public List<BotCommand> commands() {
    return commands("{\"type\":\"default\"}", "");
  }

  /** The commands set for a scope (as JSON, e.g. {@code {"type":"all_group_chats"}}). */
  public synchronized List<BotCommand> commands(String scopeJson, String languageCode) {
    try {
      return List.copyOf(commands.getOrDefault(commandsKey(scopeJson, languageCode), List.of()));
    } catch (ApiError e) {
      throw new IllegalArgumentException(e.description, e);
    }
  }

  /** The answers the bot gave to button presses, in order. */
  public synchronized List<CallbackAnswer> callbackAnswers() {
    return List.copyOf(answers);
  }

  public synchronized Optional<CallbackAnswer> callbackAnswer(String queryId) {
    return answers.stream().filter(a -> a.queryId().equals(queryId)).findFirst();
  }

  /** Updates created and not yet confirmed by the bot. */
  public synchronized int pendingUpdates() {
    return updates.size();
  }

  /** Whether a {@code getUpdates} is waiting for an update right now. */
  public synchronized boolean isLongPolling() {
    return waitingPoll != 0;
  }

  /** The requests kept so far, oldest first (also the refused ones). */
  public synchronized List<Request> requests() {
    return List.copyOf(requests);
  }

  /** The requests for one method, by its Bot API name (any case). */
  public List<Request> requests(String method) {
    return requests().stream().filter(r -> r.method().equalsIgnoreCase(method)).toList();
  }

  /**
   * The first kept request (already answered or still to come) that matches, waiting up to {@code
   * timeout}; fails with the list of what did arrive.
   */
  public synchronized Request awaitRequest(Predicate<Request> matches, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long seen = 0;
    while (true) {
      for (Request request : requests) {
        if (request.seq() > seen) {
          if (matches.test(request)) {
            return request;
          }
          seen = request.seq();
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(
            "no matching Bot API request within "
                + timeout.toMillis()
                + " ms; received:"
                + (requests.isEmpty()
                    ? " nothing"
                    : requests.stream()
                        .map(r -> "\n  " + r.summary())
                        .collect(Collectors.joining())));
      }
      waitFor(left);
    }
  }

  /**
   * Waits until {@code condition} holds (it is checked again after every change of state), up to
   * {@code timeout}; fails naming {@code what}.
   */
  public synchronized void await(String what, BooleanSupplier condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(what + " not within " + timeout.toMillis() + " ms");
      }
      waitFor(left);
    }
  }

  /**
   * Stops serving: waiting long polls are answered (with no updates) and answers under way are
   * finished, up to two seconds, before the socket closes.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      notifyAll();
      long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
      try {
        while (inFlight > 0 && deadline - System.nanoTime() > 0) {
          waitFor(deadline - System.nanoTime());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    HttpServer stopping;
    synchronized (this) {
      stopping = server;
      server = null;
    }
    if (stopping != null) {
      stopping.stop(0);
    }
    executor.shutdownNow();
  }

  private void waitFor(long nanos) throws InterruptedException {
    wait(Math.max(1, nanos / 1_000_000), (int) (nanos % 1_000_000));
  }

  private static void requireUser(long userId, String firstName) {
    if (userId <= 0 || firstName == null || firstName.isBlank()) {
      throw new IllegalArgumentException("a user has a positive id and a first name");
    }
  }

  private Chat userChat(long userId, String firstName, long chatId) {
    if (chatId == supergroupId) {
      return supergroup();
    }
    if (chatId < 0 && chats.containsKey(chatId)) {
      return chats.get(chatId);
    }
    if (chatId != userId) {
      throw new IllegalArgumentException(
          "user "
              + userId
              + " writes in the supergroup or in their own private chat, not "
              + chatId);
    }
    return chats.computeIfAbsent(userId, id -> new Chat(id, false, firstName, 1));
  }

  private Chat supergroup() {
    return chats.get(supergroupId);
  }

  private ChatMessage snapshot(Chat chat, Posted message) {
    return new ChatMessage(
        chat.id,
        message.threadId,
        message.id,
        message.fromId,
        message.fromBot,
        message.text,
        message.entities.deepCopy(),
        message.markup == null ? null : message.markup.deepCopy(),
        List.copyOf(message.edits),
        messageJson(chat, message, true));
  }

  private void handle(HttpExchange exchange) {
    Instant received = Instant.now();
    synchronized (this) {
      if (closed || refusing) {
        // Like a stopped service: the connection goes, no answer.
        exchange.close();
        return;
      }
      inFlight++;
    }
    try {
      byte[] body = exchange.getRequestBody().readAllBytes();
      Outcome outcome = answer(incoming(exchange, body), received);
      if (outcome == Outcome.CUT) {
        return;
      }
      byte[] bytes;
      if (outcome.body().isTextual()) {
        bytes = outcome.body().asText().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/html");
      } else {
        bytes = JSON.writeValueAsBytes(outcome.body());
        exchange.getResponseHeaders().set("Content-Type", "application/json");
      }
      if (outcome.retryAfter() > 0) {
        exchange.getResponseHeaders().set("Retry-After", Integer.toString(outcome.retryAfter()));
      }
      exchange.sendResponseHeaders(outcome.status(), bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (IOException e) {
      // The client went away in the middle of an answer: nobody left to tell.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      // A fault of the stand-in itself: say so loudly rather than hang the client.
      try {
        byte[] bytes =
            JSON.writeValueAsBytes(
                Outcome.error(500, "Internal Server Error: the stand-in failed: " + e, 0).body());
        exchange.sendResponseHeaders(500, bytes.length);
        exchange.getResponseBody().write(bytes);
      } catch (IOException ignored) {
        // as above
      }
    } finally {
      exchange.close();
      synchronized (this) {
        inFlight--;
        notifyAll();
      }
    }
  }

  private synchronized Outcome answer(Incoming in, Instant received) throws InterruptedException {
    Outcome outcome;
    String method = METHOD_NAMES.getOrDefault(in.method(), in.method());
    if (refusing) {
      return Outcome.CUT;
    } else if (failing != 0) {
      outcome = Outcome.outage(failing);
    } else if (in.path() == null) {
      outcome = Outcome.error(404, "Not Found", 0);
    } else if (!isWellFormedToken(in.token())) {
      outcome = Outcome.error(401, "Unauthorized: invalid token specified", 0);
    } else if (!token.equals(in.token()) || in.testEnvironment()) {
      outcome = Outcome.error(401, "Unauthorized", 0);
    } else {
      Handler handler = handlers.get(in.method());
      if (handler == null) {
        outcome = Outcome.error(404, "Not Found: method not found", 0);
      } else {
        try {
          outcome = handler.handle(in.args()).outcome();
        } catch (ApiError e) {
          outcome = Outcome.error(e.code, e.description, e.retryAfter);
        }
        // a long poll that the outage ended: its connection is gone, or the proxy answers it
        if (refusing) {
          return Outcome.CUT;
        } else if (failing != 0) {
          outcome = Outcome.outage(failing);
        }
      }
    }
    requests.addLast(
        new Request(
            ++requestSeq,
            method,
            in.sentAs(),
            in.params(),
            outcome.status(),
            outcome.body(),
            received));
    while (requests.size() > maxRequests) {
      requests.removeFirst();
    }
    notifyAll();
    return outcome;
  }

  private static boolean isWellFormedToken(String token) {
    return !token.isEmpty()
        && token.charAt(0) != '0'
        && token.length() <= 80
        && token.indexOf(':') > 0
        && token.substring(0, token.indexOf(':')).chars().allMatch(Character::isDigit);
  }

  /** Reads a request as the Bot API server does: path, token, method and string arguments. */
  private static Incoming incoming(HttpExchange exchange, byte[] body) {
    String path = exchange.getRequestURI().getRawPath();
    Map<String, String> args = new LinkedHashMap<>();
    ObjectNode params = JSON.createObjectNode();
    readForm(exchange.getRequestURI().getRawQuery(), args, params);
    String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
    String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
    if (body.length > 0) {
      if (type.contains("application/x-www-form-urlencoded")) {
        readForm(new String(body, StandardCharsets.ISO_8859_1), args, params);
      } else if (type.contains("multipart/form-data")) {
        readMultipart(body, contentType, args, params);
      } else {
        // Anything else is read as JSON; the server only logs a body it cannot parse.
        readJson(body, args, params);
      }
    }
    if (path == null || !path.startsWith("/bot")) {
      return new Incoming(null, "", false, "", "", args, params);
    }
    int slash = path.indexOf('/', 4);
    if (slash < 0) {
      return new Incoming(null, "", false, "", "", args, params);
    }
    String token = URLDecoder.decode(path.substring(4, slash), StandardCharsets.UTF_8);
    String rest = path.substring(slash + 1);
    boolean test = false;
    if (rest.equals("test") || rest.startsWith("test/")) {
      test = true;
      rest = rest.length() > 4 ? rest.substring(5) : "";
    }
    String sentAs = URLDecoder.decode(rest, StandardCharsets.UTF_8);
    if (sentAs.isEmpty()) {
      sentAs = args.getOrDefault("method", "");
    }
    return new Incoming(
        path, token, test, sentAs.toLowerCase(Locale.ROOT), sentAs, Map.copyOf(args), params);
  }

  private static void readForm(String form, Map<String, String> args, ObjectNode params) {
    if (form == null || form.isEmpty()) {
      return;
    }
    for (String pair : form.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int equals = pair.indexOf('=');
      String name = decode(equals < 0 ? pair : pair.substring(0, equals));
      String value = equals < 0 ? "" : decode(pair.substring(equals + 1));
      if (args.putIfAbsent(name, value) == null) {
        params.put(name, value);
      }
    }
  }

  private static String decode(String raw) {
    return URLDecoder.decode(
        new String(raw.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8),
        StandardCharsets.UTF_8);
  }

  private static void readJson(byte[] body, Map<String, String> args, ObjectNode params) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (IOException e) {
      return;
    }
    if (root == null || !root.isObject()) {
      return;
    }
    root.properties()
        .forEach(
            field -> {
              JsonNode value = field.getValue();
              if (args.putIfAbsent(
                      field.getKey(), value.isTextual() ? value.asText() : value.toString())
                  == null) {
                params.set(field.getKey(), value);
              }
            });
  }

  private static void readMultipart(
      byte[] body, String contentType, Map<String, String> args, ObjectNode params) {
    Matcher boundary = Pattern.compile("boundary=\"?([^\";]+)\"?").matcher(contentType);
    if (!boundary.find()) {
      return;
    }
    String text = new String(body, StandardCharsets.ISO_8859_1);
    String delimiter = "--" + boundary.group(1);
    int at = text.indexOf(delimiter);
    while (at >= 0) {
      int start = at + delimiter.length();
      if (text.startsWith("--", start)) {
        return;
      }
      int next = text.indexOf("\r\n" + delimiter, start);
      if (next < 0) {
        return;
      }
      String part = text.substring(start, next);
      int headersEnd = part.indexOf("\r\n\r\n");
      if (headersEnd >= 0) {
        String headers = part.substring(0, headersEnd);
        String content = part.substring(headersEnd + 4);
        Matcher name = Pattern.compile("name=\"([^\"]*)\"").matcher(headers);
        Matcher file = Pattern.compile("filename=\"([^\"]*)\"").matcher(headers);
        if (name.find()) {
          if (file.find()) {
            params
                .putObject(name.group(1))
                .put("file", file.group(1))
                .put("size", content.length());
          } else {
            String value =
                new String(content.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
            if (args.putIfAbsent(name.group(1), value) == null) {
              params.put(name.group(1), value);
            }
          }
        }
      }
      at = next + 2;
    }
  }

  private Answer getMe(Args args) {
    ObjectNode me = userJson(botId);
    me.put("can_join_groups", true);
    me.put("can_read_all_group_messages", false);
    me.put("supports_inline_queries", false);
    me.put("supports_guest_queries", false);
    me.put("can_connect_to_business", false);
    me.put("has_main_web_app", false);
    me.put("has_topics_enabled", false);
    me.put("allows_users_to_create_topics", false);
    me.put("can_manage_bots", false);
    return Answer.of(me);
  }

  private Answer deleteWebhook(Args args) {
    if (args.bool("drop_pending_updates")) {
      updates.clear();
    }
    return new Answer(BooleanNode.TRUE, "Webhook is already deleted");
  }

  private Answer getWebhookInfo(Args args) {
    ObjectNode info = JSON.createObjectNode();
    info.put("url", "");
    info.put("has_custom_certificate", false);
    info.put("pending_update_count", updates.size());
    return Answer.of(info);
  }

  private Answer getUpdates(Args args) throws ApiError, InterruptedException {
    int offset = args.integer("offset", 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
    int limit = args.integer("limit", 100, 1, 100);
    int timeout = args.integer("timeout", 0, 0, LONG_POLL_MAX_TIMEOUT);
    updateAllowedUpdates(args.str("allowed_updates"));
    long now = System.nanoTime();
    // The server's guards against a client that polls too fast with the same offset.
    if (offset == previousOffset && timeout < 3 && now < previousPollNanos + 3_000_000_000L) {
      timeout = 3;
    }
    if (offset == previousOffset && now < previousPollNanos + 500_000_000L) {
      limit = 1;
    }
    previousOffset = offset;
    previousPollNanos = now;
    if (offset < 0) {
      while (updates.size() > -(long) offset) {
        updates.removeFirst();
      }
    }
    int from = from(offset);
    ArrayNode result = takeUpdates(from, limit);
    if (!result.isEmpty() || timeout == 0) {
      return Answer.of(result);
    }
    long ticket = ++pollTickets;
    waitingPoll = ticket;
    notifyAll();
    long deadline = System.nanoTime() + timeout * 1_000_000_000L;
    try {
      while (!closed
          && !unavailable()
          && !hasUpdatesFrom(from)
          && deadline - System.nanoTime() > 0) {
        waitFor(deadline - System.nanoTime());
        if (waitingPoll != ticket) {
          throw new ApiError(
              409,
              "Conflict: terminated by other getUpdates request; make sure that only one bot"
                  + " instance is running",
              0);
        }
      }
    } finally {
      if (waitingPoll == ticket) {
        waitingPoll = 0;
      }
    }
    return Answer.of(takeUpdates(from(from), limit));
  }

  /** The first update id an offset asks for; an offset outside the queue means its head. */
  private int from(int offset) {
    int head = updates.isEmpty() ? nextUpdateId : updates.peekFirst().id();
    return offset <= 0 || offset > nextUpdateId ? head : offset;
  }

  private boolean hasUpdatesFrom(int from) {
    return !updates.isEmpty() && updates.peekLast().id() >= from;
  }

  /** Forgets the updates below {@code from} (they are confirmed) and returns the next ones. */
  private ArrayNode takeUpdates(int from, int limit) {
    while (!updates.isEmpty() && updates.peekFirst().id() < from) {
      updates.removeFirst();
    }
    ArrayNode result = JSON.createArrayNode();
    for (QueuedUpdate update : updates) {
      if (result.size() == limit) {
        break;
      }
      result.add(update.json().deepCopy());
    }
    return result;
  }

  private void updateAllowedUpdates(String allowed) {
    if (allowed.isEmpty()) {
      return;
    }
    JsonNode list;
    try {
      list = JSON.readTree(allowed);
    } catch (JsonProcessingException e) {
      return;
    }
    if (list == null || !list.isArray()) {
      return;
    }
    if (list.isEmpty()) {
      allowedUpdates = DEFAULT_UPDATE_TYPES;
      return;
    }
    Set<String> types = new HashSet<>();
    for (JsonNode type : list) {
      String name = type.asText();
      if (DEFAULT_UPDATE_TYPES.contains(name) || OPT_IN_UPDATE_TYPES.contains(name)) {
        types.add(name);
      }
    }
    if (!types.isEmpty()) {
      allowedUpdates = Set.copyOf(types);
    }
  }

  private void enqueue(String type, ObjectNode payload) {
    // As on the service, allowed_updates applies when an update is created, not when it is read.
    if (allowedUpdates.contains(type)) {
      int id = nextUpdateId++;
      ObjectNode update = JSON.createObjectNode();
      update.put("update_id", id);
      update.set(type, payload);
      updates.addLast(new QueuedUpdate(id, update));
    }
    notifyAll();
  }

  private Answer setMyCommands(Args args) throws ApiError {
    JsonNode list;
    try {
      list = JSON.readTree(args.str("commands").isEmpty() ? "[]" : args.str("commands"));
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest("can't parse commands JSON object");
    }
    if (list == null || !list.isArray()) {
      throw ApiError.badRequest("expected an Array of BotCommand");
    }
    List<BotCommand> parsed = new ArrayList<>();
    for (JsonNode item : list) {
      if (!item.isObject()) {
        throw ApiError.badRequest("can't parse BotCommand: expected an Object");
      }
      if (!item.path("command").isTextual()) {
        throw ApiError.badRequest(
            "can't parse BotCommand: Field \"command\" must be of type String");
      }
      if (!item.path("description").isTextual()) {
        throw ApiError.badRequest(
            "can't parse BotCommand: Field \"description\" must be of type String");
      }
      parsed.add(new BotCommand(item.get("command").asText(), item.get("description").asText()));
    }
    String key = commandsKey(args.str("scope"), args.str("language_code"));
    List<BotCommand> cleaned = new ArrayList<>();
    for (BotCommand command : parsed) {
      String name = command.command().strip();
      if (name.startsWith("/")) {
        name = name.substring(1);
      }
      if (name.isEmpty()) {
        throw ApiError.badRequest("command must be non-empty");
      }
      if (name.codePointCount(0, name.length()) > MAX_COMMAND_LENGTH) {
        throw ApiError.badRequest("command length must not exceed " + MAX_COMMAND_LENGTH);
      }
      String description = command.description().strip();
      if (description.isEmpty()) {
        throw ApiError.badRequest("command description must be non-empty");
      }
      if (description.codePointCount(0, description.length()) > MAX_COMMAND_DESCRIPTION_LENGTH) {
        throw ApiError.badRequest(
            "command description length must not exceed " + MAX_COMMAND_DESCRIPTION_LENGTH);
      }
      if (!COMMAND_NAME.matcher(name).matches()) {
        throw ApiError.badRequest("BOT_COMMAND_INVALID");
      }
      cleaned.add(new BotCommand(name, description));
    }
    if (cleaned.isEmpty()) {
      commands.remove(key);
    } else {
      commands.put(key, List.copyOf(cleaned));
    }
    return Answer.of(BooleanNode.TRUE);
  }

  private Answer getMyCommands(Args args) throws ApiError {
    ArrayNode result = JSON.createArrayNode();
    for (BotCommand command :
        commands.getOrDefault(
            commandsKey(args.str("scope"), args.str("language_code")), List.of())) {
      result
          .addObject()
          .put("command", command.command())
          .put("description", command.description());
    }
    return Answer.of(result);
  }

  private Answer deleteMyCommands(Args args) throws ApiError {
    commands.remove(commandsKey(args.str("scope"), args.str("language_code")));
    return Answer.of(BooleanNode.TRUE);
  }

  private String commandsKey(String scopeJson, String languageCode) throws ApiError {
    if (!languageCode.isEmpty() && !languageCode.matches("[a-z]{2}")) {
      throw ApiError.badRequest("invalid language code specified");
    }
    JsonNode scope;
    try {
      scope = JSON.readTree(scopeJson.isEmpty() ? "{\"type\":\"default\"}" : scopeJson);
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest("can't parse BotCommandScope JSON object");
    }
    if (scope == null || !scope.isObject()) {
      throw ApiError.badRequest("can't parse BotCommandScope: expected an Object");
    }
    String type = scope.path("type").asText("");
    if (!BOT_COMMAND_SCOPES.contains(type)) {
      throw ApiError.badRequest("can't parse BotCommandScope: Unsupported type specified");
    }
    String chat = scope.has("chat_id") ? scope.get("chat_id").asText() : "";
    String user = scope.has("user_id") ? scope.get("user_id").asText() : "";
    return type + "|" + chat + "|" + user + "|" + languageCode;
  }

  private Answer createForumTopic(Args args) throws ApiError {
    Chat chat = chat(args);
    if (!chat.forum) {
      throw ApiError.badRequest("the chat is not a forum");
    }
    String name = cleanName(args.str("name"));
    if (name.isEmpty()) {
      throw ApiError.badRequest("name must be non-empty");
    }
    int color = args.integer("icon_color", 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
    if (color < 0 || color > 0xFFFFFF || (color != 0 && !TOPIC_ICON_COLORS.contains(color))) {
      throw ApiError.badRequest("invalid icon color specified");
    }
    long emoji = Args.toLong(args.str("icon_custom_emoji_id"));
    flood(chat);
    ObjectNode created = JSON.createObjectNode();
    created.put("name", name);
    created.put("icon_color", color == 0 ? TOPIC_ICON_COLORS.get(0) : color);
    if (emoji != 0) {
      created.put("icon_custom_emoji_id", Long.toString(emoji));
    }
    int threadId = chat.nextMessageId;
    Posted service = chat.post(botId, true, threadId, null);
    service.serviceKind = "forum_topic_created";
    service.service = created;
    TopicState topic =
        new TopicState(
            threadId,
            name,
            created.get("icon_color").asInt(),
            emoji == 0 ? null : Long.toString(emoji));
    chat.topics.put(threadId, topic);
    notifyAll();
    ObjectNode result = JSON.createObjectNode();
    result.put("message_thread_id", threadId);
    result.put("name", name);
    result.put("icon_color", topic.iconColor);
    if (topic.iconCustomEmojiId != null) {
      result.put("icon_custom_emoji_id", topic.iconCustomEmojiId);
    }
    return Answer.of(result);
  }

  private Answer editForumTopic(Args args) throws ApiError {
    Chat chat = chat(args);
    if (!chat.forum) {
      throw ApiError.badRequest("the chat is not a forum");
    }
    int threadId = args.topicId("message_thread_id");
    if (threadId <= 0) {
      throw ApiError.badRequest("invalid forum topic identifier specified");
    }
    boolean editName = !args.str("name").isEmpty();
    String name = cleanName(args.str("name"));
    if (editName && name.isEmpty()) {
      throw ApiError.badRequest("name must be non-empty");
    }
    boolean editIcon = args.has("icon_custom_emoji_id");
    if (!editName && !editIcon) {
      // TDLib answers this one itself, without asking the service.
      return Answer.of(BooleanNode.TRUE);
    }
    TopicState topic = chat.topics.get(threadId);
    if (topic == null) {
      throw ApiError.badRequest("TOPIC_ID_INVALID");
    }
    long emoji = Args.toLong(args.str("icon_custom_emoji_id"));
    String newEmoji =
        editIcon ? (emoji == 0 ? null : Long.toString(emoji)) : topic.iconCustomEmojiId;
    String newName = editName ? name : topic.name;
    if (newName.equals(topic.name) && Objects.equals(newEmoji, topic.iconCustomEmojiId)) {
      throw ApiError.badRequest("TOPIC_NOT_MODIFIED");
    }
    topic.name = newName;
    topic.iconCustomEmojiId = newEmoji;
    ObjectNode edited = JSON.createObjectNode();
    if (editName) {
      edited.put("name", newName);
    }
    if (editIcon) {
      edited.put("icon_custom_emoji_id", newEmoji == null ? "" : newEmoji);
    }
    Posted service = chat.post(botId, true, threadId, null);
    service.serviceKind = "forum_topic_edited";
    service.service = edited;
    notifyAll();
    return Answer.of(BooleanNode.TRUE);
  }

  private Answer toggleForumTopic(Args args, boolean close) throws ApiError {
    Chat chat = chat(args);
    if (!chat.forum) {
      throw ApiError.badRequest("the chat is not a forum");
    }
    int threadId = args.topicId("message_thread_id");
    if (threadId <= 0) {
      throw ApiError.badRequest("invalid forum topic identifier specified");
    }
    TopicState topic = chat.topics.get(threadId);
    if (topic == null) {
      throw ApiError.badRequest("TOPIC_ID_INVALID");
    }
    if (topic.closed == close) {
      throw ApiError.badRequest("TOPIC_NOT_MODIFIED");
    }
    topic.closed = close;
    Posted service = chat.post(botId, true, threadId, null);
    service.serviceKind = close ? "forum_topic_closed" : "forum_topic_reopened";
    service.service = JSON.createObjectNode();
    notifyAll();
    return Answer.of(BooleanNode.TRUE);
  }

  private Answer deleteForumTopic(Args args) throws ApiError {
    Chat chat = chat(args);
    if (!chat.forum) {
      throw ApiError.badRequest("the chat is not a forum");
    }
    int threadId = args.topicId("message_thread_id");
    if (threadId <= 0) {
      throw ApiError.badRequest("invalid forum topic identifier specified");
    }
    if (chat.topics.remove(threadId) == null) {
      throw ApiError.badRequest("TOPIC_ID_INVALID");
    }
    for (Posted message : chat.messages.values()) {
      if (Objects.equals(message.threadId, threadId)) {
        message.deleted = true;
      }
    }
    notifyAll();
    return Answer.of(BooleanNode.TRUE);
  }

  private Answer sendMessage(Args args) throws ApiError {
    Formatted parsed = formattedText(args);
    Keyboard keyboard = replyMarkup(args);
    Chat chat = chatToWrite(args);
    Integer threadId = null;
    int requestedThread = args.topicId("message_thread_id");
    if (requestedThread != 0) {
      // General (id 1) is not a thread one can name: the service refuses it like a missing one.
      TopicState topic = chat.forum ? chat.topics.get(requestedThread) : null;
      if (topic == null || requestedThread == GENERAL_TOPIC_ID) {
        throw ApiError.badRequest("message thread not found");
      }
      threadId = requestedThread;
    }
    Integer replyTo = replyTarget(args, chat);
    if (replyTo != null && threadId == null) {
      threadId = chat.messages.get(replyTo).threadId;
    }
    Formatted text = parsed.finished();
    checkButtons(keyboard);
    flood(chat);
    Posted message = chat.post(botId, true, threadId, replyTo);
    message.text = text.text();
    message.entities = text.entitiesJson();
    message.markup = keyboard == null ? null : keyboard.inline();
    notifyAll();
    return Answer.of(messageJson(chat, message, true));
  }

  private Integer replyTarget(Args args, Chat chat) throws ApiError {
    int messageId;
    boolean allowWithoutReply;
    if (!args.has("reply_parameters")) {
      messageId = args.topicId("reply_to_message_id");
      allowWithoutReply = args.bool("allow_sending_without_reply");
    } else {
      JsonNode parameters;
      try {
        parameters = JSON.readTree(args.str("reply_parameters"));
      } catch (JsonProcessingException e) {
        throw ApiError.badRequest("can't parse reply parameters JSON object");
      }
      if (parameters == null || !parameters.isObject()) {
        throw ApiError.badRequest("object expected as reply parameters");
      }
      messageId = parameters.path("message_id").asInt(0);
      allowWithoutReply = parameters.path("allow_sending_without_reply").asBoolean(false);
      if (parameters.has("chat_id") && Args.toLong(parameters.get("chat_id").asText()) != chat.id) {
        throw ApiError.badRequest("replies to other chats are not supported by the stand-in");
      }
    }
    if (messageId <= 0) {
      return null;
    }
    Posted target = chat.messages.get(messageId);
    if (target == null || target.deleted) {
      if (allowWithoutReply) {
        return null;
      }
      throw ApiError.badRequest("message to be replied not found");
    }
    return messageId;
  }

  private Answer editMessageText(Args args) throws ApiError {
    Formatted parsed = formattedText(args);
    Keyboard keyboard = replyMarkup(args);
    Posted message = messageToEdit(args);
    Chat chat = chat(args);
    if (message.serviceKind != null) {
      throw ApiError.badRequest("there is no text in the message to edit");
    }
    if (keyboard != null && keyboard.inline() == null && !keyboard.empty()) {
      throw ApiError.badRequest("inline keyboard expected");
    }
    Formatted text = parsed.finished();
    checkButtons(keyboard);
    ArrayNode entities = text.entitiesJson();
    ObjectNode markup = keyboard == null ? null : keyboard.inline();
    if (text.text().equals(message.text)
        && entities.equals(message.entities)
        && Objects.equals(markup, message.markup)) {
      throw ApiError.badRequest(NOT_MODIFIED);
    }
    flood(chat);
    message.edit(text.text(), entities, markup);
    notifyAll();
    return Answer.of(messageJson(chat, message, true));
  }

  private Answer editMessageReplyMarkup(Args args) throws ApiError {
    Keyboard keyboard = replyMarkup(args);
    Posted message = messageToEdit(args);
    Chat chat = chat(args);
    if (keyboard != null && keyboard.inline() == null && !keyboard.empty()) {
      throw ApiError.badRequest("inline keyboard expected");
    }
    checkButtons(keyboard);
    ObjectNode markup = keyboard == null ? null : keyboard.inline();
    if (Objects.equals(markup, message.markup)) {
      throw ApiError.badRequest(NOT_MODIFIED);
    }
    flood(chat);
    message.edit(message.text, message.entities, markup);
    notifyAll();
    return Answer.of(messageJson(chat, message, true));
  }

  private Posted messageToEdit(Args args) throws ApiError {
    int messageId = args.topicId("message_id");
    if (args.str("chat_id").isEmpty() && messageId == 0) {
      if (args.str("inline_message_id").isEmpty()) {
        throw ApiError.badRequest("message identifier is not specified");
      }
      throw ApiError.badRequest("MESSAGE_ID_INVALID");
    }
    Chat chat = chat(args);
    Posted message = messageId <= 0 ? null : chat.messages.get(messageId);
    if (message == null || message.deleted) {
      throw ApiError.badRequest("message to edit not found");
    }
    if (!message.fromBot) {
      throw ApiError.badRequest("message can't be edited");
    }
    return message;
  }

  /** The actions sendChatAction knows (core.telegram.org/bots/api#sendchataction). */
  private static final Set<String> CHAT_ACTIONS =
      Set.of(
          "typing",
          "upload_photo",
          "record_video",
          "upload_video",
          "record_voice",
          "upload_voice",
          "upload_document",
          "choose_sticker",
          "find_location",
          "record_video_note",
          "upload_video_note");

  /** A chat action shows for 5 s or until the bot's next message; it is not a message. */
  private Answer sendChatAction(Args args) throws ApiError {
    if (args.str("chat_id").isEmpty()) {
      throw ApiError.badRequest("chat identifier is not specified");
    }
    Chat chat = chat(args);
    if (!CHAT_ACTIONS.contains(args.str("action"))) {
      throw ApiError.badRequest("wrong parameter action in request");
    }
    int thread = args.topicId("message_thread_id");
    if (thread != 0) {
      TopicState topic = chat.forum ? chat.topics.get(thread) : null;
      if (topic == null || thread == GENERAL_TOPIC_ID) {
        throw ApiError.badRequest("message thread not found");
      }
    }
    return Answer.of(BooleanNode.TRUE);
  }

  private Answer deleteMessage(Args args) throws ApiError {
    if (args.str("chat_id").isEmpty()) {
      throw ApiError.badRequest("chat identifier is not specified");
    }
    int messageId = args.topicId("message_id");
    if (messageId == 0) {
      throw ApiError.badRequest("message identifier is not specified");
    }
    Chat chat = chat(args);
    Posted message = chat.messages.get(messageId);
    if (message == null || message.deleted) {
      throw ApiError.badRequest("message to delete not found");
    }
    if ("forum_topic_created".equals(message.serviceKind)) {
      throw ApiError.badRequest("message can't be deleted");
    }
    message.deleted = true;
    notifyAll();
    return Answer.of(BooleanNode.TRUE);
  }

  private Answer answerCallbackQuery(Args args) throws ApiError {
    String id = Long.toString(Args.toLong(args.str("callback_query_id")));
    PendingQuery query = queries.get(id);
    if (query == null
        || query.answered
        || System.nanoTime() - query.createdNanos >= callbackQueryTimeout.toNanos()) {
      throw ApiError.badRequest(QUERY_TOO_OLD);
    }
    String text = args.str("text");
    if (text.codePointCount(0, text.length()) > MAX_CALLBACK_ANSWER_LENGTH) {
      throw ApiError.badRequest("MESSAGE_TOO_LONG");
    }
    query.answered = true;
    answers.add(
        new CallbackAnswer(
            id,
            text,
            args.bool("show_alert"),
            args.str("url"),
            args.integer("cache_time", 0, 0, 24 * 30 * 60 * 60)));
    notifyAll();
    return Answer.of(BooleanNode.TRUE);
  }

  private Chat chat(Args args) throws ApiError {
    String chatId = args.str("chat_id");
    if (chatId.isEmpty()) {
      throw ApiError.badRequest("chat_id is empty");
    }
    Chat chat = chatId.startsWith("@") ? null : chats.get(Args.toLong(chatId));
    if (chat == null) {
      throw ApiError.badRequest("chat not found");
    }
    return chat;
  }

  /** The chat to send to; a user the bot knows but who never opened a chat with it is refused. */
  private Chat chatToWrite(Args args) throws ApiError {
    String chatId = args.str("chat_id");
    long id = Args.toLong(chatId);
    if (!chatId.isEmpty() && !chatId.startsWith("@") && !chats.containsKey(id)) {
      if (users.containsKey(id)) {
        throw new ApiError(403, "Forbidden: bot can't initiate conversation with a user", 0);
      }
    }
    return chat(args);
  }

  private void flood(Chat chat) throws ApiError {
    int limit = chat.forum ? groupFloodLimit : privateFloodLimit;
    long window = (chat.forum ? groupFloodWindow : privateFloodWindow).toNanos();
    long now = System.nanoTime();
    while (!chat.sent.isEmpty() && now - chat.sent.peekFirst() >= window) {
      chat.sent.removeFirst();
    }
    if (chat.sent.size() >= limit) {
      long wait = chat.sent.peekFirst() + window - now;
      int retryAfter = (int) Math.max(1, (wait + 999_999_999L) / 1_000_000_000L);
      throw new ApiError(429, "Too Many Requests: retry after " + retryAfter, retryAfter);
    }
    chat.sent.addLast(now);
  }

  private static Formatted formattedText(Args args) throws ApiError {
    String text = args.str("text");
    if (text.isEmpty()) {
      throw ApiError.badRequest("message text is empty");
    }
    if (text.getBytes(StandardCharsets.UTF_8).length > MAX_RAW_TEXT_BYTES) {
      throw ApiError.badRequest("text is too long");
    }
    String parseMode = args.str("parse_mode").toLowerCase(Locale.ROOT);
    try {
      switch (parseMode) {
        case "", "none":
          return Formatted.withEntities(text, args.str("entities"));
        case "html":
          return Markup.html(text);
        case "markdownv2":
          return Markup.markdownV2(text);
        case "markdown":
          return Markup.markdown(text);
        default:
          throw ApiError.badRequest("unsupported parse_mode");
      }
    } catch (Markup.ParseError e) {
      throw ApiError.badRequest("can't parse entities: " + e.getMessage());
    }
  }

  /** Parses {@code reply_markup} as the server does; null when there is none. */
  private static Keyboard replyMarkup(Args args) throws ApiError {
    String raw = args.str("reply_markup");
    if (raw.isEmpty()) {
      return null;
    }
    JsonNode markup;
    try {
      markup = JSON.readTree(raw);
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest("can't parse reply keyboard markup JSON object");
    }
    if (markup == null || !markup.isObject()) {
      throw ApiError.badRequest("object expected as reply markup");
    }
    JsonNode rows = markup.get("inline_keyboard");
    if (rows == null || rows.isNull()) {
      boolean other =
          markup.has("keyboard")
              || markup.path("remove_keyboard").asBoolean(false)
              || markup.path("hide_keyboard").asBoolean(false)
              || markup.path("force_reply").asBoolean(false);
      return new Keyboard(null, !other);
    }
    if (!rows.isArray()) {
      throw ApiError.badRequest("field \"inline_keyboard\" must be of type Array");
    }
    ObjectNode inline = JSON.createObjectNode();
    ArrayNode outRows = inline.putArray("inline_keyboard");
    for (JsonNode row : rows) {
      if (!row.isArray()) {
        throw ApiError.badRequest(
            "field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays");
      }
      ArrayNode outRow = outRows.addArray();
      for (JsonNode button : row) {
        outRow.add(inlineButton(button));
      }
    }
    return outRows.isEmpty() ? new Keyboard(null, true) : new Keyboard(inline, false);
  }

  private static ObjectNode inlineButton(JsonNode button) throws ApiError {
    String prefix = "can't parse inline keyboard button: ";
    if (!button.isObject()) {
      throw ApiError.badRequest(prefix + "InlineKeyboardButton must be an Object");
    }
    if (!button.has("text")) {
      throw ApiError.badRequest(prefix + "Can't find field \"text\"");
    }
    if (!button.get("text").isTextual()) {
      throw ApiError.badRequest(prefix + "Field \"text\" must be of type String");
    }
    ObjectNode out = JSON.createObjectNode();
    out.put("text", button.get("text").asText());
    String url = button.path("url").asText("");
    String data = button.path("callback_data").asText("");
    if (!url.isEmpty()) {
      out.put("url", url);
    } else if (!data.isEmpty()) {
      out.put("callback_data", data);
    } else {
      boolean other = false;
      for (String field :
          List.of(
              "callback_game",
              "switch_inline_query",
              "switch_inline_query_current_chat",
              "switch_inline_query_chosen_chat",
              "pay",
              "login_url",
              "web_app",
              "copy_text")) {
        if (button.has(field) && !button.get(field).isNull()) {
          out.set(field, button.get(field));
          other = true;
        }
      }
      if (!other) {
        throw ApiError.badRequest(prefix + "Text buttons are unallowed in the inline keyboard");
      }
    }
    if (out.get("text").asText().isEmpty()) {
      throw ApiError.badRequest("inline keyboard button text must be non-empty");
    }
    return out;
  }

  /** What the service itself refuses in a keyboard, after the server has parsed it. */
  private static void checkButtons(Keyboard keyboard) throws ApiError {
    if (keyboard == null || keyboard.inline() == null) {
      return;
    }
    for (JsonNode row : keyboard.inline().get("inline_keyboard")) {
      for (JsonNode button : row) {
        if (button.has("callback_data")
            && button.get("callback_data").asText().getBytes(StandardCharsets.UTF_8).length
                > MAX_CALLBACK_DATA_BYTES) {
          throw ApiError.badRequest("BUTTON_DATA_INVALID");
        }
        if (button.has("url") && !button.get("url").asText().matches("(?i)(https?|tg)://\\S+")) {
          throw ApiError.badRequest("BUTTON_URL_INVALID");
        }
      }
    }
  }

  private static List<String> callbackData(ObjectNode markup) {
    List<String> data = new ArrayList<>();
    if (markup != null) {
      for (JsonNode row : markup.path("inline_keyboard")) {
        for (JsonNode button : row) {
          if (button.has("callback_data")) {
            data.add(button.get("callback_data").asText());
          }
        }
      }
    }
    return data;
  }

  /** TDLib's clean_name: spaces and newlines folded, trimmed, at most 128 characters. */
  private static String cleanName(String raw) {
    StringBuilder folded = new StringBuilder();
    boolean space = false;
    for (int i = 0; i < raw.length(); ) {
      int c = raw.codePointAt(i);
      i += Character.charCount(c);
      boolean blank =
          c == ' '
              || c == '\n'
              || c == 0xA0
              || c == 0x1680
              || c == 0x180E
              || (c >= 0x2000 && c <= 0x200A)
              || c == 0x202F
              || c == 0x205F
              || c == 0x3000;
      if (blank) {
        if (!space) {
          folded.append(' ');
          space = true;
        }
      } else if (c >= 0x20 || c == '\t') {
        folded.appendCodePoint(c);
        space = false;
      }
    }
    String name = folded.toString().strip();
    if (name.codePointCount(0, name.length()) > MAX_TOPIC_NAME_LENGTH) {
      name = name.substring(0, name.offsetByCodePoints(0, MAX_TOPIC_NAME_LENGTH)).strip();
    }
    boolean onlyInvisible =
        name.codePoints()
            .allMatch(c -> c == ' ' || (c >= 0x200B && c <= 0x200F) || c == 0x202E || c == 0xFEFF);
    return onlyInvisible ? "" : name;
  }

  private ObjectNode userJson(long userId) {
    ObjectNode user = JSON.createObjectNode();
    user.put("id", userId);
    if (userId == botId) {
      user.put("is_bot", true);
      user.put("first_name", BOT_FIRST_NAME);
      user.put("username", BOT_USERNAME);
    } else {
      user.put("is_bot", false);
      user.put("first_name", users.getOrDefault(userId, ""));
    }
    return user;
  }

  private static ObjectNode chatJson(Chat chat) {
    ObjectNode json = JSON.createObjectNode();
    json.put("id", chat.id);
    if (chat.forum) {
      json.put("title", chat.name);
      json.put("is_forum", true);
      json.put("type", "supergroup");
    } else {
      json.put("first_name", chat.name);
      json.put("type", "private");
    }
    return json;
  }

  private ObjectNode messageJson(Chat chat, Posted message, boolean withReply) {
    ObjectNode json = JSON.createObjectNode();
    json.put("message_id", message.id);
    json.set("from", userJson(message.fromId));
    json.set("chat", chatJson(chat));
    json.put("date", message.date);
    if (message.editDate > 0) {
      json.put("edit_date", message.editDate);
    }
    if (message.threadId != null) {
      json.put("message_thread_id", message.threadId);
    }
    if (withReply) {
      // In a topic, a message that replies to nothing replies to the topic's creation message.
      Integer replyTo =
          message.replyTo != null
              ? message.replyTo
              : message.threadId != null && message.threadId != message.id
                  ? message.threadId
                  : null;
      Posted target = replyTo == null ? null : chat.messages.get(replyTo);
      if (target != null && !target.deleted) {
        json.set("reply_to_message", messageJson(chat, target, false));
      }
    }
    if (message.serviceKind != null) {
      json.set(message.serviceKind, message.service.deepCopy());
    } else {
      json.put("text", message.text);
      if (!message.entities.isEmpty()) {
        json.set("entities", message.entities.deepCopy());
      }
    }
    if (message.markup != null) {
      json.set("reply_markup", message.markup.deepCopy());
    }
    if (message.threadId != null) {
      json.put("is_topic_message", true);
    }
    return json;
  }

  private static final class Chat {
    final long id;
    final boolean forum;
    final String name;
    final long instance = RANDOM.nextLong();
    final Map<Integer, Posted> messages = new LinkedHashMap<>();
    final Map<Integer, TopicState> topics = new LinkedHashMap<>();
    final ArrayDeque<Long> sent = new ArrayDeque<>();
    int nextMessageId;

    Chat(long id, boolean forum, String name, int firstMessageId) {
      this.id = id;
      this.forum = forum;
      this.name = name;
      this.nextMessageId = firstMessageId;
    }

    Posted post(long fromId, boolean fromBot, Integer threadId, Integer replyTo) {
      Posted message = new Posted(nextMessageId++, threadId, fromId, fromBot, replyTo);
      messages.put(message.id, message);
      return message;
    }
  }

  private static final class TopicState {
    final int threadId;
    final int iconColor;
    String name;
    String iconCustomEmojiId;
    boolean closed;

    TopicState(int threadId, String name, int iconColor, String iconCustomEmojiId) {
      this.threadId = threadId;
      this.name = name;
      this.iconColor = iconColor;
      this.iconCustomEmojiId = iconCustomEmojiId;
    }

    Topic snapshot() {
      return new Topic(threadId, name, iconColor, closed);
    }
  }

  private static final class Posted {
    final int id;
    final Integer threadId;
    final long fromId;
    final boolean fromBot;
    final Integer replyTo;
    final long date = System.currentTimeMillis() / 1000;
    final List<Version> edits = new ArrayList<>();
    String serviceKind;
    ObjectNode service;
    String text = "";
    ArrayNode entities = JSON.createArrayNode();
    ObjectNode markup;
    long editDate;
    boolean deleted;

    Posted(int id, Integer threadId, long fromId, boolean fromBot, Integer replyTo) {
      this.id = id;
      this.threadId = threadId;
      this.fromId = fromId;
      this.fromBot = fromBot;
      this.replyTo = replyTo;
    }

    void edit(String newText, ArrayNode newEntities, ObjectNode newMarkup) {
      edits.add(new Version(text, entities.deepCopy(), markup == null ? null : markup.deepCopy()));
      text = newText;
      entities = newEntities;
      markup = newMarkup;
      editDate = Math.max(date, System.currentTimeMillis() / 1000);
    }
  }

  private static final class PendingQuery {
    final long createdNanos;
    boolean answered;

    PendingQuery(long createdNanos) {
      this.createdNanos = createdNanos;
    }
  }

  private record QueuedUpdate(int id, ObjectNode json) {}

  /** A parsed reply_markup: an inline keyboard, or none ({@code empty}), or another kind. */
  private record Keyboard(ObjectNode inline, boolean empty) {}

  private record Incoming(
      String path,
      String token,
      boolean testEnvironment,
      String method,
      String sentAs,
      Map<String, String> values,
      ObjectNode params) {

    Args args() {
      return new Args(values);
    }
  }

  /** An answer; {@code body} is JSON, or a text node holding an HTML page. */
  private record Outcome(int status, JsonNode body, int retryAfter) {

    /** No answer: the connection is cut. */
    static final Outcome CUT = new Outcome(0, NullNode.getInstance(), 0);

    /** What a client gets while the service is failing with {@code status}. */
    static Outcome outage(int status) {
      if (status == 500) {
        return error(500, "Internal Server Error", 0);
      }
      String title = status + " " + gatewayReason(status);
      return new Outcome(
          status,
          TextNode.valueOf(
              "<html>\r\n<head><title>"
                  + title
                  + "</title></head>\r\n<body>\r\n<center><h1>"
                  + title
                  + "</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n"
                  + "</html>\r\n"),
          0);
    }

    static Outcome error(int code, String description, int retryAfter) {
      ObjectNode body = JSON.createObjectNode();
      body.put("ok", false);
      body.put("error_code", code);
      body.put("description", description);
      if (retryAfter > 0) {
        body.putObject("parameters").put("retry_after", retryAfter);
      }
      return new Outcome(code, body, retryAfter);
    }
  }

  private record Answer(JsonNode result, String description) {

    static Answer of(JsonNode result) {
      return new Answer(result, null);
    }

    Outcome outcome() {
      ObjectNode body = JSON.createObjectNode();
      body.put("ok", true);
      body.set("result", result);
      if (description != null) {
        body.put("description", description);
      }
      return new Outcome(200, body, 0);
    }
  }

  @FunctionalInterface
  private interface Handler {
    Answer handle(Args args) throws ApiError, InterruptedException;
  }

  /** A refusal, as the service words it. */
  private static final class ApiError extends Exception {
    final int code;
    final String description;
    final int retryAfter;

    ApiError(int code, String description, int retryAfter) {
      super(description, null, false, false);
      this.code = code;
      this.description = description;
      this.retryAfter = retryAfter;
    }

    static ApiError badRequest(String what) {
      return new ApiError(400, "Bad Request: " + what, 0);
    }
  }

  /** Request arguments as the server reads them: strings, integers parsed like td::to_integer. */
  private record Args(Map<String, String> values) {

    String str(String name) {
      return values.getOrDefault(name, "");
    }

    boolean has(String name) {
      return values.containsKey(name);
    }

    boolean bool(String name) {
      String value = str(name).strip().toLowerCase(Locale.ROOT);
      return value.equals("true") || value.equals("yes") || value.equals("1");
    }

    int integer(String name, int defaultValue, int min, int max) {
      String value = str(name);
      long parsed = value.isEmpty() ? defaultValue : toLong(value);
      int asInt = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, parsed));
      return Math.max(min, Math.min(max, asInt));
    }

    /** A message or topic id: absent or negative is 0. */
    int topicId(String name) {
      return Math.max(0, integer(name, 0, Integer.MIN_VALUE, Integer.MAX_VALUE));
    }

    static long toLong(String value) {
      int i = 0;
      boolean negative = value.startsWith("-");
      if (negative) {
        i++;
      }
      long result = 0;
      while (i < value.length() && Character.isDigit(value.charAt(i)) && value.charAt(i) < 128) {
        result = result * 10 + (value.charAt(i++) - '0');
      }
      return negative ? -result : result;
    }
  }

  /** Text with entities, offsets and lengths in UTF-16 code units. */
  private record Formatted(String text, List<Markup.Entity> entities) {

    static Formatted withEntities(String text, String entitiesJson) throws ApiError {
      List<Markup.Entity> entities = new ArrayList<>();
      if (!entitiesJson.isEmpty()) {
        JsonNode list;
        try {
          list = JSON.readTree(entitiesJson);
        } catch (JsonProcessingException e) {
          throw ApiError.badRequest("can't parse entities JSON object");
        }
        if (list != null && list.isArray()) {
          for (JsonNode item : list) {
            if (!item.isObject()) {
              throw ApiError.badRequest("can't parse MessageEntity: expected an Object");
            }
            if (!item.path("offset").canConvertToInt() || !item.path("length").canConvertToInt()) {
              throw ApiError.badRequest(
                  "can't parse MessageEntity: Field \"offset\" must be a number");
            }
            Markup.Entity entity =
                new Markup.Entity(
                    item.path("type").asText(""),
                    item.get("offset").asInt(),
                    item.get("length").asInt());
            entity.url = item.path("url").asText(null);
            entity.language = item.path("language").asText(null);
            entity.customEmojiId = item.path("custom_emoji_id").asText(null);
            if (entity.offset >= 0
                && entity.length > 0
                && entity.offset + entity.length <= text.length()) {
              entities.add(entity);
            }
          }
        }
      }
      return new Formatted(text, entities);
    }

    /** TDLib's last steps: trim spaces and newlines, then non-empty and at most 4096 characters. */
    Formatted finished() throws ApiError {
      int last = text.length() - 1;
      while (last >= 0 && (text.charAt(last) == ' ' || text.charAt(last) == '\n')) {
        last--;
      }
      if (last < 0) {
        throw ApiError.badRequest("text must be non-empty");
      }
      int end = last + 1;
      List<Markup.Entity> kept = new ArrayList<>();
      for (Markup.Entity entity : entities) {
        if (entity.offset < end) {
          Markup.Entity copy = entity.copy();
          copy.length = Math.min(copy.length, end - copy.offset);
          kept.add(copy);
        }
      }
      int firstEntity = kept.stream().mapToInt(e -> e.offset).min().orElse(end);
      int start = 0;
      while (start < firstEntity && (text.charAt(start) == ' ' || text.charAt(start) == '\n')) {
        start++;
      }
      for (Markup.Entity entity : kept) {
        entity.offset -= start;
      }
      String trimmed = text.substring(start, end);
      if (trimmed.codePointCount(0, trimmed.length()) > MAX_MESSAGE_LENGTH) {
        throw ApiError.badRequest("message is too long");
      }
      kept.sort(
          Comparator.comparingInt((Markup.Entity e) -> e.offset).thenComparing(e -> -e.length));
      return new Formatted(trimmed, kept);
    }

    ArrayNode entitiesJson() {
      ArrayNode json = JSON.createArrayNode();
      for (Markup.Entity entity : entities) {
        ObjectNode node = json.addObject();
        node.put("offset", entity.offset);
        node.put("length", entity.length);
        node.put("type", entity.type);
        if (entity.url != null) {
          node.put("url", entity.url);
        }
        if (entity.language != null) {
          node.put("language", entity.language);
        }
        if (entity.customEmojiId != null) {
          node.put("custom_emoji_id", entity.customEmojiId);
        }
      }
      return json;
    }
  }

  /**
   * The service's text markup parsers (TDLib's parse_html, parse_markdown_v2, parse_markdown),
   * rewritten from their documented behaviour: they read UTF-8 bytes, report byte offsets, and
   * produce entities in UTF-16 offsets.
   */
  private static final class Markup {

    private static final Set<String> HTML_TAGS =
        Set.of(
            "a",
            "b",
            "strong",
            "i",
            "em",
            "s",
            "strike",
            "del",
            "u",
            "ins",
            "tg-spoiler",
            "tg-emoji",
            "tg-time",
            "span",
            "pre",
            "code",
            "blockquote");

    static final class ParseError extends Exception {
      ParseError(String message) {
        super(message, null, false, false);
      }
    }

    static final class Entity {
      final String type;
      int offset;
      int length;
      String url;
      String language;
      String customEmojiId;

      Entity(String type, int offset, int length) {
        this.type = type;
        this.offset = offset;
        this.length = length;
      }

      Entity copy() {
        Entity copy = new Entity(type, offset, length);
        copy.url = url;
        copy.language = language;
        copy.customEmojiId = customEmojiId;
        return copy;
      }
    }

    /** An entity being read: its kind, argument, UTF-16 start and byte positions. */
    private static final class Open {
      final String kind;
      String argument;
      final int offset;
      final int byteOffset;
      final int outStart;

      Open(String kind, String argument, int offset, int byteOffset, int outStart) {
        this.kind = kind;
        this.argument = argument;
        this.offset = offset;
        this.byteOffset = byteOffset;
        this.outStart = outStart;
      }
    }

    /** A byte of the text, 0 past its end (the C parsers read a NUL-terminated string). */
    private static int at(byte[] s, int i) {
      return i < s.length ? s[i] & 0xFF : 0;
    }

    private static boolean isSpace(int c) {
      return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0 || c == 0x0B;
    }

    private static boolean isAlpha(int c) {
      int lower = c | 0x20;
      return lower >= 'a' && lower <= 'z';
    }

    private static boolean isDigit(int c) {
      return c >= '0' && c <= '9';
    }

    private static boolean isFirstCodeUnit(int c) {
      return (c & 0xC0) != 0x80;
    }

    private static int utf16Units(int firstByte) {
      return firstByte >= 0xF0 ? 2 : 1;
    }

    private static String string(byte[] s, int from, int to) {
      return new String(
          s, from, Math.max(0, Math.min(to, s.length) - from), StandardCharsets.UTF_8);
    }

    private static void appendCodePoint(ByteArrayOutputStream out, int code) {
      byte[] bytes = new String(Character.toChars(code)).getBytes(StandardCharsets.UTF_8);
      out.write(bytes, 0, bytes.length);
    }

    /** An HTML entity at {@code pos[0]}: its code point (and pos moved past it), or 0. */
    private static int htmlEntity(byte[] s, int[] pos) {
      int start = pos[0];
      int end = start + 1;
      long code;
      if (at(s, start + 1) == '#') {
        end++;
        code = 0;
        if (at(s, start + 2) == 'x') {
          end++;
          while (Character.digit(at(s, end), 16) >= 0 && at(s, end) < 128) {
            code = Math.min(code * 16 + Character.digit(at(s, end), 16), 0x7FFFFFFFL);
            end++;
          }
        } else {
          while (isDigit(at(s, end))) {
            code = Math.min(code * 10 + at(s, end) - '0', 0x7FFFFFFFL);
            end++;
          }
        }
        if (code == 0 || code >= 0x10FFFF || end - start >= 10) {
          return 0;
        }
      } else {
        while (isAlpha(at(s, end))) {
          end++;
        }
        switch (string(s, start + 1, end)) {
          case "lt" -> code = '<';
          case "gt" -> code = '>';
          case "amp" -> code = '&';
          case "quot" -> code = '"';
          default -> {
            return 0;
          }
        }
      }
      pos[0] = at(s, end) == ';' ? end + 1 : end;
      return (int) code;
    }

    static Formatted html(String text) throws ParseError {
      byte[] s = text.getBytes(StandardCharsets.UTF_8);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      List<Entity> entities = new ArrayList<>();
      List<Open> nested = new ArrayList<>();
      int utf16 = 0;
      for (int i = 0; i < s.length; i++) {
        int c = at(s, i);
        if (c == '&') {
          int[] pos = {i};
          int code = htmlEntity(s, pos);
          if (code != 0) {
            if (code >= 0xD800 && code <= 0xDFFF) {
              throw new ParseError(
                  "Text contains invalid Unicode characters after decoding HTML entities, check"
                      + " for unmatched surrogate code units");
            }
            utf16 += code > 0xFFFF ? 2 : 1;
            appendCodePoint(out, code);
            i = pos[0] - 1;
            continue;
          }
        }
        if (c != '<') {
          if (isFirstCodeUnit(c)) {
            utf16 += utf16Units(c);
          }
          out.write(c);
          continue;
        }
        int begin = i++;
        if (at(s, i) != '/') {
          while (!isSpace(at(s, i)) && at(s, i) != '>') {
            i++;
          }
          if (at(s, i) == 0) {
            throw new ParseError("Unclosed start tag at byte offset " + begin);
          }
          String tag = string(s, begin + 1, i).toLowerCase(Locale.ROOT);
          if (!HTML_TAGS.contains(tag)) {
            throw new ParseError("Unsupported start tag \"" + tag + "\" at byte offset " + begin);
          }
          String argument = "";
          while (at(s, i) != '>') {
            while (at(s, i) != 0 && isSpace(at(s, i))) {
              i++;
            }
            if (at(s, i) == '>') {
              break;
            }
            int attributeBegin = i;
            while (!isSpace(at(s, i))
                && at(s, i) != '='
                && at(s, i) != '>'
                && at(s, i) != '/'
                && at(s, i) != '"'
                && at(s, i) != '\'') {
              i++;
            }
            String attribute = string(s, attributeBegin, i);
            if (attribute.isEmpty()) {
              throw new ParseError(
                  "Empty attribute name in the tag \"" + tag + "\" at byte offset " + begin);
            }
            while (at(s, i) != 0 && isSpace(at(s, i))) {
              i++;
            }
            if (at(s, i) != '=') {
              if (at(s, i) == 0) {
                throw new ParseError("Unclosed start tag \"" + tag + "\" at byte offset " + begin);
              }
              if (tag.equals("blockquote") && attribute.equals("expandable")) {
                argument = "1";
              }
              continue;
            }
            i++;
            while (at(s, i) != 0 && isSpace(at(s, i))) {
              i++;
            }
            if (at(s, i) == 0) {
              throw new ParseError("Unclosed start tag \"" + tag + "\" at byte offset " + begin);
            }
            String value;
            if (at(s, i) != '\'' && at(s, i) != '"') {
              int tokenBegin = i;
              while (isAlpha(at(s, i)) || isDigit(at(s, i)) || at(s, i) == '.' || at(s, i) == '-') {
                i++;
              }
              value = string(s, tokenBegin, i).toLowerCase(Locale.ROOT);
              if (!isSpace(at(s, i)) && at(s, i) != '>') {
                throw new ParseError("Unexpected end of name token at byte offset " + tokenBegin);
              }
            } else {
              int quote = at(s, i++);
              ByteArrayOutputStream valueBytes = new ByteArrayOutputStream();
              while (at(s, i) != quote && at(s, i) != 0) {
                if (at(s, i) == '&') {
                  int[] pos = {i};
                  int code = htmlEntity(s, pos);
                  if (code != 0) {
                    appendCodePoint(valueBytes, code);
                    i = pos[0];
                    continue;
                  }
                }
                valueBytes.write(at(s, i++));
              }
              if (at(s, i) == quote) {
                i++;
              }
              value = valueBytes.toString(StandardCharsets.UTF_8);
            }
            if (at(s, i) == 0) {
              throw new ParseError("Unclosed start tag at byte offset " + begin);
            }
            if (tag.equals("a") && attribute.equals("href")) {
              argument = value;
            } else if (tag.equals("code")
                && attribute.equals("class")
                && value.startsWith("language-")) {
              argument = value.substring(9);
            } else if (tag.equals("span") && attribute.equals("class") && value.startsWith("tg-")) {
              argument = value.substring(3);
            } else if (tag.equals("tg-emoji") && attribute.equals("emoji-id")) {
              argument = value;
            } else if (tag.equals("blockquote") && attribute.equals("expandable")) {
              argument = "1";
            }
          }
          if (tag.equals("span") && !argument.equals("spoiler")) {
            throw new ParseError(
                "Tag \"span\" must have class \"tg-spoiler\" at byte offset " + begin);
          }
          nested.add(new Open(tag, argument, utf16, begin, out.size()));
        } else {
          if (nested.isEmpty()) {
            throw new ParseError("Unexpected end tag at byte offset " + begin);
          }
          while (!isSpace(at(s, i)) && at(s, i) != '>') {
            i++;
          }
          String endTag = string(s, begin + 2, i).toLowerCase(Locale.ROOT);
          while (isSpace(at(s, i)) && at(s, i) != 0) {
            i++;
          }
          if (at(s, i) != '>') {
            throw new ParseError("Unclosed end tag at byte offset " + begin);
          }
          Open open = nested.remove(nested.size() - 1);
          if (!endTag.isEmpty() && !endTag.equals(open.kind)) {
            throw new ParseError(
                "Unmatched end tag at byte offset "
                    + begin
                    + ", expected \"</"
                    + open.kind
                    + ">\", found \"</"
                    + endTag
                    + ">\"");
          }
          if (utf16 > open.offset) {
            addHtmlEntity(entities, open, utf16 - open.offset, out);
          }
        }
      }
      if (!nested.isEmpty()) {
        throw new ParseError(
            "Can't find end tag corresponding to start tag \""
                + nested.get(nested.size() - 1).kind
                + "\"");
      }
      for (Entity entity : entities) {
        if (entity.type.equals("code")) {
          // A code language only serves to tell a pre block's language.
          entity.language = null;
        }
      }
      return new Formatted(out.toString(StandardCharsets.UTF_8), sorted(entities));
    }

    private static void addHtmlEntity(
        List<Entity> entities, Open open, int length, ByteArrayOutputStream out) throws ParseError {
      Entity last = entities.isEmpty() ? null : entities.get(entities.size() - 1);
      boolean sameSpan = last != null && last.offset == open.offset && last.length == length;
      switch (open.kind) {
        case "i", "em" -> entities.add(new Entity("italic", open.offset, length));
        case "b", "strong" -> entities.add(new Entity("bold", open.offset, length));
        case "s", "strike", "del" -> entities.add(new Entity("strikethrough", open.offset, length));
        case "u", "ins" -> entities.add(new Entity("underline", open.offset, length));
        case "tg-spoiler", "span" -> entities.add(new Entity("spoiler", open.offset, length));
        case "tg-emoji" -> {
          if (Args.toLong(open.argument) == 0 || !open.argument.matches("-?[0-9]+")) {
            throw new ParseError("Invalid custom emoji identifier specified");
          }
          Entity emoji = new Entity("custom_emoji", open.offset, length);
          emoji.customEmojiId = open.argument;
          entities.add(emoji);
        }
        case "tg-time" -> {
          // A formatted date; the stand-in keeps its text only.
        }
        case "a" -> {
          String url = open.argument;
          if (url.isEmpty()) {
            byte[] written = out.toByteArray();
            url = string(written, open.outStart, written.length);
          }
          url = checkedLink(url);
          if (!url.isEmpty()) {
            Entity link = new Entity("text_link", open.offset, length);
            link.url = url;
            entities.add(link);
          }
        }
        case "pre" -> {
          if (sameSpan && last.type.equals("code") && last.language != null) {
            entities.remove(entities.size() - 1);
            Entity pre = new Entity("pre", open.offset, length);
            pre.language = last.language;
            entities.add(pre);
          } else {
            entities.add(new Entity("pre", open.offset, length));
          }
        }
        case "code" -> {
          if (sameSpan && last.type.equals("pre") && !open.argument.isEmpty()) {
            last.language = open.argument;
          } else {
            Entity code = new Entity("code", open.offset, length);
            code.language = open.argument.isEmpty() ? null : open.argument;
            entities.add(code);
          }
        }
        case "blockquote" ->
            entities.add(
                new Entity(
                    open.argument.isEmpty() ? "blockquote" : "expandable_blockquote",
                    open.offset,
                    length));
        default -> throw new IllegalStateException(open.kind);
      }
    }

    static Formatted markdownV2(String text) throws ParseError {
      byte[] s = text.getBytes(StandardCharsets.UTF_8);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      List<Entity> entities = new ArrayList<>();
      List<Open> nested = new ArrayList<>();
      int utf16 = 0;
      boolean haveBlockquote = false;
      boolean canStartBlockquote = true;
      for (int i = 0; i < s.length; i++) {
        int c = at(s, i);
        if (c == '\\' && at(s, i + 1) > 0 && at(s, i + 1) <= 126) {
          i++;
          utf16 += 1;
          out.write(at(s, i));
          if (at(s, i) != '\r') {
            canStartBlockquote = at(s, i) == '\n';
          }
          continue;
        }
        String kind = nested.isEmpty() ? "" : nested.get(nested.size() - 1).kind;
        String reserved =
            kind.equals("Code") || kind.equals("Pre") || kind.equals("PreCode")
                ? "`"
                : "_*[]()~`>#+-=|{}.!\n";
        if (c >= 128 || reserved.indexOf(c) < 0) {
          if (isFirstCodeUnit(c)) {
            utf16 += utf16Units(c);
            if (c != '\r') {
              canStartBlockquote = false;
            }
          }
          out.write(c);
          continue;
        }
        boolean isEnd = !nested.isEmpty() && endsEntityV2(s, i, kind, haveBlockquote);
        if (!isEnd) {
          String type;
          String argument = "";
          int entityByteOffset = i;
          switch (c) {
            case '_' -> {
              if (at(s, i + 1) == '_') {
                type = "Underline";
                i++;
              } else {
                type = "Italic";
              }
            }
            case '*' -> type = "Bold";
            case '~' -> type = "Strikethrough";
            case '|' -> {
              if (at(s, i + 1) != '|') {
                throw reservedCharacter(c);
              }
              i++;
              type = "Spoiler";
            }
            case '[' -> type = "TextUrl";
            case '`' -> {
              if (at(s, i + 1) == '`' && at(s, i + 2) == '`') {
                i += 3;
                type = "Pre";
                int languageEnd = i;
                while (!isSpace(at(s, languageEnd)) && at(s, languageEnd) != '`') {
                  languageEnd++;
                }
                if (i != languageEnd && languageEnd < s.length && at(s, languageEnd) != '`') {
                  type = "PreCode";
                  argument = string(s, i, languageEnd);
                  i = languageEnd;
                }
                i = skipOneNewline(s, i);
                i--;
              } else {
                type = "Code";
              }
            }
            case '!' -> {
              if (at(s, i + 1) != '[') {
                throw reservedCharacter(c);
              }
              i++;
              type = "CustomEmoji";
            }
            case '\n' -> {
              utf16 += 1;
              out.write('\n');
              canStartBlockquote = true;
              continue;
            }
            case '>' -> {
              if (!canStartBlockquote) {
                throw reservedCharacter(c);
              }
              if (haveBlockquote) {
                continue;
              }
              type = "BlockQuote";
              haveBlockquote = true;
            }
            default -> throw reservedCharacter(c);
          }
          nested.add(new Open(type, argument, utf16, entityByteOffset, out.size()));
        } else {
          Open open = nested.get(nested.size() - 1);
          String type = open.kind;
          if (c == '\n' && !type.equals("BlockQuote")) {
            boolean spoilerBeforeNewline =
                type.equals("Spoiler")
                    && (open.byteOffset == i - 2
                        || (open.byteOffset == i - 3
                            && out.size() != 0
                            && out.toByteArray()[out.size() - 1] == '\r'));
            if (!spoilerBeforeNewline) {
              throw unclosed(open);
            }
            nested.remove(nested.size() - 1);
            open = nested.get(nested.size() - 1);
            if (!open.kind.equals("BlockQuote")) {
              throw unclosed(open);
            }
            type = "ExpandableBlockQuote";
          }
          String argument = open.argument;
          boolean skip = utf16 == open.offset;
          switch (type) {
            case "Bold", "Italic", "Code", "Strikethrough" -> {}
            case "Underline", "Spoiler" -> i++;
            case "Pre", "PreCode" -> i += 2;
            case "TextUrl" -> {
              String url;
              if (at(s, i + 1) != '(') {
                byte[] written = out.toByteArray();
                url = string(written, open.outStart, written.length);
              } else {
                i += 2;
                int urlBegin = i;
                ByteArrayOutputStream urlBytes = new ByteArrayOutputStream();
                while (i < s.length && at(s, i) != ')') {
                  if (at(s, i) == '\\' && at(s, i + 1) > 0 && at(s, i + 1) <= 126) {
                    urlBytes.write(at(s, i + 1));
                    i += 2;
                    continue;
                  }
                  urlBytes.write(at(s, i++));
                }
                if (at(s, i) != ')') {
                  throw new ParseError("Can't find end of a URL at byte offset " + urlBegin);
                }
                url = urlBytes.toString(StandardCharsets.UTF_8);
              }
              url = checkedLink(url);
              if (url.isEmpty()) {
                skip = true;
              } else {
                argument = url;
              }
            }
            case "CustomEmoji" -> {
              if (at(s, i + 1) != '(') {
                throw new ParseError("The entity must contain a tg://emoji or tg://time URL");
              }
              i += 2;
              int urlBegin = i;
              ByteArrayOutputStream urlBytes = new ByteArrayOutputStream();
              while (i < s.length && at(s, i) != ')') {
                if (at(s, i) == '\\' && at(s, i + 1) > 0 && at(s, i + 1) <= 126) {
                  urlBytes.write(at(s, i + 1));
                  i += 2;
                  continue;
                }
                urlBytes.write(at(s, i++));
              }
              if (at(s, i) != ')') {
                throw new ParseError("Can't find end of a URL at byte offset " + urlBegin);
              }
              Matcher emoji =
                  Pattern.compile("tg://emoji\\?id=([0-9]+)")
                      .matcher(urlBytes.toString(StandardCharsets.UTF_8));
              if (emoji.matches()) {
                argument = emoji.group(1);
              } else if (urlBytes.toString(StandardCharsets.UTF_8).startsWith("tg://time?")) {
                skip = true;
              } else {
                throw new ParseError("Invalid tg://emoji or tg://time URL specified");
              }
            }
            case "BlockQuote", "ExpandableBlockQuote" -> {
              haveBlockquote = false;
              out.write(at(s, i));
              canStartBlockquote = true;
              utf16 += 1;
              skip = false;
            }
            default -> throw new IllegalStateException(type);
          }
          if (!skip) {
            entities.add(v2Entity(type, open.offset, utf16 - open.offset, argument));
          }
          nested.remove(nested.size() - 1);
        }
      }
      if (haveBlockquote) {
        String type = "BlockQuote";
        Open open = nested.get(nested.size() - 1);
        if (open.kind.equals("Spoiler") && open.byteOffset == s.length - 2) {
          nested.remove(nested.size() - 1);
          open = nested.get(nested.size() - 1);
          type = "ExpandableBlockQuote";
        }
        if (open.kind.equals("BlockQuote")) {
          if (utf16 != open.offset) {
            entities.add(v2Entity(type, open.offset, utf16 - open.offset, ""));
          }
          nested.remove(nested.size() - 1);
        }
      }
      if (!nested.isEmpty()) {
        throw unclosed(nested.get(nested.size() - 1));
      }
      return new Formatted(out.toString(StandardCharsets.UTF_8), sorted(entities));
    }

    private static boolean endsEntityV2(byte[] s, int i, String kind, boolean haveBlockquote) {
      int c = at(s, i);
      if (haveBlockquote && c == '\n' && (i + 1 == s.length || at(s, i + 1) != '>')) {
        return true;
      }
      return switch (kind) {
        case "Bold" -> c == '*';
        case "Italic" -> c == '_' && at(s, i + 1) != '_';
        case "Code" -> c == '`';
        case "Pre", "PreCode" -> c == '`' && at(s, i + 1) == '`' && at(s, i + 2) == '`';
        case "TextUrl", "CustomEmoji" -> c == ']';
        case "Underline" -> c == '_' && at(s, i + 1) == '_';
        case "Strikethrough" -> c == '~';
        case "Spoiler" -> c == '|' && at(s, i + 1) == '|';
        default -> false;
      };
    }

    private static Entity v2Entity(String kind, int offset, int length, String argument) {
      Entity entity =
          new Entity(
              switch (kind) {
                case "Bold" -> "bold";
                case "Italic" -> "italic";
                case "Underline" -> "underline";
                case "Strikethrough" -> "strikethrough";
                case "Spoiler" -> "spoiler";
                case "Code" -> "code";
                case "Pre", "PreCode" -> "pre";
                case "TextUrl" -> "text_link";
                case "CustomEmoji" -> "custom_emoji";
                case "BlockQuote" -> "blockquote";
                case "ExpandableBlockQuote" -> "expandable_blockquote";
                default -> throw new IllegalStateException(kind);
              },
              offset,
              length);
      switch (kind) {
        case "PreCode" -> entity.language = argument;
        case "TextUrl" -> entity.url = argument;
        case "CustomEmoji" -> entity.customEmojiId = argument;
        default -> {}
      }
      return entity;
    }

    private static ParseError reservedCharacter(int c) {
      return new ParseError(
          "Character '" + (char) c + "' is reserved and must be escaped with the preceding '\\'");
    }

    private static ParseError unclosed(Open open) {
      return new ParseError(
          "Can't find end of " + open.kind + " entity at byte offset " + open.byteOffset);
    }

    private static int skipOneNewline(byte[] s, int i) {
      if (at(s, i) == '\n' || at(s, i) == '\r') {
        if ((at(s, i + 1) == '\n' || at(s, i + 1) == '\r') && at(s, i) != at(s, i + 1)) {
          return i + 2;
        }
        return i + 1;
      }
      return i;
    }

    static Formatted markdown(String text) throws ParseError {
      byte[] s = text.getBytes(StandardCharsets.UTF_8);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      List<Entity> entities = new ArrayList<>();
      int utf16 = 0;
      int size = s.length;
      for (int i = 0; i < size; i++) {
        int c = at(s, i);
        int next = at(s, i + 1);
        if (c == '\\' && (next == '_' || next == '*' || next == '`' || next == '[')) {
          i++;
          out.write(at(s, i));
          utf16++;
          continue;
        }
        if (c != '_' && c != '*' && c != '`' && c != '[') {
          if (isFirstCodeUnit(c)) {
            utf16 += utf16Units(c);
          }
          out.write(c);
          continue;
        }
        int begin = i;
        int end = c == '[' ? ']' : c;
        boolean pre = false;
        i++;
        String language = "";
        if (c == '`' && at(s, i) == '`' && at(s, i + 1) == '`') {
          i += 2;
          pre = true;
          int languageEnd = i;
          while (!isSpace(at(s, languageEnd)) && at(s, languageEnd) != '`') {
            languageEnd++;
          }
          if (i != languageEnd && languageEnd < size && at(s, languageEnd) != '`') {
            language = string(s, i, languageEnd);
            i = languageEnd;
          }
          i = skipOneNewline(s, i);
        }
        int entityOffset = utf16;
        while (i < size
            && (at(s, i) != end || (pre && !(at(s, i + 1) == '`' && at(s, i + 2) == '`')))) {
          int current = at(s, i);
          if (isFirstCodeUnit(current)) {
            utf16 += utf16Units(current);
          }
          out.write(current);
          i++;
        }
        if (i == size) {
          throw new ParseError("Can't find end of the entity starting at byte offset " + begin);
        }
        if (entityOffset != utf16) {
          int length = utf16 - entityOffset;
          switch (c) {
            case '_' -> entities.add(new Entity("italic", entityOffset, length));
            case '*' -> entities.add(new Entity("bold", entityOffset, length));
            case '[' -> {
              String url;
              if (at(s, i + 1) != '(') {
                url = string(s, begin + 1, i);
              } else {
                i += 2;
                int urlBegin = i;
                while (i < size && at(s, i) != ')') {
                  i++;
                }
                url = string(s, urlBegin, i);
              }
              url = checkedLink(url);
              if (!url.isEmpty()) {
                Entity link = new Entity("text_link", entityOffset, length);
                link.url = url;
                entities.add(link);
              }
            }
            default -> {
              if (pre) {
                Entity entity = new Entity("pre", entityOffset, length);
                entity.language = language.isEmpty() ? null : language;
                entities.add(entity);
              } else {
                entities.add(new Entity("code", entityOffset, length));
              }
            }
          }
        }
        if (pre) {
          i += 2;
        }
      }
      return new Formatted(out.toString(StandardCharsets.UTF_8), sorted(entities));
    }

    /**
     * A link the service accepts for a text_link: http(s), tg and ton URLs, or a bare host (made
     * http); anything else gives no entity. Simpler than TDLib's check_link, which also normalises.
     */
    private static String checkedLink(String url) {
      String link = url.strip();
      if (link.matches("(?i)(https?|tg|ton)://\\S+")) {
        return link;
      }
      if (link.matches("(?i)[a-z][a-z0-9+.-]*:.*")) {
        return "";
      }
      if (link.matches("[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+(/\\S*)?")) {
        return "http://" + link;
      }
      return "";
    }

    private static List<Entity> sorted(List<Entity> entities) {
      entities.sort(Comparator.comparingInt((Entity e) -> e.offset).thenComparing(e -> -e.length));
      return entities;
    }
  }
}
