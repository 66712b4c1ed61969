package ai.intercom.config;

import ai.intercom.protocol.NodeRole;
import com.typesafe.config.Config;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The product's settings, read once from the {@code intercom} section of the layered configuration
 * (see {@link ConfigLoader}).
 */
public record Settings(
    NodeRole mode,
    Path home,
    Machine machine,
    Hub hub,
    Cluster cluster,
    Discovery discovery,
    LauncherSettings agentLauncher,
    Duration approvalTimeout,
    long maxMessageBytes,
    Inbox inbox,
    Duration askTimeout,
    Telegram telegram,
    String agentsGroup,
    Journal journal) {

  /**
   * Where the hubs keep the event journal: {@code sqlite} (the default, a file under data/, one
   * hub) or {@code postgres} (a PostgreSQL database that several hub nodes share).
   */
  public record Journal(String kind, String url, String user, String password) {

    public boolean postgres() {
      return kind.equals("postgres");
    }

    @Override
    public String toString() {
      return "Journal[" + kind + " " + url + " user=" + user + " password=****]";
    }
  }

  public record Machine(String id, String displayName, String description) {}

  /**
   * {@code joinExpireAfter}: how long a machine's join request waits for the operator before it
   * expires (hubs).
   */
  public record Hub(String url, HostPort listen, int clusterPort, Duration joinExpireAfter) {}

  /**
   * {@code tls}: the cluster transport with mutual TLS (off only to measure what it costs); {@code
   * severalHubs}: more than one hub node shares a PostgreSQL journal (set on every node).
   */
  public record Cluster(
      String host,
      int port,
      List<HostPort> seedNodes,
      Duration hubLostAfter,
      boolean tls,
      boolean severalHubs) {}

  /**
   * {@code scanPaths} empty: the usual places under {@code userHome} ({@code ~/projects}, {@code
   * ~/src}, {@code ~/code}, {@code ~/work}, {@code ~}).
   */
  public record Discovery(
      boolean enabled,
      List<Path> scanPaths,
      List<String> detectBy,
      List<String> exclude,
      Path userHome) {}

  /**
   * {@code stuckAfter} ({@code sessions.stuck-after}): how long a working session may go without a
   * hook before it counts as stuck.
   */
  public record Inbox(long compactBytes, Duration livenessInterval, Duration stuckAfter) {}

  /** Plain operator text outside the topics goes to {@code target} (machine/project). */
  public record Dispatcher(
      boolean enabled, String target, String systemPrompt, Duration answerTimeout) {

    static Dispatcher from(Config d) {
      boolean enabled = d.getBoolean("enabled");
      String target = d.getString("target").trim();
      if (enabled
          && !target.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}/[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
        throw new IllegalArgumentException(
            "telegram.dispatcher.target must be machine/project when the dispatcher is enabled,"
                + " got '"
                + target
                + "'");
      }
      return new Dispatcher(
          enabled, target, d.getString("system-prompt"), d.getDuration("answer-timeout"));
    }
  }

  /**
   * The operator's Telegram bot; off without a token. {@code apiUrl}: the Bot API's base ({@code
   * https://api.telegram.org}, or a local Bot API server).
   */
  public record Telegram(
      String botToken,
      long supergroupId,
      URI apiUrl,
      List<Long> allowedUsers,
      boolean restrictToSupergroup,
      boolean ignorePrivateMessages,
      Duration pollTimeout,
      int messagesPerMinute,
      Dispatcher dispatcher) {

    public Telegram {
      allowedUsers = List.copyOf(allowedUsers);
    }

    public boolean enabled() {
      return !botToken.isBlank();
    }

    @Override
    public String toString() {
      return "Telegram[bot-token="
          + (enabled() ? "***" : "")
          + ", supergroup-id="
          + supergroupId
          + ", api-url="
          + apiUrl
          + ", allowed-users="
          + allowedUsers
          + "]";
    }

    static Telegram from(Config t) {
      String token = t.getString("bot-token").trim();
      long group = t.getLong("supergroup-id");
      List<Long> users = new ArrayList<>();
      for (String user : t.getStringList("security.allowed-users")) {
        try {
          users.add(Long.parseLong(user.trim()));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "telegram.security.allowed-users (TELEGRAM_OWNER_ID) must be Telegram user ids,"
                  + " got '"
                  + user
                  + "'");
        }
      }
      URI api;
      try {
        api = new URI(t.getString("api-url").trim());
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(
            "telegram.api-url (TELEGRAM_API_URL): " + e.getMessage());
      }
      if (!("http".equals(api.getScheme()) || "https".equals(api.getScheme()))
          || api.getHost() == null) {
        throw new IllegalArgumentException(
            "telegram.api-url (TELEGRAM_API_URL) must be an http(s) URL, got '" + api + "'");
      }
      if (!token.isEmpty()) {
        if (!token.matches("[0-9]{1,20}:[A-Za-z0-9_-]{20,100}")) {
          throw new IllegalArgumentException(
              "telegram.bot-token (TELEGRAM_BOT_TOKEN) is not a bot token (123456:ABC-...)");
        }
        if (group >= 0) {
          throw new IllegalArgumentException(
              "telegram.supergroup-id (TELEGRAM_SUPERGROUP_ID) must be the supergroup's id"
                  + " (a negative number such as -1001234567890) when a bot token is set");
        }
        if (users.isEmpty()) {
          throw new IllegalArgumentException(
              "TELEGRAM_OWNER_ID (telegram.security.allowed-users) must name who may command the"
                  + " bot when a bot token is set");
        }
      }
      return new Telegram(
          token,
          group,
          api,
          users,
          t.getBoolean("security.restrict-to-supergroup"),
          t.getBoolean("security.ignore-private-messages"),
          t.getDuration("poll-timeout"),
          positive(t.getInt("messages-per-minute"), "telegram.messages-per-minute"),
          Dispatcher.from(t.getConfig("dispatcher")));
    }
  }

  /** Reads the {@code intercom} section of a resolved configuration. */
  public static Settings from(Config root) {
    Config c = root.getConfig("intercom");
    Config launcher = c.getConfig("agent-launcher");
    Config discovery = c.getConfig("discovery");
    String machineId = c.getString("machine.id");
    return new Settings(
        NodeRole.parse(c.getString("mode")),
        Path.of(c.getString("home")).toAbsolutePath().normalize(),
        new Machine(
            machineId,
            orDefault(c.getString("machine.display-name"), machineId),
            c.getString("machine.description")),
        new Hub(
            c.getString("hub.url"),
            HostPort.parse(c.getString("hub.listen")),
            c.getInt("hub.cluster-port"),
            c.getDuration("hub.join-expire-after")),
        new Cluster(
            c.getString("cluster.host"),
            c.getInt("cluster.port"),
            c.getStringList("cluster.seed-nodes").stream().map(HostPort::parse).toList(),
            c.getDuration("cluster.hub-lost-after"),
            c.getBoolean("cluster.tls"),
            c.getBoolean("cluster.several-hubs")),
        new Discovery(
            discovery.getBoolean("enabled"),
            paths(discovery.getStringList("scan-paths")),
            discovery.getStringList("detect-by"),
            discovery.getStringList("exclude"),
            Path.of(c.getString("user-home"))),
        new LauncherSettings(
            launcher.getString("default-command"),
            launcher.getStringList("default-args"),
            paths(launcher.getStringList("allowed-paths")),
            launcher.getDuration("max-mission-duration"),
            positive(launcher.getInt("max-concurrent"), "agent-launcher.max-concurrent"),
            strings(launcher.getConfig("commands")),
            strings(launcher.getConfig("project-commands")),
            launcher.getBoolean("permission-relay"),
            launcher.getDuration("stop-grace"),
            mcpCommand(launcher.getStringList("mcp-command")),
            strings(launcher.getConfig("environment"))),
        c.getDuration("approval.timeout"),
        c.getBytes("messages.max-bytes"),
        new Inbox(
            c.getBytes("inbox.compact-bytes"),
            c.getDuration("inbox.liveness-interval"),
            c.getDuration("sessions.stuck-after")),
        c.getDuration("ask-timeout"),
        Telegram.from(c.getConfig("telegram")),
        c.getString("security.agents-group").trim(),
        journal(c.getConfig("journal")));
  }

  private static Journal journal(Config j) {
    String kind = j.getString("kind").trim().toLowerCase(java.util.Locale.ROOT);
    if (!kind.equals("sqlite") && !kind.equals("postgres")) {
      throw new IllegalArgumentException("journal.kind '" + kind + "' must be sqlite or postgres");
    }
    String url = j.getString("url").trim();
    if (kind.equals("postgres") && !url.startsWith("jdbc:postgresql://")) {
      throw new IllegalArgumentException(
          "journal.url (INTERCOM_JOURNAL_URL) must be like"
              + " jdbc:postgresql://HOST:5432/DATABASE when journal.kind is postgres");
    }
    return new Journal(kind, url, j.getString("user"), j.getString("password"));
  }

  public Path dataDir() {
    return home.resolve("data");
  }

  public Path journalFile() {
    return dataDir().resolve("intercom.db");
  }

  /** The journal's JDBC URL: the SQLite file, or the PostgreSQL database. */
  public String journalUrl() {
    return journal.postgres()
        ? journal.url()
        : "jdbc:sqlite:" + journalFile() + "?busy_timeout=10000";
  }

  public Path inboxDir() {
    return home.resolve("inbox");
  }

  public Path logsDir() {
    return home.resolve("logs");
  }

  public Path localTokenFile() {
    return home.resolve("local.token");
  }

  /** This node's cluster credentials (key, certificate, the CA's, revoked serials). */
  public Path tlsDir() {
    return home.resolve("tls");
  }

  /** The network's certificate authority and token key: on the hub only. */
  public Path caDir() {
    return home.resolve("ca");
  }

  /** The token the hub gave this machine at join ({@code ict_<machine>_<hex>}, 0600). */
  public Path machineTokenFile() {
    return home.resolve("machine.token");
  }

  public Path policiesFile() {
    return home.resolve("policies.yml");
  }

  /**
   * How a launched agent starts this product's MCP server: as configured, else the wrapper script
   * that started this node ({@code INTERCOM_SCRIPT}), else this JVM with its class path.
   */
  private static List<String> mcpCommand(List<String> configured) {
    if (!configured.isEmpty()) {
      return configured;
    }
    String script = System.getenv("INTERCOM_SCRIPT");
    if (script != null && !script.isBlank()) {
      return List.of(script);
    }
    return List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp",
        System.getProperty("java.class.path"),
        "ai.intercom.app.Main");
  }

  /** A section of names and values (quoted keys allowed) as a map of strings. */
  private static Map<String, String> strings(Config section) {
    return section.root().unwrapped().entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> String.valueOf(e.getValue())));
  }

  private static String orDefault(String value, String fallback) {
    return value.isBlank() ? fallback : value;
  }

  private static List<Path> paths(List<String> values) {
    return values.stream().filter(v -> !v.isBlank()).map(Path::of).toList();
  }

  private static int positive(int value, String key) {
    if (value < 1) {
      throw new IllegalArgumentException(key + " must be at least 1, got " + value);
    }
    return value;
  }
}
