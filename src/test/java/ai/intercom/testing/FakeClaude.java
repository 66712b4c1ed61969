package ai.intercom.testing;

import ai.intercom.protocol.JsonFormat;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The fake {@code claude} executable (src/test/resources/fake-agent/fake-claude, Python 3): speaks
 * Claude Code's stream-json on its stdout, in the mode its prompt names ({@code mode:fail}, {@code
 * mode:hang}, ...), and logs each start (argv, cwd, pid) to a file.
 */
public final class FakeClaude {

  private final Path executable;
  private final Path log;

  private FakeClaude(Path executable, Path log) {
    this.executable = executable;
    this.log = log;
  }

  /** Installs the executable into {@code dir}, runnable (resources lose their mode bits). */
  public static FakeClaude install(Path dir) {
    try {
      Files.createDirectories(dir);
      Path target = dir.resolve("fake-claude");
      try (InputStream in = FakeClaude.class.getResourceAsStream("/fake-agent/fake-claude")) {
        if (in == null) {
          throw new IllegalStateException("fake-agent/fake-claude is not on the test class path");
        }
        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      }
      Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
      return new FakeClaude(target, dir.resolve("fake-claude.log"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path executable() {
    return executable;
  }

  /** Where each run logs its start (the environment variable FAKE_AGENT_LOG). */
  public Path log() {
    return log;
  }

  /**
   * The logged starts, oldest first ({@code pid, argv, cwd, env_mission}; {@code child_pid} lines
   * of hangs).
   */
  public List<JsonNode> starts() {
    List<JsonNode> lines = new ArrayList<>();
    try {
      if (Files.exists(log)) {
        for (String line : Files.readAllLines(log)) {
          try {
            lines.add(JsonFormat.MAPPER.readTree(line));
          } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // a run is writing this line right now: it is read next time
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return lines;
  }

  /** The logged start of the run for {@code missionId} (the latest one). */
  public JsonNode startOf(String missionId) {
    JsonNode found = null;
    for (JsonNode start : starts()) {
      if (missionId.equals(start.path("env_mission").asText())) {
        found = start;
      }
    }
    if (found == null) {
      throw new AssertionError("no run of " + missionId + " in " + log);
    }
    return found;
  }

  /**
   * The pid of the child a hanging run of {@code missionId} started (logged right after its start),
   * or -1.
   */
  public long childOf(String missionId) {
    List<JsonNode> lines = starts();
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (missionId.equals(lines.get(i).path("env_mission").asText())) {
        long pid = lines.get(i).path("pid").asLong();
        for (int j = i + 1; j < lines.size(); j++) {
          if (lines.get(j).has("child_pid") && lines.get(j).path("parent_pid").asLong(pid) == pid) {
            return lines.get(j).path("child_pid").asLong();
          }
        }
      }
    }
    return -1;
  }
}
