package ai.intercom.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.NodeProcess;
import ai.intercom.testing.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ai-intercom join} without {@code --hub-url} finds the hub among the Tailscale peers: the
 * real command, with a stand-in {@code tailscale} on PATH that prints what {@code tailscale status
 * --json} prints (peers offline, peers without the product, the hub), all on loopback addresses.
 */
class DiscoveryTest {

  @TempDir Path hubHome;
  @TempDir Path home;
  @TempDir Path bin;

  private Node hub;
  private int port;

  @BeforeEach
  void startHub() {
    hub = TestNodes.start(hubHome, "hub", Map.of("INTERCOM_MACHINE_ID", "alpha"), Map.of());
    port = new ApiClient(hub, hubHome).port();
  }

  @AfterEach
  void stopHub() {
    TestNodes.stop(hub);
  }

  @Test
  void joinFindsTheHubAmongTheOnlinePeersThatAnswerDiscover() throws Exception {
    tailscale(
        """
        {"BackendState":"Running",
         "Self":{"HostName":"newbox","TailscaleIPs":["127.0.0.9"],"Online":true},
         "Peer":{
           "nodekey:1":{"HostName":"asleep","TailscaleIPs":["127.0.0.4"],"Online":false},
           "nodekey:2":{"HostName":"printer","TailscaleIPs":["fd7a:115c:a1e0::2","127.0.0.2"],"Online":true},
           "nodekey:3":{"HostName":"evil","TailscaleIPs":["hub.example.com"],"Online":true},
           "nodekey:4":{"HostName":"alpha","TailscaleIPs":["fd7a:115c:a1e0::1","127.0.0.1"],"Online":true}}}
        """);
    try (NodeProcess join =
        NodeProcess.start(env(), "join", "--hub-port", String.valueOf(port), "--wait", "0")) {
      assertEquals(3, join.awaitExit(60), String.join("\n", join.stderr()));
      String out = String.join("\n", join.stdout());
      // the peer whose "address" is a host name is left out: 2 of 3 online ones are asked
      assertTrue(out.contains("looking for the hub among 2 online Tailscale peers"), out);
      assertTrue(out.contains("found the hub alpha at http://127.0.0.1:" + port), out);
      assertTrue(out.contains("asked http://127.0.0.1:" + port + " to admit machine newbox"), out);
    }
    ApiClient.Answer pending =
        new ApiClient(hub, hubHome).post("/api/machines/newbox/approve", Map.of());
    assertEquals(200, pending.status(), pending.toString());
  }

  @Test
  void installShFindsTheHubThroughTailscaleAndAsksToJoin() throws Exception {
    tailscale(
        "{\"BackendState\":\"Running\",\"Peer\":{\"k\":{\"HostName\":\"alpha\","
            + "\"TailscaleIPs\":[\"127.0.0.1\"],\"Online\":true}}}");
    Map<String, String> env = env();
    // the script runs this build's classes instead of the packaged jar
    env.put("INTERCOM_CLASSPATH", System.getProperty("java.class.path"));
    ProcessBuilder install =
        new ProcessBuilder("scripts/install.sh", "--hub-port", String.valueOf(port), "--wait", "0")
            .redirectErrorStream(true);
    install.environment().putAll(env);
    Process process = install.start();
    String out = new String(process.getInputStream().readAllBytes());
    assertEquals(3, process.waitFor(), out);
    assertTrue(out.contains("found the hub alpha at http://127.0.0.1:" + port), out);
    assertTrue(out.contains("still waiting for the operator"), out);

    ProcessBuilder bad =
        new ProcessBuilder("scripts/install.sh", "--hub", "x").redirectErrorStream(true);
    Process refused = bad.start();
    String said = new String(refused.getInputStream().readAllBytes()).trim();
    assertEquals(2, refused.waitFor());
    assertEquals("install.sh: error: unknown option '--hub' (see scripts/install.sh --help)", said);
  }

  @Test
  void withoutTailscaleOrAHubTheJoinSaysWhatToDo() throws Exception {
    Map<String, String> noTailscale = env();
    noTailscale.put("PATH", bin + ":/usr/bin:/bin");
    try (NodeProcess join = NodeProcess.start(noTailscale, "join", "--wait", "0")) {
      assertEquals(1, join.awaitExit(60));
      assertEquals(
          "ai-intercom: error: Tailscale is not installed here ('tailscale' is not on PATH):"
              + " give --hub-url http://HUB:7700",
          String.join("\n", join.stderr()).trim());
    }
    tailscale("{\"BackendState\":\"NeedsLogin\",\"Peer\":{}}");
    try (NodeProcess join = NodeProcess.start(env(), "join", "--wait", "0")) {
      assertEquals(1, join.awaitExit(60));
      assertTrue(
          String.join("\n", join.stderr()).contains("state NeedsLogin"), join.stderr().toString());
    }
    tailscale(
        "{\"BackendState\":\"Running\",\"Peer\":{\"k\":{\"TailscaleIPs\":[\"127.0.0.2\"],\"Online\":true}}}");
    try (NodeProcess join =
        NodeProcess.start(env(), "join", "--hub-port", String.valueOf(port), "--wait", "0")) {
      assertEquals(1, join.awaitExit(60));
      assertTrue(
          String.join("\n", join.stderr()).contains("none of the 1 online Tailscale peers answers"),
          join.stderr().toString());
    }
    assertTrue(!Files.exists(home.resolve("machine.token")));
  }

  private Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("INTERCOM_HOME", home.toString());
    // install.sh sets up the user's home (link, Claude Code, completion): a throw-away one
    env.put("HOME", home.resolve("user").toString());
    env.put("INTERCOM_MACHINE_ID", "newbox");
    env.put("PATH", bin + ":" + System.getenv("PATH"));
    return env;
  }

  /** A {@code tailscale} that prints {@code status} for {@code tailscale status --json}. */
  private void tailscale(String status) throws Exception {
    Path json = bin.resolve("status.json");
    Files.writeString(json, status);
    Path script = bin.resolve("tailscale");
    Files.writeString(
        script,
        "#!/bin/sh\n"
            + "[ \"$1 $2\" = \"status --json\" ] || { echo \"unexpected: $*\" >&2; exit 2; }\n"
            + "cat '"
            + json
            + "'\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
