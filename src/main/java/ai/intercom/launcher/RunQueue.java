package ai.intercom.launcher;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The missions a supervisor has taken on, by where they are: being prepared (mission read, path
 * checked, ledger written), running (at most {@code max-concurrent}), or queued in the order they
 * came; and the follow-ups that came while a mission's agent ran, which continue it afterwards.
 *
 * @param <R> the handle of a running agent (its run actor)
 */
final class RunQueue<R> {

  private final String machineId;
  private final int maxConcurrent;
  private final Map<String, R> running = new HashMap<>();
  private final LinkedHashMap<String, AgentRun.Spec> queued = new LinkedHashMap<>();
  private final Set<String> preparing = new HashSet<>();
  private final Map<String, LinkedHashMap<String, String>> heldFollowUps = new HashMap<>();

  RunQueue(String machineId, int maxConcurrent) {
    this.machineId = machineId;
    this.maxConcurrent = maxConcurrent;
  }

  /** Whether the mission is already taken on: being prepared, queued or running. */
  boolean takenOn(String missionId) {
    return running.containsKey(missionId)
        || queued.containsKey(missionId)
        || preparing.contains(missionId);
  }

  void beginPreparing(String missionId) {
    preparing.add(missionId);
  }

  void endPreparing(String missionId) {
    preparing.remove(missionId);
  }

  /**
   * Keeps a follow-up for after the current run; {@code key} (or, without one, the text) makes a
   * retried follow-up held once.
   */
  void hold(String missionId, String followUp, String key) {
    heldFollowUps
        .computeIfAbsent(missionId, k -> new LinkedHashMap<>())
        .putIfAbsent(key == null ? followUp : key, followUp);
  }

  /** The follow-ups held for the mission, in order, as one message; null if none. */
  String takeHeld(String missionId) {
    LinkedHashMap<String, String> held = heldFollowUps.remove(missionId);
    return held == null ? null : String.join("\n\n", held.values());
  }

  void dropHeld(String missionId) {
    heldFollowUps.remove(missionId);
  }

  boolean hasRoom() {
    return running.size() < maxConcurrent;
  }

  /**
   * Puts a prepared run behind the others; answers the progress line that tells its mission why it
   * waits.
   */
  String enqueue(AgentRun.Spec spec) {
    queued.put(spec.missionId(), spec);
    return "queued: "
        + running.size()
        + " agents already run on "
        + machineId
        + " (intercom.agent-launcher.max-concurrent = "
        + maxConcurrent
        + "), "
        + (queued.size() - 1)
        + " missions ahead";
  }

  /** Takes the mission out of the queue; false if it was not queued. */
  boolean withdraw(String missionId) {
    return queued.remove(missionId) != null;
  }

  /** The queued run that may start now, out of the queue; null if none or no slot is free. */
  AgentRun.Spec next() {
    if (!hasRoom() || queued.isEmpty()) {
      return null;
    }
    return queued.remove(queued.keySet().iterator().next());
  }

  void started(String missionId, R run) {
    running.put(missionId, run);
  }

  /** The run of the mission, null if it does not run. */
  R runOf(String missionId) {
    return running.get(missionId);
  }

  /**
   * Frees the mission's slot if {@code run} holds it; false if it did not (its end was already
   * counted, or a later run of the same mission holds the slot now).
   */
  boolean ended(String missionId, R run) {
    return running.remove(missionId, run);
  }

  List<String> running() {
    return List.copyOf(running.keySet());
  }
}
