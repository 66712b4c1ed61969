package ai.intercom.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.intercom.config.ConfigLoader;
import ai.intercom.config.Settings;
import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the node tells Pekko, from the product's settings. */
class NodeConfigTest {

  @TempDir Path home;

  private Config node(Map<String, Object> overrides) {
    Config config =
        new ConfigLoader(Map.of("INTERCOM_HOME", home.toString(), "INTERCOM_MACHINE_ID", "box"))
            .load(overrides);
    return Node.nodeConfig(Settings.from(config), config);
  }

  @Test
  void oneHubKeepsTheSideWithTheHubSeveralHubsTheSideWithMostNodes() {
    String key = "pekko.cluster.split-brain-resolver.active-strategy";
    assertEquals("keep-oldest", node(Map.of()).getString(key));
    assertEquals(
        "keep-majority", node(Map.of("intercom.cluster.several-hubs", true)).getString(key));
  }

  @Test
  void theClusterSpeaksTlsUnlessToldOtherwise() {
    assertEquals("tls-tcp", node(Map.of()).getString("pekko.remote.artery.transport"));
    assertEquals(
        "tcp",
        node(Map.of("intercom.cluster.tls", false)).getString("pekko.remote.artery.transport"));
  }
}
