package ai.intercom.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.config.ConfigLoader;
import ai.intercom.config.Settings;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.security.Callers;
import ai.intercom.testing.RealClaude;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/install.sh} as a user runs it, on a throw-away home: the hub set up with its
 * Telegram bot, the real Claude Code CLI (2.1.328) connecting to the MCP server it added, the hooks
 * merged beside the user's own, the bash and zsh completion, the systemd unit (checked with {@code
 * systemd-analyze verify}); a second run changes nothing, {@code --uninstall} takes out exactly
 * what it added; bad input is one line and changes nothing.
 */
class InstallTest {

  static final Path CHECKOUT = Path.of("").toAbsolutePath();
  static final String TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";
  static final String USERS_SETTINGS =
      "{\n  \"model\": \"mine\",\n  \"hooks\": {\n    \"Stop\": [\n      {\"hooks\": [{\"type\":"
          + " \"command\", \"command\": \"echo my own\"}]}\n    ]\n  }\n}\n";

  @TempDir Path tmp;
  private Path home;

  @BeforeEach
  void aUsersHome() throws IOException {
    home = Files.createDirectories(tmp.resolve("home"));
    Files.createDirectories(home.resolve(".claude"));
    Files.writeString(home.resolve(".claude/settings.json"), USERS_SETTINGS);
    Files.writeString(home.resolve(".zshrc"), "# my own zsh settings\nsetopt autocd\n");
  }

  @Test
  void theHubIsSetUpOnceAndTakenOutExactly() throws Exception {
    Map<String, String> before = snapshot(home);

    ToolRun first = install(env(), "--init-hub", "--service");
    assertEquals(0, first.exit(), first.output());
    Path intercom = home.resolve(".config/ai-intercom");
    for (String said :
        List.of(
            "hub: no Tailscale address here",
            "hub: wrote the hub's set-up (reached at 127.0.0.1, supergroup -1001234567890, owner"
                + " 42) in "
                + intercom.resolve("hub.conf"),
            "linked " + home.resolve(".local/bin/ai-intercom"),
            "Claude Code: added the MCP server ai-intercom for this user",
            "Claude Code: merged 4 hooks into " + home.resolve(".claude/settings.json"),
            "wrote the bash completion",
            "the zsh completion is sourced from " + home.resolve(".zshrc"),
            "wrote " + home.resolve(".config/systemd/user/ai-intercom-hub.service"))) {
      assertTrue(first.output().contains(said), said + " in:\n" + first.output());
    }

    // the hub's settings, as the node reads them (HOME is where it looks)
    Path hubConf = intercom.resolve("hub.conf");
    assertEquals("rw-------", mode(hubConf));
    Settings settings =
        Settings.from(new ConfigLoader(Map.of("HOME", home.toString())).loadForClient());
    assertEquals(intercom, settings.home());
    assertEquals(-1001234567890L, settings.telegram().supergroupId());
    assertEquals(List.of(42L), settings.telegram().allowedUsers());
    assertEquals("0.0.0.0:7700", settings.hub().listen().toString());
    assertEquals("127.0.0.1", settings.cluster().host());

    // the user's settings kept, ours beside them
    JsonNode claudeSettings =
        JsonFormat.MAPPER.readTree(Files.readString(home.resolve(".claude/settings.json")));
    assertEquals("mine", claudeSettings.path("model").asText());
    JsonNode stop = claudeSettings.path("hooks").path("Stop");
    assertEquals(2, stop.size(), stop.toString());
    assertEquals("echo my own", stop.get(0).path("hooks").get(0).path("command").asText());
    assertEquals(
        CHECKOUT.resolve("scripts/wait-inbox-hook.sh").toString(),
        stop.get(1).path("hooks").get(0).path("command").asText());

    // the real Claude Code connects to the server it was given
    ToolRun listed = claude(env(), "mcp", "list");
    assertTrue(
        listed
            .output()
            .contains(
                "ai-intercom: "
                    + CHECKOUT.resolve("scripts/ai-intercom")
                    + " mcp-server - ✔"
                    + " Connected"),
        listed.output());

    assertEquals(
        CHECKOUT.resolve("scripts/ai-intercom"),
        Files.readSymbolicLink(home.resolve(".local/bin/ai-intercom")));
    Path unit = home.resolve(".config/systemd/user/ai-intercom-hub.service");
    assertTrue(
        Files.readString(unit)
            .contains("ExecStart=" + CHECKOUT + "/scripts/ai-intercom standalone"));
    ToolRun verified = verifyUnit(unit);
    assertEquals(0, verified.exit(), verified.output());

    // completion: bash offers the commands, zsh has it through .zshrc
    ToolRun bash =
        shell(
            List.of(
                "bash",
                "-c",
                "source \"$1\"; COMP_WORDS=(ai-intercom st); COMP_CWORD=1;"
                    + " _complete_ai-intercom; printf '%s\\n' \"${COMPREPLY[@]}\"",
                "bash",
                home.resolve(".local/share/bash-completion/completions/ai-intercom").toString()));
    assertEquals(
        List.of("standalone", "status", "stop"),
        bash.output().strip().lines().sorted().toList(),
        bash.output());
    ToolRun zsh =
        shell(List.of("zsh", "-c", "source ~/.zshrc; print -r -- ${_comps[ai-intercom]}"));
    assertTrue(zsh.output().contains("_complete_ai-intercom"), zsh.output());

    // a second run finds everything in place and changes nothing
    Map<String, String> once = snapshot(home);
    ToolRun second = install(env(), "--init-hub", "--service");
    assertEquals(0, second.exit(), second.output());
    assertTrue(second.output().contains("is as given already"), second.output());
    assertTrue(second.output().contains("the hooks are in"), second.output());
    assertEquals(once, snapshot(home), "a second run changes nothing");

    // --uninstall: what it added goes, the user's files are as they were, the node's data stays
    ToolRun removed = install(env(), "--uninstall");
    assertEquals(0, removed.exit(), removed.output());
    assertEquals(
        usersPart(before),
        usersPart(snapshot(home)),
        "the user's files are as before:\n" + removed.output());
    assertTrue(Files.exists(hubConf), "the hub's own files are kept");
    assertFalse(Files.exists(intercom.resolve(InstallRecord.FILE)));
    assertTrue(
        JsonFormat.MAPPER
            .readTree(Files.readString(home.resolve(".claude.json")))
            .path("mcpServers")
            .path("ai-intercom")
            .isMissingNode());
  }

