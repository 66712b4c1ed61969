package ai.intercom.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files of {@code deploy/} as their tools read them: the systemd units through {@code
 * systemd-analyze verify}, the compose files through {@code docker compose config} (or the Debian
 * {@code docker-compose}; no engine is needed), the Dockerfile's sources in the checkout.
 */
class DeployFilesTest {

  static final Path CHECKOUT = Path.of("").toAbsolutePath();

  @TempDir Path tmp;

  @Test
  void theSystemdUnitsVerifyWithThisCheckoutsPath() throws Exception {
    Path runtime = Files.createDirectories(tmp.resolve("runtime"));
    Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwx------"));
    for (String unit : List.of("ai-intercom-hub.service", "ai-intercom-daemon.service")) {
      String text =
          Files.readString(CHECKOUT.resolve("deploy/systemd/" + unit))
              .replace("@CHECKOUT@", CHECKOUT.toString());
      assertTrue(text.contains("Restart=on-failure"), unit);
      assertTrue(text.contains("EnvironmentFile=-%h/.config/ai-intercom/env"), unit);
      assertTrue(text.contains("Environment=HOME=%h"), unit);
      Path rendered = Files.writeString(tmp.resolve(unit), text);
      ToolRun verified =
          run(
              List.of("systemd-analyze", "--user", "verify", rendered.toString()),
              Map.of("XDG_RUNTIME_DIR", runtime.toString()));
      assertEquals(0, verified.exit(), unit + ": " + verified.output());

      // the check is real: a unit whose command is not there fails it
      Path broken =
          Files.writeString(
              tmp.resolve("broken-" + unit), text.replace(CHECKOUT + "/scripts", "/nowhere"));
      ToolRun refused =
          run(
              List.of("systemd-analyze", "--user", "verify", broken.toString()),
              Map.of("XDG_RUNTIME_DIR", runtime.toString()));
      assertTrue(refused.output().contains("/nowhere/ai-intercom"), refused.output());
    }
  }

  @Test
  void theComposeFilesAreValidAndSayWhatIsMissing() throws Exception {
    Map<String, String> hub = Map.of("INTERCOM_CLUSTER_HOST", "100.64.0.1");
    ToolRun config = compose("deploy/docker-compose.hub.yml", hub);
    assertEquals(0, config.exit(), config.output());
    assertTrue(config.output().contains("INTERCOM_CLUSTER_HOST: 100.64.0.1"), config.output());
    assertTrue(config.output().contains("/home/intercom/.config/ai-intercom"), config.output());

    Map<String, String> daemon =
        Map.of(
            "HOME",
            "/home/me",
            "HUB_URL",
            "http://100.64.0.1:7700",
            "PUID",
            "1000",
            "PGID",
            "1000");
    ToolRun daemonConfig = compose("deploy/docker-compose.daemon.yml", daemon);
    assertEquals(0, daemonConfig.exit(), daemonConfig.output());
    assertTrue(daemonConfig.output().contains("HUB_URL: http://100.64.0.1:7700"));
    assertTrue(daemonConfig.output().contains("/home/me:/home/me"), daemonConfig.output());

    Map<String, String> noHub = new HashMap<>(daemon);
    noHub.remove("HUB_URL");
    ToolRun missing = compose("deploy/docker-compose.daemon.yml", noHub);
    assertTrue(missing.exit() != 0, missing.output());
    assertTrue(missing.output().contains("set HUB_URL to the hub"), missing.output());
  }

  @Test
  void theDockerfileCopiesOnlyWhatTheCheckoutHas() throws Exception {
    String dockerfile = Files.readString(CHECKOUT.resolve("deploy/Dockerfile"));
    Matcher copy = Pattern.compile("(?m)^COPY (?!--from)(\\S+)").matcher(dockerfile);
    int copies = 0;
    while (copy.find()) {
      assertTrue(Files.exists(CHECKOUT.resolve(copy.group(1))), copy.group(1));
      copies++;
    }
    assertTrue(copies >= 5, dockerfile);
    assertTrue(dockerfile.contains("USER intercom"), "runs as a user of its own");
    assertTrue(dockerfile.contains("--exit-when-ready"), "records the class-data archive");
  }

  // Running the tools.

  private ToolRun compose(String file, Map<String, String> env) throws Exception {
    List<String> command = new ArrayList<>();
    if (run(List.of("docker", "compose", "version"), Map.of()).exit() == 0) {
      command.addAll(List.of("docker", "compose"));
    } else {
      command.add("docker-compose");
    }
    command.addAll(List.of("-f", file, "config"));
    return run(command, env);
  }

  /**
   * {@code command} with this process's environment, less the product's variables, plus {@code
   * env}.
   */
  private ToolRun run(List<String> command, Map<String, String> env) throws Exception {
    Map<String, String> all = new HashMap<>(System.getenv());
    all.keySet().removeIf(k -> k.startsWith("INTERCOM_") || k.equals("HUB_URL"));
    all.putAll(env);
    return ToolRun.of(command, all);
  }
}
