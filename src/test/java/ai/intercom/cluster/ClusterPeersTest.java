package ai.intercom.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.pekko.actor.Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hub's list of the members of its last run: what it reads back, and what it skips. */
class ClusterPeersTest {

  @TempDir Path dir;

  @Test
  void readsTheAddressesAndSkipsWhatIsNotOne() throws Exception {
    Path file = ClusterPeers.file(dir);
    Files.writeString(
        file,
        String.join(
            "\n",
            "100.64.0.2:7701",
            "",
            "no-port",
            ":7701",
            "host:99999",
            "host:seventy",
            "  127.0.0.1:45165  ",
            ""));
    assertEquals(
        List.of(
            new Address("pekko", "ai-intercom", "100.64.0.2", 7701),
            new Address("pekko", "ai-intercom", "127.0.0.1", 45165)),
        ClusterPeers.read(file, "ai-intercom"));
  }

  @Test
  void noFileIsTheFirstStart() {
    assertEquals(List.of(), ClusterPeers.read(ClusterPeers.file(dir), "ai-intercom"));
  }
}