  @Test
  void badInputIsOneLineAndChangesNothing() throws Exception {
    Files.writeString(home.resolve(".claude/settings.json"), "{\"model\": \"mine\",\n  oops}\n");
    Map<String, String> before = snapshot(home);
    ToolRun notJson = install(env(), "--init-hub");
    assertEquals(1, notJson.exit(), notJson.output());
    assertEquals(
        "ai-intercom: error: "
            + home.resolve(".claude/settings.json")
            + " is not valid JSON (line 2, column 3); fix it and run again",
        notJson.output().strip());
    assertEquals(before, snapshot(home));

    Files.writeString(home.resolve(".claude/settings.json"), USERS_SETTINGS);
    before = snapshot(home);
    Map<String, String> badToken = env();
    badToken.put("TELEGRAM_BOT_TOKEN", "not-a-token");
    ToolRun refused = install(badToken, "--init-hub");
    assertEquals(1, refused.exit(), refused.output());
    assertEquals(1, refused.output().strip().lines().count(), refused.output());
    assertTrue(refused.output().contains("is not a bot token"), refused.output());
    assertEquals(before, snapshot(home));

    ToolRun unknown = install(env(), "--frobnicate");
    assertEquals(2, unknown.exit());
    assertEquals(
        "install.sh: error: unknown option '--frobnicate' (see scripts/install.sh --help)",
        unknown.output().strip());
    assertEquals(before, snapshot(home));

    // a home the user cannot write
    Path locked = Files.createDirectories(tmp.resolve("locked"));
    ToolRun unwritable;
    if (Callers.ownUid() == 0) {
      // as root everything is writable: run it as nobody, from a copy nobody can read
      Path scripts = Files.createDirectories(tmp.resolve("checkout/scripts"));
      Files.copy(CHECKOUT.resolve("scripts/install.sh"), scripts.resolve("install.sh"));
      for (Path open :
          List.of(tmp, tmp.resolve("checkout"), scripts, scripts.resolve("install.sh"))) {
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
      unwritable =
          run(
              List.of(
                  "setpriv",
                  "--reuid=65534",
                  "--regid=65534",
                  "--clear-groups",
                  scripts.resolve("install.sh").toString(),
                  "--init-hub"),
              Map.of("HOME", locked.toString(), "PATH", "/usr/bin:/bin"));
    } else {
      Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
      Map<String, String> env = env();
      env.put("HOME", locked.toString());
      unwritable = install(env, "--init-hub");
    }
    assertEquals(1, unwritable.exit(), unwritable.output());
    assertEquals(
        "install.sh: error: cannot write "
            + locked.resolve(".config/ai-intercom/")
            + "/: "
            + locked
            + " is not writable; nothing was changed",
        unwritable.output().strip());
    try (Stream<Path> inside = Files.list(locked)) {
      assertEquals(0, inside.count());
    }
  }

  @Test
  void aNodeKeepsItsHomeUnderHomeAndLooksForProjectsWhereUsersKeepThem() throws Exception {
    Files.createDirectories(home.resolve("projects/shop/.git"));
    Files.createDirectories(home.resolve("notes/.git"));
    Map<String, String> env = env();
    env.put("INTERCOM_HTTP_PORT", "0");
    env.put("INTERCOM_CLUSTER_PORT", "0");
    ToolRun started =
        run(
            List.of(
                CHECKOUT.resolve("scripts/ai-intercom").toString(),
                "standalone",
                "--exit-when-ready"),
            env);
    assertEquals(0, started.exit(), started.output());
    Path intercom = home.resolve(".config/ai-intercom");
    assertTrue(started.output().contains("home " + intercom + ")"), started.output());
    assertTrue(Files.isRegularFile(intercom.resolve("data/intercom.db")), "the journal is there");
    assertTrue(
        started
            .output()
            .contains(
                "2 projects found in "
                    + home.resolve("projects")
                    + " (1 level deep), "
                    + home.resolve("src")
                    + " (missing)"),
        started.output());
  }

  // Running things.

  private Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("HOME", home.toString());
    env.put("PATH", RealClaude.executable().getParent() + File.pathSeparator + "/usr/bin:/bin");
    env.put("LANG", "C.UTF-8");
    // the scripts run this build's classes instead of the packaged jar
    env.put("INTERCOM_CLASSPATH", System.getProperty("java.class.path"));
    env.put("TELEGRAM_BOT_TOKEN", TOKEN);
    env.put("TELEGRAM_SUPERGROUP_ID", "-1001234567890");
    env.put("TELEGRAM_OWNER_ID", "42");
    env.put("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
    env.put("DISABLE_AUTOUPDATER", "1");
    return env;
  }

  private ToolRun install(Map<String, String> env, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(List.of(CHECKOUT.resolve("scripts/install.sh").toString()));
    command.addAll(List.of(args));
    return run(command, env);
  }

  private ToolRun claude(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(RealClaude.executable().toString()));
    command.addAll(List.of(args));
    return run(command, env);
  }

