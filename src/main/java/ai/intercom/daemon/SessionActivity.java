package ai.intercom.daemon;

import ai.intercom.registry.Session;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * What a session's hooks last said, from its file {@code inbox/SESSION.state}: the hooks write the
 * event name into it with shell builtins ({@code PostToolUse} or {@code UserPromptSubmit} from the
 * check hook, {@code idle} from the waiting hook), so that reporting costs the hook no process; the
 * file's time is when. The node reads it when it needs the state.
 */
record SessionActivity(Session.Status status, Instant at) {

  /** The word the waiting hook writes. */
  static final String IDLE = "idle";

  /** The word the node writes when the session registers: the hooks write into the file then. */
  static final String ACTIVE = "active";

  /**
   * Makes the file of a session that registers (the hooks only write into a file that exists: it
   * says the session is known here); one left by an earlier run of it stays.
   */
  static void begin(Path inboxDir, String sessionId) {
    Path file = fileOf(inboxDir, sessionId);
    try {
      if (!Files.exists(file)) {
        Files.writeString(file, ACTIVE + "\n");
      }
    } catch (IOException e) {
      // without it the session's state stays unknown (active): nothing else depends on it
    }
  }

  static void end(Path inboxDir, String sessionId) {
    try {
      Files.deleteIfExists(fileOf(inboxDir, sessionId));
    } catch (IOException e) {
      // a stale file only says what the session last did
    }
  }

  static final SessionActivity UNKNOWN = new SessionActivity(Session.Status.ACTIVE, null);

  static Path fileOf(Path inboxDir, String sessionId) {
    return inboxDir.resolve(sessionId + ".state");
  }

  /**
   * The state the file says at {@code now}: idle after the waiting hook, working after a tool hook
   * (stuck once that is older than {@code stuckAfter}), active without a file.
   */
  static SessionActivity read(Path file, Instant now, Duration stuckAfter) {
    try {
      Instant at = Files.getLastModifiedTime(file).toInstant();
      String word = Files.readString(file).trim();
      if (word.equals(IDLE)) {
        return new SessionActivity(Session.Status.IDLE, at);
      }
      if (word.equals(ACTIVE)) {
        return new SessionActivity(Session.Status.ACTIVE, at);
      }
      if (word.isEmpty()) {
        // being written this very moment: the hook's word follows
        return new SessionActivity(Session.Status.WORKING, at);
      }
      return new SessionActivity(
          Duration.between(at, now).compareTo(stuckAfter) > 0
              ? Session.Status.STUCK
              : Session.Status.WORKING,
          at);
    } catch (NoSuchFileException e) {
      return UNKNOWN;
    } catch (IOException e) {
      return UNKNOWN;
    }
  }

  /** Whether a letter may go to a waiting hook now: the session's turn is over (or nobody said). */
  boolean waiting() {
    return status == Session.Status.IDLE || status == Session.Status.ACTIVE;
  }
}
