package ai.intercom.security;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Who is at the other end of a local TCP connection, as the kernel says (Linux {@code /proc}),
 * never as the caller claims: the socket whose local address is the connection's remote one, and
 * the processes that hold it open, with their ancestors.
 */
public final class Callers {

  private static final Path PROC = Path.of("/proc");

  /** The most ancestors followed (a chain is far shorter; this bounds a loop). */
  private static final int MAX_LINEAGE = 64;

  private Callers() {}

  /** Whether this system can tell (a Linux {@code /proc}). */
  public static boolean available() {
    return Files.isReadable(PROC.resolve("net/tcp"));
  }

  /**
   * The processes holding the socket bound to {@code address:port} (the client end of a connection
   * to this node); empty when no socket is bound there, or it is not ours to see.
   */
  public static Set<Long> holders(InetAddress address, int port) {
    Optional<Long> inode = inodeOf(address, port);
    if (inode.isEmpty()) {
      return Set.of();
    }
    String link = "socket:[" + inode.get() + "]";
    Set<Long> pids = new HashSet<>();
    try (DirectoryStream<Path> processes = Files.newDirectoryStream(PROC, "[0-9]*")) {
      for (Path process : processes) {
        if (holds(process.resolve("fd"), link)) {
          pids.add(Long.parseLong(process.getFileName().toString()));
        }
      }
    } catch (IOException e) {
      return Set.of();
    }
    return pids;
  }

  private static boolean holds(Path fds, String link) {
    try (DirectoryStream<Path> open = Files.newDirectoryStream(fds)) {
      for (Path fd : open) {
        try {
          if (Files.readSymbolicLink(fd).toString().equals(link)) {
            return true;
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    } catch (IOException e) {
      // gone, or another user's
    }
    return false;
  }

  /**
   * The user id process {@code pid} runs as, its effective one from {@code /proc/PID/status} (not
   * the owner of {@code /proc/PID}, which is root for a process that changed its user); {@code -1}:
   * gone.
   */
  public static int uidOf(long pid) {
    try {
      for (String line : Files.readAllLines(PROC.resolve(pid + "/status"))) {
        if (line.startsWith("Uid:")) {
          String[] ids = line.substring(4).trim().split("\\s+");
          return Integer.parseInt(ids[ids.length > 1 ? 1 : 0]);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  /** The user id this process runs as. */
  public static int ownUid() {
    return uidOf(ProcessHandle.current().pid());
  }

  /** {@code pid} and its ancestors, nearest first, by the kernel's parent links. */
  public static List<Long> lineage(long pid) {
    List<Long> chain = new ArrayList<>();
    Optional<ProcessHandle> process = ProcessHandle.of(pid);
    while (process.isPresent() && chain.size() < MAX_LINEAGE) {
      chain.add(process.get().pid());
      process = process.get().parent();
    }
    return chain;
  }

  /** The inode of the TCP socket bound to {@code address:port}, from /proc/net/tcp and tcp6. */
  /**
   * The user the kernel says owns the socket bound to {@code address:port} (the uid column of
   * {@code /proc/net/tcp}); {@code -1} when no socket is bound there.
   */
  public static int ownerOf(InetAddress address, int port) {
    return row(address, port).map(row -> Integer.parseInt(row[7])).orElse(-1);
  }

  static Optional<Long> inodeOf(InetAddress address, int port) {
    return row(address, port).map(row -> Long.parseLong(row[9])).filter(inode -> inode != 0);
  }

  private static Optional<String[]> row(InetAddress address, int port) {
    for (String table : List.of("net/tcp", "net/tcp6")) {
      List<String> lines;
      try {
        lines = Files.readAllLines(PROC.resolve(table));
      } catch (IOException e) {
        continue;
      }
      for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
        String[] row = line.trim().split("\\s+");
        if (match(row, address, port).isPresent()) {
          return Optional.of(row);
        }
      }
    }
    return Optional.empty();
  }

  /** A table row: sl local rem st tx:rx tr:when retrnsmt uid timeout inode ... */
  static Optional<Long> match(String[] row, InetAddress address, int port) {
    if (row.length < 10) {
      return Optional.empty();
    }
    int colon = row[1].indexOf(':');
    if (colon < 0) {
      return Optional.empty();
    }
    try {
      if (Integer.parseInt(row[1].substring(colon + 1), 16) != port) {
        return Optional.empty();
      }
      InetAddress local = address(row[1].substring(0, colon));
      if (!same(local, address)) {
        return Optional.empty();
      }
      long inode = Long.parseLong(row[9]);
      return inode == 0 ? Optional.empty() : Optional.of(inode);
    } catch (NumberFormatException | UnknownHostException e) {
      return Optional.empty();
    }
  }

  /** The kernel's hex: 32-bit words in host (little-endian) order. */
  static InetAddress address(String hex) throws UnknownHostException {
    byte[] bytes = new byte[hex.length() / 2];
    for (int word = 0; word < bytes.length / 4; word++) {
      for (int b = 0; b < 4; b++) {
        int at = word * 8 + (3 - b) * 2;
        bytes[word * 4 + b] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
      }
    }
    return InetAddress.getByAddress(bytes);
  }

  /** The same address, an IPv4 one and its IPv6-mapped form alike. */
  private static boolean same(InetAddress a, InetAddress b) {
    return a.equals(b) || java.util.Arrays.equals(v4(a), v4(b));
  }

  private static byte[] v4(InetAddress address) {
    byte[] bytes = address.getAddress();
    if (bytes.length == 16) {
      for (int i = 0; i < 10; i++) {
        if (bytes[i] != 0) {
          return bytes;
        }
      }
      if (bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff) {
        return java.util.Arrays.copyOfRange(bytes, 12, 16);
      }
    }
    return bytes;
  }
}
