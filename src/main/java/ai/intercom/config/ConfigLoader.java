package ai.intercom.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the node's configuration from its layers, highest first: the environment variables of the
 * contract, system properties, the operator's {@code $INTERCOM_HOME/intercom.conf}, what the hub's
 * set-up wrote ({@code hub.conf}), what the join wrote ({@code joined.conf}), the packaged {@code
 * application.conf} and {@code reference.conf}.
 */
public final class ConfigLoader {

  public static final String CONFIG_FILE = "intercom.conf";

  /**
   * Where the hub is, as {@code ai-intercom join} learnt it ({@code hub.url}, {@code
   * cluster.seed-nodes}): below the operator's own file, which may say otherwise.
   */
  public static final String JOINED_FILE = "joined.conf";

  /**
   * The hub as {@code ai-intercom setup hub} set it up (its addresses, the operator's Telegram bot;
   * mode 0600): below the operator's own file.
   */
  public static final String HUB_FILE = "hub.conf";

  /** Where reference.conf takes the product's defaults from. */
  static final String PRODUCT_DEFAULTS = "intercom-reference.conf";

  private final Map<String, String> env;

  public ConfigLoader(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  public static ConfigLoader fromEnvironment() {
    return new ConfigLoader(System.getenv());
  }

  /** The home directory in effect: INTERCOM_HOME, else -Dintercom.home, else the default. */
  public Path home() {
    return Optional.ofNullable(env.get("INTERCOM_HOME"))
        .filter(v -> !v.isBlank())
        .or(() -> Optional.ofNullable(System.getProperty("intercom.home")))
        .map(Path::of)
        .orElseGet(() -> userHome().resolve(".config").resolve("ai-intercom"))
        .toAbsolutePath()
        .normalize();
  }

  /**
   * The user's home: {@code $HOME} as the shell has it (a service, a container or {@code
   * HOME=/tmp/x ai-intercom ...} may set it), else the passwd entry's ({@code user.home}), which
   * the JVM takes whatever {@code $HOME} says.
   */
  public Path userHome() {
    return Optional.ofNullable(env.get("HOME"))
        .filter(v -> !v.isBlank())
        .map(Path::of)
        .orElseGet(() -> Path.of(System.getProperty("user.home")))
        .toAbsolutePath()
        .normalize();
  }

  /**
   * The resolved configuration.
   *
   * @param overrides settings that beat every layer (command-line options)
   * @throws StartupException naming the file, variable or key at fault
   */
  public Config load(Map<String, Object> overrides) {
    return load(
        overrides,
        ConfigFactory.defaultApplication().withFallback(ConfigFactory.defaultReference()));
  }

  public Config load() {
    return load(Map.of());
  }

  /**
   * The product's own settings only, without Pekko's: for the commands that are clients of a node
   * (the MCP server, the CLI), which must start fast.
   */
  public Config loadForClient() {
    return loadForClient(Map.of());
  }

  /** As {@link #loadForClient()}, with {@code overrides} above every layer. */
  public Config loadForClient(Map<String, Object> overrides) {
    return load(
        overrides,
        ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), PRODUCT_DEFAULTS));
  }

  private Config load(Map<String, Object> overrides, Config defaults) {
    Path home = home();
    try {
      ConfigFactory.invalidateCaches();
      Map<String, Object> top = new HashMap<>(overrides);
      top.put("intercom.home", home.toString());
      top.put("intercom.user-home", userHome().toString());
      Config layered =
          ConfigFactory.parseMap(top, "command line")
              .withFallback(environmentLayer())
              .withFallback(ConfigFactory.systemProperties())
              .withFallback(homeFile(home, CONFIG_FILE))
              .withFallback(homeFile(home, HUB_FILE))
              .withFallback(homeFile(home, JOINED_FILE))
              .withFallback(defaults)
              .resolve();
      Config derived = withDerivedValues(layered);
      Settings.from(derived);
      return derived;
    } catch (ConfigException e) {
      throw new StartupException("configuration: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new StartupException("configuration: " + e.getMessage(), e);
    }
  }

  private Config homeFile(Path home, String name) {
    Path file = home.resolve(name);
    if (!Files.isRegularFile(file)) {
      return ConfigFactory.empty();
    }
    if (!Files.isReadable(file)) {
      throw new StartupException("configuration: cannot read " + file);
    }
    return ConfigFactory.parseFile(
        file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
  }

  private Config environmentLayer() {
    Map<String, Object> values = new HashMap<>();
    copy("INTERCOM_MACHINE_ID", "intercom.machine.id", values);
    copy("HUB_URL", "intercom.hub.url", values);
    copy("INTERCOM_JOURNAL", "intercom.journal.kind", values);
    copy("INTERCOM_JOURNAL_URL", "intercom.journal.url", values);
    copy("INTERCOM_JOURNAL_USER", "intercom.journal.user", values);
    copy("INTERCOM_JOURNAL_PASSWORD", "intercom.journal.password", values);
    copy("INTERCOM_AGENT_COMMAND", "intercom.agent-launcher.default-command", values);
    port("INTERCOM_CLUSTER_PORT").ifPresent(v -> values.put("intercom.cluster.port", v));
    copy("INTERCOM_CLUSTER_HOST", "intercom.cluster.host", values);
    copy("TELEGRAM_BOT_TOKEN", "intercom.telegram.bot-token", values);
    copy("TELEGRAM_API_URL", "intercom.telegram.api-url", values);
    number("TELEGRAM_SUPERGROUP_ID")
        .ifPresent(v -> values.put("intercom.telegram.supergroup-id", v));
    value("TELEGRAM_OWNER_ID")
        .ifPresent(
            v ->
                values.put(
                    "intercom.telegram.security.allowed-users",
                    Arrays.stream(v.split(","))
                        .map(String::trim)
                        .filter(id -> !id.isEmpty())
                        .toList()));
    value("INTERCOM_SCAN_PATHS")
        .ifPresent(
            v ->
                values.put(
                    "intercom.discovery.scan-paths",
                    Arrays.stream(v.split(":")).filter(p -> !p.isBlank()).toList()));
    return ConfigFactory.parseMap(values, "environment");
  }

  private Config withDerivedValues(Config config) {
    Config result = config;
    if (config.getString("intercom.machine.id").isBlank()) {
      result = result.withValue("intercom.machine.id", ConfigValueFactory.fromAnyRef(hostName()));
    }
    Optional<Integer> httpPort = port("INTERCOM_HTTP_PORT");
    Optional<String> httpHost = value("INTERCOM_HTTP_HOST");
    if (httpPort.isPresent() || httpHost.isPresent()) {
      HostPort listen = HostPort.parse(config.getString("intercom.hub.listen"));
      listen = new HostPort(httpHost.orElse(listen.host()), httpPort.orElse(listen.port()));
      result =
          result.withValue("intercom.hub.listen", ConfigValueFactory.fromAnyRef(listen.toString()));
    }
    String machineId = result.getString("intercom.machine.id");
    if (!machineId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
      throw new IllegalArgumentException(
          "machine id '"
              + machineId
              + "' must be 1-63 letters, digits, '.', '_' or '-'"
              + " (set INTERCOM_MACHINE_ID or intercom.machine.id)");
    }
    return result;
  }

  private void copy(String variable, String key, Map<String, Object> values) {
    value(variable).ifPresent(v -> values.put(key, v));
  }

  private Optional<String> value(String variable) {
    return Optional.ofNullable(env.get(variable)).filter(v -> !v.isBlank()).map(String::trim);
  }

  private Optional<Long> number(String variable) {
    return value(variable)
        .map(
            v -> {
              try {
                return Long.parseLong(v);
              } catch (NumberFormatException e) {
                throw new IllegalArgumentException(variable + " must be a number, got '" + v + "'");
              }
            });
  }

  private Optional<Integer> port(String variable) {
    return number(variable)
        .map(
            v -> {
              if (v < 0 || v > 65535) {
                throw new IllegalArgumentException(
                    variable + " must be a port (0-65535), got " + v);
              }
              return v.intValue();
            });
  }

  static String hostName() {
    try {
      String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
      if (!name.isEmpty()) {
        return name;
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: ask the resolver below
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }
}
