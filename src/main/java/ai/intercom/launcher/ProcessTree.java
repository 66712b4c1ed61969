package ai.intercom.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * An agent process with everything it started (shells, test runners, servers): ended together,
 * politely first (TERM), then for good (KILL). Where the system has {@code setsid}, an agent starts
 * in a process group of its own, so that even what it started in the background and left behind is
 * found.
 */
final class ProcessTree {

  private static final Path PROC = Path.of("/proc");
  private static final Optional<String> SETSID =
      Stream.of("/usr/bin/setsid", "/bin/setsid")
          .filter(path -> Files.isExecutable(Path.of(path)))
          .findFirst();

  private ProcessTree() {}

  /**
   * The command line that starts {@code argv} as the leader of a new process group (when the system
   * can).
   */
  static List<String> inOwnGroup(List<String> argv) {
    if (SETSID.isEmpty()) {
      return argv;
    }
    List<String> wrapped = new ArrayList<>(argv.size() + 2);
    wrapped.add(SETSID.get());
    // should setsid have to fork (it does not for a child of the JVM), it waits and passes the exit
    // code on
    wrapped.add("--wait");
    wrapped.addAll(argv);
    return wrapped;
  }

  /** The live processes of process group {@code pgid} (Linux /proc; elsewhere none). */
  static List<ProcessHandle> group(long pgid) {
    if (SETSID.isEmpty() || !Files.isDirectory(PROC)) {
      return List.of();
    }
    List<ProcessHandle> members = new ArrayList<>();
    try (Stream<Path> entries = Files.list(PROC)) {
      entries
          .map(entry -> entry.getFileName().toString())
          .filter(name -> !name.isEmpty() && name.chars().allMatch(Character::isDigit))
          .forEach(
              pid -> {
                if (groupOf(PROC.resolve(pid).resolve("stat")) == pgid) {
                  ProcessHandle.of(Long.parseLong(pid)).ifPresent(members::add);
                }
              });
    } catch (IOException e) {
      return members;
    }
    return members;
  }

  /** Field 5 of /proc/PID/stat (after the command name in parentheses, which may hold anything). */
  private static long groupOf(Path stat) {
    try {
      String line = Files.readString(stat);
      String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(fields[2]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * The process and its descendants now, parents first; taken before anything dies and is
   * re-parented.
   */
  static List<ProcessHandle> of(ProcessHandle root) {
    List<ProcessHandle> all = new ArrayList<>();
    all.add(root);
    root.descendants().forEach(all::add);
    return all;
  }

  /** Sends TERM to each; answers how many were still alive. */
  static int terminate(List<ProcessHandle> tree) {
    int alive = 0;
    for (ProcessHandle process : tree) {
      if (process.isAlive()) {
        alive++;
        process.destroy();
      }
    }
    return alive;
  }

  /** Sends KILL to those still alive (and to what they started meanwhile); answers how many. */
  static int kill(List<ProcessHandle> tree) {
    int killed = 0;
    for (ProcessHandle process : tree) {
      if (process.isAlive()) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        killed++;
      }
    }
    return killed;
  }
}
