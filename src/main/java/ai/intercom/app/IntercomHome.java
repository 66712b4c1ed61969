package ai.intercom.app;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Creates the node's directories under INTERCOM_HOME and proves they can be written. */
public final class IntercomHome {

  private IntercomHome() {}

  public static void prepare(Settings settings) {
    Path home = settings.home();
    for (Path dir : new Path[] {home, settings.dataDir(), settings.inboxDir(), settings.logsDir()}) {
      try {
        Files.createDirectories(dir);
      } catch (IOException e) {
        throw new StartupException("cannot create " + dir + " under INTERCOM_HOME: " + reason(e), e);
      }
    }
    try {
      Path probe = Files.createTempFile(settings.dataDir(), ".write-check", ".tmp");
      Files.delete(probe);
    } catch (IOException e) {
      throw new StartupException("INTERCOM_HOME " + home + " is not writable: " + reason(e), e);
    }
  }

  static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileAlreadyExistsException) {
      return e.getMessage() + " exists and is not a directory";
    }
    if (e instanceof NoSuchFileException) {
      return "no such directory " + e.getMessage();
    }
    String message = e.getMessage();
    return message == null ? e.getClass().getSimpleName() : message;
  }
}
