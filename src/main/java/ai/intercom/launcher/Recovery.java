package ai.intercom.launcher;

import ai.intercom.protocol.MissionStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a supervisor does, when it starts, with the missions its machine's {@link MachineRuns}
 * ledger still holds from the previous run of the node: a mission that was running is interrupted
 * (its agent, if a crash left it running, is ended with all it started), an approved one is
 * launched, any other is forgotten.
 */
final class Recovery {

  /** What becomes of a mission found in the ledger. */
  enum Step {
    /** It ran when the node stopped: it says so, and a follow-up continues it. */
    INTERRUPT,
    /** It was approved but had not started: it starts now. */
    LAUNCH,
    /** Finished or not yet approved: nothing for this machine to do. */
    FORGET
  }

  /**
   * Start times this close name the same process: a start time read again may differ by rounding.
   */
  static final Duration SAME_START = Duration.ofSeconds(1);

  private Recovery() {}

  static Step stepFor(MissionStatus status) {
    return switch (status) {
      case RUNNING -> Step.INTERRUPT;
      case APPROVED -> Step.LAUNCH;
      default -> Step.FORGET;
    };
  }

  /** The reason an interrupted mission carries. */
  static String interruption(String machineId) {
    return "the node of "
        + machineId
        + " stopped while the agent ran; send a follow-up to continue";
  }

  /**
   * The processes to end for an agent left running by a crashed node: it and what it started, or
   * none if its pid is gone or now names another process (a pid may have been reused since).
   */
  static List<ProcessHandle> orphanTree(MachineRuns.Process orphan) {
    return ProcessHandle.of(orphan.pid())
        .filter(ProcessHandle::isAlive)
        .filter(process -> isTheOrphan(process.info().startInstant(), orphan))
        .map(
            process -> {
              List<ProcessHandle> tree = new ArrayList<>(ProcessTree.of(process));
              ProcessTree.group(orphan.pid()).stream()
                  .filter(member -> !tree.contains(member))
                  .forEach(tree::add);
              return tree;
            })
        .orElse(List.of());
  }

  /** Whether a live process that started at {@code started} is the run the ledger recorded. */
  static boolean isTheOrphan(Optional<Instant> started, MachineRuns.Process orphan) {
    return orphan.startedAt() != null
        && started
            .map(
                at ->
                    Duration.between(at, orphan.startedAt()).abs().toMillis()
                        < SAME_START.toMillis())
            .orElse(false);
  }
}
