package ai.intercom.launcher;

import java.util.ArrayList;
import java.util.List;

/**
 * An agent process with everything it started (shells, test runners, servers):
 * ended together, politely first (TERM), then for good (KILL).
 */
final class ProcessTree {

  private ProcessTree() {}

  /** The process and its descendants now, parents first; taken before anything dies and is re-parented. */
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
