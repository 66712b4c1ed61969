package ai.intercom.config;

import ai.intercom.protocol.NodeRole;
import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
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
    Duration askTimeout) {

  public record Machine(String id, String displayName, String description) {}

  public record Hub(String url, HostPort listen, int clusterPort) {}

  public record Cluster(String host, int port, List<HostPort> seedNodes, Duration hubLostAfter) {}

  public record Discovery(
      boolean enabled, List<Path> scanPaths, List<String> detectBy, List<String> exclude) {}

  public record Inbox(long compactBytes, Duration livenessInterval) {}

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
            c.getInt("hub.cluster-port")),
        new Cluster(
            c.getString("cluster.host"),
            c.getInt("cluster.port"),
            c.getStringList("cluster.seed-nodes").stream().map(HostPort::parse).toList(),
            c.getDuration("cluster.hub-lost-after")),
        new Discovery(
            discovery.getBoolean("enabled"),
            paths(discovery.getStringList("scan-paths")),
            discovery.getStringList("detect-by"),
            discovery.getStringList("exclude")),
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
        new Inbox(c.getBytes("inbox.compact-bytes"), c.getDuration("inbox.liveness-interval")),
        c.getDuration("ask-timeout"));
  }

  public Path dataDir() {
    return home.resolve("data");
  }

  public Path journalFile() {
    return dataDir().resolve("intercom.db");
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