  private ToolRun shell(List<String> command) throws Exception {
    return run(command, env());
  }

  private ToolRun verifyUnit(Path unit) throws Exception {
    Path runtime = Files.createDirectories(tmp.resolve("runtime"));
    Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwx------"));
    Map<String, String> env = env();
    env.put("XDG_RUNTIME_DIR", runtime.toString());
    return run(List.of("systemd-analyze", "--user", "verify", unit.toString()), env);
  }

  private ToolRun run(List<String> command, Map<String, String> env) throws Exception {
    return ToolRun.of(command, env);
  }

  // The home, file by file.

  /** Every file and folder under {@code root}: its kind, mode, size, modification time and hash. */
  static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path path : (Iterable<Path>) all::iterator) {
        String name = root.relativize(path).toString();
        if (Files.isSymbolicLink(path)) {
          files.put(name, "link " + Files.readSymbolicLink(path));
        } else if (Files.isDirectory(path)) {
          files.put(name, "dir " + mode(path));
        } else {
          files.put(
              name,
              "file "
                  + mode(path)
                  + " "
                  + Files.getLastModifiedTime(path)
                  + " "
                  + sha256(Files.readAllBytes(path)));
        }
      }
    }
    return files;
  }

  /**
   * The user's own files: the content of what was there, without the node's home (kept on purpose),
   * the folders the set-up made, and Claude Code's own bookkeeping ({@code .claude.json}, its
   * caches).
   */
  static Map<String, String> usersPart(Map<String, String> snapshot) {
    Map<String, String> part = new TreeMap<>();
    snapshot.forEach(
        (name, what) -> {
          boolean claudesOwn =
              name.equals(".claude.json")
                  || name.startsWith(".claude.json.")
                  || name.startsWith(".cache/")
                  || name.startsWith(".zcompdump")
                  || (name.startsWith(".claude/") && !name.equals(".claude/settings.json"));
          if (!claudesOwn && !what.startsWith("dir ") && !name.startsWith(".config/ai-intercom")) {
            // the content, not the time: an uninstall writes the settings again
            part.put(name, what.replaceFirst(" \\S+ (?=\\S+$)", " "));
          }
        });
    return part;
  }

  private static String mode(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
