package ai.intercom.mission;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.intercom.mission.MissionIds.Block;
import ai.intercom.testing.EntityTestBase;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;

class MissionIdsTest
    extends EntityTestBase<MissionIds.Command, MissionIds.Event, MissionIds.State> {

  MissionIdsTest() {
    super(MissionIds.create("20261121"));
  }

  private StatusReply<Block> reserve(int count) {
    return kit.<StatusReply<Block>>runCommand(r -> new MissionIds.Reserve(count, r)).reply();
  }

  @Test
  void blocksFollowEachOtherAlsoAfterARestart() {
    assertEquals(new Block("20261121", 0, 256), reserve(256).getValue());
    assertEquals(new Block("20261121", 256, 512), reserve(256).getValue());
    kit.restart();
    assertEquals(new Block("20261121", 512, 768), reserve(256).getValue());
  }

  @Test
  void aDayRunsOutAfterTwentyFourBits() {
    assertEquals(new Block("20261121", 0, 1L << 24), reserve(1 << 24).getValue());
    assertEquals(
        "all 16777216 mission ids of 20261121 are used", reserve(1).getError().getMessage());
  }
}
