package ai.intercom.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where agents may run ({@code intercom.agent-launcher.allowed-paths}): a project's path is
 * resolved to its real path (symbolic links and {@code ..}) before it is compared, so that a link
 * cannot lead an agent out.
 */
final class PathRules {

  private PathRules() {}

  /**
   * The real path of {@code path} if it is a directory inside one of {@code allowed} (none:
   * anywhere); else fails with the sentence a refused mission carries.
   */
  static Path resolve(Path path, List<Path> allowed, String machine) {
    Path real;
    try {
      real = path.toRealPath();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "the project path " + path + " does not exist on " + machine);
    }
    if (!Files.isDirectory(real)) {
      throw new IllegalArgumentException("the project path " + real + " is not a directory");
    }
    if (allowed.isEmpty()) {
      return real;
    }
    for (Path root : allowed) {
      try {
        if (real.startsWith(root.toRealPath())) {
          return real;
        }
      } catch (IOException e) {
        // an allowed directory that does not exist allows nothing
      }
    }
    throw new IllegalArgumentException(
        "the project path "
            + real
            + (real.equals(path) ? "" : " (from " + path + ")")
            + " is outside intercom.agent-launcher.allowed-paths "
            + allowed
            + " on "
            + machine);
  }
}
