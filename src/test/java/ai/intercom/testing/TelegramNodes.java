package ai.intercom.testing;

import ai.intercom.app.Node;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A standalone node with the operator's bot pointed at a {@link BotApi}: project {@code web} under
 * {@code home/projects}, the Python stand-in {@code claude} as its agent, {@code owner} as the one
 * allowed Telegram user.
 */
public final class TelegramNodes {

  /** The suite's bot, supergroup and operator. */
  public static final String TOKEN = "123456789:AAHfakeTokenForTheSuite_0123456789ab";

  public static final long GROUP = -1001234567890L;
  public static final long ALICE = 1111;

  private TelegramNodes() {}

  /** The stand-in agent installed for a node started by {@link #start} in {@code home}. */
  public static FakeClaude claude(Path home) {
    return FakeClaude.install(home.resolve("bin"));
  }

  /**
   * Starts the node; {@code overrides} are configuration paths, on top of the agent's environment
   * ({@code intercom.agent-launcher.environment}) which logs the stand-in's runs.
   */
  public static Node start(Path home, BotApi telegram, Map<String, Object> overrides)
      throws IOException {
    Files.createDirectories(home.resolve("projects/web/.git"));
    if (!Files.exists(home.resolve("policies.yml"))) {
      Files.writeString(
          home.resolve("policies.yml"), "defaults:\n  require_approval: once\nrules: []\n");
    }
    FakeClaude claude = claude(home);
    Map<String, Object> config = new HashMap<>();
    config.put(
        "intercom.agent-launcher.environment", Map.of("FAKE_AGENT_LOG", claude.log().toString()));
    config.putAll(overrides);
    return TestNodes.start(
        home,
        "standalone",
        Map.of(
            "INTERCOM_SCAN_PATHS", home.resolve("projects").toString(),
            "INTERCOM_AGENT_COMMAND", claude.executable().toString(),
            "TELEGRAM_BOT_TOKEN", TOKEN,
            "TELEGRAM_SUPERGROUP_ID", String.valueOf(telegram.supergroupId()),
            "TELEGRAM_OWNER_ID", String.valueOf(ALICE),
            "TELEGRAM_API_URL", telegram.url()),
        config);
  }
}
