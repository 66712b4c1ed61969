package ai.intercom.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.protocol.NodeRole;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @TempDir Path home;

  private Settings load(Map<String, String> env) {
    Map<String, String> all = new HashMap<>(env);
    all.put("INTERCOM_HOME", home.toString());
    return Settings.from(new ConfigLoader(all).load());
  }

  private void operatorFile(String hocon) throws IOException {
    Files.writeString(home.resolve("intercom.conf"), hocon);
  }

  @Test
  void packagedDefaultsAreSane() {
    Settings settings = load(Map.of("INTERCOM_MACHINE_ID", "alpha"));
    assertEquals(NodeRole.STANDALONE, settings.mode());
    assertEquals(home, settings.home());
    assertEquals(new HostPort("127.0.0.1", 7700), settings.hub().listen());
    assertEquals(7701, settings.cluster().port());
    assertEquals(home.resolve("data/intercom.db"), settings.journalFile());
    assertEquals("claude", settings.agentLauncher().defaultCommand());
    assertEquals(Duration.ofSeconds(1800), settings.agentLauncher().maxMissionDuration());
    assertEquals(5, settings.agentLauncher().maxConcurrent());
    assertEquals(Duration.ofSeconds(300), settings.approvalTimeout());
    assertEquals(64 * 1024, settings.maxMessageBytes());
    assertEquals(List.of("CLAUDE.md", ".git", "AGENTS.md"), settings.discovery().detectBy());
    assertEquals("alpha", settings.machine().displayName());
  }

  @Test
  void machineIdDefaultsToTheHostName() {
    Settings settings = load(Map.of());
    assertEquals(ConfigLoader.hostName(), settings.machine().id());
  }

  @Test
  void operatorFileOverridesDefaultsAndEnvironmentOverridesTheFile() throws IOException {
    operatorFile(
        """
        intercom {
          machine { id = "from-file", description = "build box" }
          hub.listen = "0.0.0.0:9000"
          agent-launcher { max-concurrent = 2, default-command = "codex" }
          approval.timeout = 90s
          messages.max-bytes = 1KiB
        }
        """);
    Settings settings =
        load(
            Map.of(
                "INTERCOM_MACHINE_ID", "from-env",
                "INTERCOM_HTTP_PORT", "7800",
                "INTERCOM_CLUSTER_PORT", "7801",
                "INTERCOM_AGENT_COMMAND", "gemini",
                "INTERCOM_SCAN_PATHS", "/src:/work::",
                "HUB_URL", "http://100.64.0.1:7700"));
    assertEquals("from-env", settings.machine().id());
    assertEquals("build box", settings.machine().description());
    assertEquals(new HostPort("0.0.0.0", 7800), settings.hub().listen());
    assertEquals(7801, settings.cluster().port());
    assertEquals("gemini", settings.agentLauncher().defaultCommand());
    assertEquals(2, settings.agentLauncher().maxConcurrent());
    assertEquals(List.of(Path.of("/src"), Path.of("/work")), settings.discovery().scanPaths());
    assertEquals("http://100.64.0.1:7700", settings.hub().url());
    assertEquals(Duration.ofSeconds(90), settings.approvalTimeout());
    assertEquals(1024, settings.maxMessageBytes());
  }

  @Test
  void commandLineModeWinsOverTheFile() throws IOException {
    operatorFile("intercom.mode = daemon");
    Map<String, String> env = Map.of("INTERCOM_HOME", home.toString(), "INTERCOM_MACHINE_ID", "a");
    assertEquals(NodeRole.DAEMON, Settings.from(new ConfigLoader(env).load()).mode());
    assertEquals(
        NodeRole.HUB,
        Settings.from(new ConfigLoader(env).load(Map.of("intercom.mode", "hub"))).mode());
  }

  @Test
  void brokenFileIsNamedWithItsLine() throws IOException {
    operatorFile("intercom {\n  machine.id = \"x\"\n  hub.listen = \n");
    StartupException e = assertThrows(StartupException.class, () -> load(Map.of()));
    assertTrue(e.getMessage().startsWith("configuration: "), e.getMessage());
    assertTrue(e.getMessage().contains(home.resolve("intercom.conf").toString()), e.getMessage());
    assertTrue(e.getMessage().matches(".*: [34]: .*"), e.getMessage());
  }

  @Test
  void wrongTypesAndValuesAreNamed() throws IOException {
    operatorFile("intercom.agent-launcher.max-concurrent = many");
    assertTrue(
        assertThrows(StartupException.class, () -> load(Map.of()))
            .getMessage()
            .contains("max-concurrent"));
    operatorFile("intercom.agent-launcher.max-concurrent = 0");
    assertTrue(
        assertThrows(StartupException.class, () -> load(Map.of()))
            .getMessage()
            .contains("at least 1"));
    operatorFile("intercom.mode = cloud");
    assertTrue(
        assertThrows(StartupException.class, () -> load(Map.of()))
            .getMessage()
            .contains("unknown mode 'cloud'"));
    operatorFile("intercom.hub.listen = \"nowhere\"");
    assertTrue(
        assertThrows(StartupException.class, () -> load(Map.of()))
            .getMessage()
            .contains("'nowhere' is not host:port"));
  }

  @Test
  void telegramIsOffWithoutATokenAndTakesItsVariablesWithOne() {
    assertTrue(!load(Map.of()).telegram().enabled());
    Settings.Telegram on =
        load(Map.of(
                "TELEGRAM_BOT_TOKEN", "123456:AAHabcdefghijklmnopqrstuvwxyz012345",
                "TELEGRAM_SUPERGROUP_ID", "-1001234567890",
                "TELEGRAM_OWNER_ID", "42, 4242",
                "TELEGRAM_API_URL", "http://127.0.0.1:8081"))
            .telegram();
    assertTrue(on.enabled());
    assertEquals(-1001234567890L, on.supergroupId());
    assertEquals(java.util.List.of(42L, 4242L), on.allowedUsers());
    assertEquals("http://127.0.0.1:8081", on.apiUrl().toString());
    assertTrue(!on.toString().contains("AAHabc"), "the token is never printed: " + on);
  }

  @Test
  void telegramMistakesAreNamed() {
    Map<String, String> token =
        Map.of(
            "TELEGRAM_BOT_TOKEN", "123456:AAHabcdefghijklmnopqrstuvwxyz012345",
            "TELEGRAM_OWNER_ID", "42");
    assertTrue(
        assertThrows(StartupException.class, () -> load(token))
            .getMessage()
            .contains("TELEGRAM_SUPERGROUP_ID"));
    Map<String, String> noOwner = new java.util.HashMap<>(token);
    noOwner.remove("TELEGRAM_OWNER_ID");
    noOwner.put("TELEGRAM_SUPERGROUP_ID", "-100123");
    assertTrue(
        assertThrows(StartupException.class, () -> load(noOwner))
            .getMessage()
            .contains("TELEGRAM_OWNER_ID"));
    Map<String, String> badOwner = new java.util.HashMap<>(noOwner);
    badOwner.put("TELEGRAM_OWNER_ID", "alice");
    assertTrue(
        assertThrows(StartupException.class, () -> load(badOwner))
            .getMessage()
            .contains("got 'alice'"));
    assertTrue(
        assertThrows(
                StartupException.class, () -> load(Map.of("TELEGRAM_BOT_TOKEN", "not-a-token")))
            .getMessage()
            .contains("is not a bot token"));
    assertTrue(
        assertThrows(StartupException.class, () -> load(Map.of("TELEGRAM_API_URL", "ftp://x")))
            .getMessage()
            .contains("must be an http(s) URL"));
  }

  @Test
  void badEnvironmentValuesAreNamed() {
    assertEquals(
        "configuration: INTERCOM_HTTP_PORT must be a number, got 'http'",
        assertThrows(StartupException.class, () -> load(Map.of("INTERCOM_HTTP_PORT", "http")))
            .getMessage());
    assertEquals(
        "configuration: INTERCOM_CLUSTER_PORT must be a port (0-65535), got 70000",
        assertThrows(StartupException.class, () -> load(Map.of("INTERCOM_CLUSTER_PORT", "70000")))
            .getMessage());
    assertTrue(
        assertThrows(StartupException.class, () -> load(Map.of("INTERCOM_MACHINE_ID", "a/b")))
            .getMessage()
            .contains("machine id 'a/b'"));
  }

  @Test
  void theHomeFollowsHomeNotThePasswdEntry() {
    Path elsewhere = home.resolve("x");
    ConfigLoader loader = new ConfigLoader(Map.of("HOME", elsewhere.toString()));
    assertEquals(elsewhere.resolve(".config/ai-intercom"), loader.home());
    Settings settings = Settings.from(loader.load());
    assertEquals(elsewhere.resolve(".config/ai-intercom"), settings.home());
    assertEquals(elsewhere, settings.discovery().userHome());

    ConfigLoader both =
        new ConfigLoader(Map.of("HOME", elsewhere.toString(), "INTERCOM_HOME", home.toString()));
    assertEquals(home, both.home(), "INTERCOM_HOME wins");
    assertEquals(
        Path.of(System.getProperty("user.home"), ".config", "ai-intercom"),
        new ConfigLoader(Map.of()).home(),
        "no HOME at all: the passwd entry's");
  }
}
