package ai.intercom.daemon;

import ai.intercom.daemon.SessionDesk.LocalSession;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;

/**
 * The files {@code inbox/pid/PID} that let a hook find its session: a hook runs as a descendant of
 * the agent, so it walks up its own ancestry until a pid names a file, which holds the session id.
 * One file per process of a session's ancestry, written when it registers and removed when it ends.
 */
final class PidLinks {

  /** As many ancestors as a hook walks up looking for its link; more would never be read. */
  static final int MAX_ANCESTORS = 32;

  private final Path dir;
  private final Logger log;

  /** Links in {@code dir} (created if missing); trouble with a link is logged to {@code log}. */
  PidLinks(Path dir, Logger log) {
    this.dir = dir;
    this.log = log;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether a session's ancestors can be linked: few enough, and none is init or below. */
  static boolean plausible(List<Long> ancestors) {
    return ancestors.size() <= MAX_ANCESTORS && ancestors.stream().allMatch(pid -> pid > 1);
  }

  /** Links each of the session's ancestors to it (over a link a dead session left). */
  void link(LocalSession session) {
    try {
      for (long pid : session.ancestors()) {
        Files.writeString(
            dir.resolve(Long.toString(pid)), session.sessionId(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      log.warn("cannot link session {} to its processes: {}", session.sessionId(), e.getMessage());
    }
  }

  /** Removes the session's links, but not those a later session took over. */
  void unlink(LocalSession session) {
    for (long pid : session.ancestors()) {
      Path link = dir.resolve(Long.toString(pid));
      try {
        if (Files.exists(link)
            && Files.readString(link, StandardCharsets.UTF_8).equals(session.sessionId())) {
          Files.delete(link);
        }
      } catch (IOException e) {
        log.debug("cannot remove {}: {}", link, e.getMessage());
      }
    }
  }
}
