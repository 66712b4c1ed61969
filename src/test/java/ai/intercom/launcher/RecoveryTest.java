package ai.intercom.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.protocol.MissionStatus;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RecoveryTest {

  @Test
  void onlyARunningMissionIsInterruptedAndOnlyAnApprovedOneLaunched() {
    assertEquals(Recovery.Step.INTERRUPT, Recovery.stepFor(MissionStatus.RUNNING));
    assertEquals(Recovery.Step.LAUNCH, Recovery.stepFor(MissionStatus.APPROVED));
    for (MissionStatus status :
        EnumSet.complementOf(EnumSet.of(MissionStatus.RUNNING, MissionStatus.APPROVED))) {
      assertEquals(Recovery.Step.FORGET, Recovery.stepFor(status), status.name());
    }
  }

  @Test
  void aPidIsTheOrphanOnlyIfItStartedWhenTheLedgerSays() {
    Instant started = Instant.parse("2026-11-21T10:00:00Z");
    MachineRuns.Process recorded = new MachineRuns.Process(4242, started);
    assertTrue(Recovery.isTheOrphan(Optional.of(started.plusMillis(400)), recorded));
    assertFalse(
        Recovery.isTheOrphan(Optional.of(started.plusSeconds(30)), recorded), "a reused pid");
    assertFalse(Recovery.isTheOrphan(Optional.empty(), recorded), "a start time nobody can read");
    assertFalse(
        Recovery.isTheOrphan(Optional.of(started), new MachineRuns.Process(4242, null)),
        "a run whose start was not recorded");
  }

  @Test
  void aReusedPidLeavesItsProcessAlone() {
    ProcessHandle self = ProcessHandle.current();
    Instant selfStarted = self.info().startInstant().orElseThrow();
    assertEquals(
        List.of(),
        Recovery.orphanTree(new MachineRuns.Process(self.pid(), selfStarted.minusSeconds(60))));
    assertEquals(
        self, Recovery.orphanTree(new MachineRuns.Process(self.pid(), selfStarted)).get(0));
  }

  @Test
  void theInterruptionSaysWhichNodeStoppedAndHowToContinue() {
    assertEquals(
        "the node of laptop stopped while the agent ran; send a follow-up to continue",
        Recovery.interruption("laptop"));
  }
}
