package ai.intercom.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunQueueTest {

  private final RunQueue<String> queue = new RunQueue<>("laptop", 2);

  private static AgentRun.Spec spec(String missionId) {
    return new AgentRun.Spec(
        missionId,
        new AgentCommand(List.of("claude", "go"), false),
        Path.of("/tmp"),
        Map.of(),
        Path.of("/tmp/" + missionId + ".log"),
        Duration.ofMinutes(1),
        Duration.ofSeconds(1));
  }

  /** What the supervisor does with a prepared run: start it if there is room, else queue it. */
  private String admit(String missionId) {
    if (queue.hasRoom()) {
      queue.started(missionId, "run-" + missionId);
      return "started";
    }
    return queue.enqueue(spec(missionId));
  }

  @Test
  void atMostMaxConcurrentRunAndTheOthersWaitWithTheirPlaceInLine() {
    assertEquals("started", admit("m-1"));
    assertEquals("started", admit("m-2"));
    assertEquals(
        "queued: 2 agents already run on laptop (intercom.agent-launcher.max-concurrent = 2),"
            + " 0 missions ahead",
        admit("m-3"));
    assertTrue(admit("m-4").endsWith(", 1 missions ahead"));
    assertNull(queue.next(), "no slot is free");
    assertEquals(List.of("m-1", "m-2"), queue.running().stream().sorted().toList());
  }

  @Test
  void anEndedRunFreesItsSlotForTheOldestQueuedMission() {
    admit("m-1");
    admit("m-2");
    admit("m-3");
    admit("m-4");
    assertTrue(queue.ended("m-1", "run-m-1"));
    assertFalse(queue.ended("m-1", "run-m-1"), "an end is counted once");
    AgentRun.Spec next = queue.next();
    assertEquals("m-3", next.missionId());
    queue.started(next.missionId(), "run-m-3");
    assertNull(queue.next());
    assertEquals("run-m-3", queue.runOf("m-3"));
  }

  @Test
  void theLateEndOfAMissionsLastRunLeavesItsNextRunInItsSlot() {
    admit("m-1");
    assertTrue(queue.ended("m-1", "run-m-1"));
    queue.started("m-1", "follow-up-run-m-1");
    assertFalse(queue.ended("m-1", "run-m-1"), "the first run's end seen stopped, late");
    assertEquals("follow-up-run-m-1", queue.runOf("m-1"));
    assertTrue(queue.ended("m-1", "follow-up-run-m-1"));
  }

  @Test
  void aWithdrawnMissionLeavesTheQueueAndNeverStarts() {
    admit("m-1");
    admit("m-2");
    admit("m-3");
    assertTrue(queue.takenOn("m-3"));
    assertTrue(queue.withdraw("m-3"));
    assertFalse(queue.withdraw("m-3"));
    assertFalse(queue.takenOn("m-3"));
    queue.ended("m-1", "run-m-1");
    assertNull(queue.next());
  }

  @Test
  void aMissionBeingPreparedIsTakenOnUntilItsPreparationEnds() {
    queue.beginPreparing("m-1");
    assertTrue(queue.takenOn("m-1"));
    queue.endPreparing("m-1");
    assertFalse(queue.takenOn("m-1"));
  }

  @Test
  void followUpsHeldDuringARunComeBackInOrderAndARetriedOneOnce() {
    queue.hold("m-1", "first", "k-1");
    queue.hold("m-1", "first", "k-1");
    queue.hold("m-1", "second", null);
    queue.hold("m-1", "second", null);
    assertEquals("first\n\nsecond", queue.takeHeld("m-1"));
    assertNull(queue.takeHeld("m-1"));
    queue.hold("m-2", "stop me", null);
    queue.dropHeld("m-2");
    assertNull(queue.takeHeld("m-2"));
  }
}
