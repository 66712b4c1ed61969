package ai.intercom.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.testing.NodeProcess;
import ai.intercom.testing.TestNodes;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node as an operator runs it: a real process, its exit code and what it prints. */
class NodeProcessTest {

  @TempDir Path home;

  private Map<String, String> env(String... more) {
    Map<String, String> env = new HashMap<>();
    env.put("INTERCOM_HOME", home.toString());
    env.put("INTERCOM_MACHINE_ID", "proc-test");
    env.put("INTERCOM_HTTP_PORT", String.valueOf(TestNodes.freePort()));
    env.put("INTERCOM_CLUSTER_PORT", String.valueOf(TestNodes.freePort()));
    for (int i = 0; i < more.length; i += 2) {
      env.put(more[i], more[i + 1]);
    }
    return env;
  }

  /** Runs a command that must fail; returns its only stderr line. */
  private static String failsWithOneLine(Map<String, String> env, String... args) throws Exception {
    try (NodeProcess node = NodeProcess.start(env, args)) {
      int exit = node.awaitExit(30);
      List<String> err = node.stderr();
      assertEquals(1, exit, "exit code; stderr: " + err);
      assertEquals(1, err.size(), "exactly one line on stderr, got: " + err);
      assertFalse(err.get(0).contains("Exception"), err.get(0));
      assertTrue(err.get(0).startsWith("ai-intercom: error: "), err.get(0));
      return err.get(0);
    }
  }

  @Test
  void nodeAnnouncesItselfAndStopsWithinFiveSecondsOfSigterm() throws Exception {
    try (NodeProcess node = NodeProcess.start(env(), "standalone")) {
      String ready = node.nextLine(60);
      assertNotNull(ready, "no ready line; stderr: " + node.stderr());
      assertTrue(ready.contains("standalone node 'proc-test' is up on http://127.0.0.1:"), ready);
      assertTrue(Files.exists(home.resolve("local.token")));

      long sent = System.nanoTime();
      node.terminate();
      int exit = node.awaitExit(5);
      long tookMs = (System.nanoTime() - sent) / 1_000_000;
      assertNotEquals(-1, exit, "still running 5 s after SIGTERM");
      assertTrue(tookMs < 5000, "took " + tookMs + " ms");
      assertTrue(
          node.stderr().stream().noneMatch(l -> l.contains("Exception") || l.startsWith("\tat ")),
          "no stack traces: " + node.stderr());
    }
  }

  @Test
  void httpPortInUseIsOneClearLine() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      String line =
          failsWithOneLine(
              env("INTERCOM_HTTP_PORT", String.valueOf(taken.getLocalPort())), "standalone");
      assertEquals(
          "ai-intercom: error: HTTP address 127.0.0.1:"
              + taken.getLocalPort()
              + " is already in use (another node running? change INTERCOM_HTTP_PORT or intercom.hub.listen)",
          line);
    }
    assertFalse(
        Files.exists(home.resolve("local.token")),
        "a refused start leaves the token of the running node alone");
  }

  @Test
  void clusterPortInUseIsOneClearLine() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      String line =
          failsWithOneLine(
              env("INTERCOM_CLUSTER_PORT", String.valueOf(taken.getLocalPort())), "hub");
      assertTrue(
          line.contains("cluster address 127.0.0.1:" + taken.getLocalPort() + " is already in use"),
          line);
    }
  }

  @Test
  void anAddressThatIsNotThisMachinesIsOneClearLine() throws Exception {
    Files.writeString(home.resolve("intercom.conf"), "intercom.cluster.host = \"192.0.2.7\"\n");
    String line = failsWithOneLine(env(), "standalone");
    assertTrue(line.contains("cluster address 192.0.2.7:"), line);
    assertTrue(
        line.contains(
            "is not an address of this machine (check intercom.cluster.host; is Tailscale up?)"),
        line);
  }

  @Test
  void unwritableHomeIsOneClearLine() throws Exception {
    Path file = Files.writeString(home.resolve("not-a-dir"), "x");
    String line =
        failsWithOneLine(env("INTERCOM_HOME", file.resolve("home").toString()), "standalone");
    assertTrue(line.contains("cannot create " + file.resolve("home")), line);
  }

  @Test
  void brokenConfigFileIsOneClearLineNamingFileAndLine() throws Exception {
    Files.writeString(
        home.resolve("intercom.conf"), "intercom {\n  machine.id = \n  mode = standalone\n");
    String line = failsWithOneLine(env(), "standalone");
    assertTrue(line.startsWith("ai-intercom: error: configuration: "), line);
    assertTrue(line.contains(home.resolve("intercom.conf") + ": "), line);
  }

  @Test
  void daemonThatHasNotJoinedIsOneClearLine() throws Exception {
    String line = failsWithOneLine(env(), "daemon");
    assertTrue(
        line.contains("has not joined a network yet: run 'ai-intercom join --hub-url"), line);
  }

  @Test
  void helpAndUsageErrors() throws Exception {
    try (NodeProcess help = NodeProcess.start(env(), "standalone", "--help")) {
      assertEquals(0, help.awaitExit(30));
      assertTrue(String.join("\n", help.stdout()).contains("--exit-when-ready"));
    }
    try (NodeProcess unknown = NodeProcess.start(env(), "teleport")) {
      assertEquals(2, unknown.awaitExit(30));
      assertTrue(unknown.stderr().get(0).contains("teleport"), unknown.stderr().toString());
    }
  }
}
