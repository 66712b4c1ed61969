package ai.intercom.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's backup and restore, as written there: a hub's home archived with its {@code tar}
 * line while the hub is stopped, unpacked on another machine's empty home with the restore line;
 * the hub started there has the missions, threads and CA of the first.
 */
class BackupRestoreTest {

  static final Path CHECKOUT = Path.of("").toAbsolutePath();

  @TempDir Path tmp;

  @Test
  void theReadmesBackupRestoresTheHubOnAnotherHome() throws Exception {
    List<String> lines = readmeLines();
    Path first = Files.createDirectories(tmp.resolve("first"));
    Path home = first.resolve(".config/ai-intercom");
    Files.createDirectories(first.resolve("projects/web/.git"));
    Files.createDirectories(home);
    Files.writeString(
        home.resolve("policies.yml"), "defaults:\n  require_approval: never\nrules: []\n");
    Map<String, String> env = Map.of("HOME", first.toString());
    Node node = TestNodes.start(home, "standalone", env);
    String mission;
    String caBefore;
    try {
      ApiClient api = new ApiClient(node, home);
      assertEquals(200, api.register("s-shop", "shop", ProcessHandle.current().pid()).status());
      JsonNode sent =
          api.chat("s-shop", "test-standalone/web", "KEEP-ME: the release notes").json();
      mission = sent.path("mission_id").asText();
      assertFalse(mission.isEmpty(), sent.toString());
      caBefore = Files.readString(home.resolve("ca/ca.crt"));
    } finally {
      TestNodes.stop(node);
    }

    assertEquals(0, bash(lines.get(0), first), "the backup line");
    Path archive = first.resolve("intercom-backup.tgz");
    assertTrue(Files.size(archive) > 0);

    Path second = Files.createDirectories(tmp.resolve("second"));
    Files.move(archive, second.resolve("intercom-backup.tgz"));
    assertEquals(0, bash(lines.get(1), second), "the restore line");
    Path restored = second.resolve(".config/ai-intercom");
    assertFalse(Files.exists(restored.resolve("data/node.lock")), "the lock is not restored");
    assertEquals(caBefore, Files.readString(restored.resolve("ca/ca.crt")), "the same CA");

    node = TestNodes.start(restored, "standalone", Map.of("HOME", second.toString()));
    try {
      JsonNode back = new ApiClient(node, restored).get("/api/missions/" + mission).json();
      assertEquals("test-standalone/web", back.path("to").asText(), back.toString());
      JsonNode history =
          new ApiClient(node, restored).get("/api/missions/" + mission + "/history").json();
      assertTrue(history.toString().contains("KEEP-ME: the release notes"), history.toString());
    } finally {
      TestNodes.stop(node);
    }
  }

  /** The {@code tar} lines of the README's Operations section: backup, then restore. */
  static List<String> readmeLines() throws Exception {
    String readme = Files.readString(CHECKOUT.resolve("README.md"));
    String operations = readme.substring(readme.indexOf("\n## Operations\n"));
    operations = operations.substring(0, operations.indexOf("\n## ", 1));
    Matcher block = Pattern.compile("```sh\n(.*?)```", Pattern.DOTALL).matcher(operations);
    List<String> lines = new ArrayList<>();
    while (block.find()) {
      lines.add(block.group(1).replaceAll("(?m)^\\s+", "").strip());
    }
    assertEquals(2, lines.size(), "backup and restore: " + lines);
    assertTrue(lines.get(0).contains("tar -C ~/.config/ai-intercom"), lines.get(0));
    return lines;
  }

  private static int bash(String line, Path home) throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder("bash", "-euo", "pipefail", "-c", line)
            .directory(home.toFile())
            .redirectErrorStream(true);
    builder.environment().put("HOME", home.toString());
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), line);
    assertEquals("", output.strip(), line);
    return process.exitValue();
  }
}
