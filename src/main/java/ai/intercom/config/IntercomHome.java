package ai.intercom.config;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Creates the node's directories under INTERCOM_HOME and proves they can be written. */
public final class IntercomHome {

  private IntercomHome() {}

  public static void prepare(Settings settings) {
    Path home = settings.home();
    for (Path dir :
        new Path[] {home, settings.dataDir(), settings.inboxDir(), settings.logsDir()}) {
      try {
        Files.createDirectories(dir);
      } catch (IOException e) {
        throw new StartupException(
            "cannot create " + dir + " under INTERCOM_HOME: " + reason(e), e);
      }
    }
    try {
      Path probe = Files.createTempFile(settings.dataDir(), ".write-check", ".tmp");
      Files.delete(probe);
    } catch (IOException e) {
      throw new StartupException("INTERCOM_HOME " + home + " is not writable: " + reason(e), e);
    }
  }

  /**
   * Takes {@code data/node.lock}: one node per INTERCOM_HOME, since two would share one journal and
   * overwrite each other's local token.
   */
  public static HomeLock lock(Settings settings) {
    Path file = settings.dataDir().resolve("node.lock");
    try {
      FileChannel channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        channel.close();
        String holder = Files.readString(file).trim();
        throw new StartupException(
            "another node is running on INTERCOM_HOME "
                + settings.home()
                + (holder.isEmpty() ? "" : " (pid " + holder + ")")
                + "; stop it or use another INTERCOM_HOME");
      }
      channel.truncate(0);
      channel.write(
          java.nio.ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid()).getBytes()));
      return new HomeLock(channel, lock);
    } catch (IOException e) {
      throw new StartupException("cannot lock " + file + ": " + reason(e), e);
    }
  }

  /** Held while the node runs. */
  public record HomeLock(FileChannel channel, FileLock lock) implements AutoCloseable {
    @Override
    public void close() {
      try {
        lock.release();
        channel.close();
      } catch (IOException e) {
        // the process is ending anyway; the OS drops the lock with it
      }
    }
  }

  public static String reason(IOException e) {
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
