package ai.intercom.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;

/**
 * Files written whole or not at all: a reader never sees half a key, and a secret is never readable
 * by other users, not even for a moment.
 */
public final class PrivateFiles {

  private PrivateFiles() {}

  /** Writes {@code bytes} readable by this user only (0600). */
  public static void writeSecret(Path file, byte[] bytes) throws IOException {
    write(file, bytes, "rw-------");
  }

  /** Writes {@code bytes} readable by all (0644): certificates, lists of serials. */
  public static void writePublic(Path file, byte[] bytes) throws IOException {
    write(file, bytes, "rw-r--r--");
  }

  /**
   * Writes {@code bytes} readable by this user and the members of {@code group} (0640).
   *
   * @throws IOException also when there is no such group
   */
  public static void writeForGroup(Path file, byte[] bytes, String group) throws IOException {
    GroupPrincipal principal;
    try {
      principal =
          file.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
    } catch (UserPrincipalNotFoundException e) {
      throw new IOException("there is no group '" + group + "'", e);
    }
    write(file, bytes, "rw-r-----", principal);
  }

  /**
   * Writes {@code bytes} in place of {@code file} with its present mode (another's file the user
   * edits too, such as an agent CLI's settings), or 0600 when it is new. A symbolic link is kept:
   * its target is replaced.
   */
  public static void replaceKeepingMode(Path file, byte[] bytes) throws IOException {
    Path target = Files.isSymbolicLink(file) ? file.toRealPath() : file;
    String mode =
        Files.exists(target)
            ? PosixFilePermissions.toString(Files.getPosixFilePermissions(target))
            : "rw-------";
    write(target, bytes, mode);
  }

  private static void write(Path file, byte[] bytes, String mode) throws IOException {
    write(file, bytes, mode, null);
  }

  private static void write(Path file, byte[] bytes, String mode, GroupPrincipal group)
      throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp =
        Files.createTempFile(
            dir,
            "." + file.getFileName(),
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.write(tmp, bytes);
      if (group != null) {
        Files.getFileAttributeView(tmp, PosixFileAttributeView.class).setGroup(group);
      }
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(mode));
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
