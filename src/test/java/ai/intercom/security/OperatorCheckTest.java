package ai.intercom.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.TestNodes;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent with a shell can read the local token; it still cannot act as the operator. Agents are
 * real processes (a shell that runs what it is told, as an agent's Bash tool does) registered as
 * sessions; they call the node with curl and the token, as any process could. The operator is this
 * test's process, inside no session.
 */
class OperatorCheckTest {

  @TempDir Path home;
  private final List<Agent> agents = new ArrayList<>();
  private Node node;
  private ApiClient api;

  /** A shell that runs each line it reads (through {@code sh -c}, a grandchild) and answers. */
  private record Agent(Process shell, OutputStream in, BufferedReader out) {

    /** Runs {@code command} in the agent's process tree; answers its first output line. */
    String run(String command) throws Exception {
      in.write((command.replace("\n", " ") + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
      return out.readLine();
    }
  }

  @AfterEach
  void stop() {
    agents.forEach(agent -> agent.shell().destroyForcibly());
    if (node != null) {
      TestNodes.stop(node);
    }
  }

  private Agent agent(String session, String project) throws Exception {
    Process shell =
        new ProcessBuilder("bash", "-c", "while IFS= read -r line; do sh -c \"$line\"; echo; done")
            .redirectErrorStream(true)
            .start();
    Agent agent =
        new Agent(
            shell,
            shell.getOutputStream(),
            new BufferedReader(
                new InputStreamReader(shell.getInputStream(), StandardCharsets.UTF_8)));
    agents.add(agent);
    assertEquals(200, api.register(session, project, shell.pid()).status());
    return agent;
  }

  /** curl as an agent would write it: the token read from the home, a POST; the status. */
  private String curl(Agent agent, String path) throws Exception {
    return post(agent, "-o /dev/null -w '%{http_code}' ", path);
  }

  /** The same call's answer body. */
  private String body(Agent agent, String path) throws Exception {
    return post(agent, "", path);
  }

  private String post(Agent agent, String options, String path) throws Exception {
    return agent.run(
        "curl -s "
            + options
            + "-X POST -H \"Authorization: Bearer $(cat "
            + home.resolve("local.token")
            + ")\" http://127.0.0.1:"
            + api.port()
            + path);
  }

  @Test
  void anAgentCannotApproveDenyReloadOrStopOthersMissionsButTheOperatorCan() throws Exception {
    node = TestNodes.start(home, "standalone", Map.of());
    api = new ApiClient(node, home);
    Agent sender = agent("s-api", "api");
    Agent receiver = agent("s-web", "web");
    String web = "test-standalone/web";

    // the default policy holds a chat between two projects for the operator
    ApiClient.Answer held = api.chat("s-api", web, "Please drop the staging tables.");
    assertEquals("pending_approval", held.text("status"), held.toString());
    String approval = held.text("approval_id");
    String mission = held.text("mission_id");

    // the receiver, and the sender itself, try to let it through
    String refused = body(receiver, "/api/approvals/" + approval + "/approve");
    assertTrue(refused.contains("operator actions are refused to agents"), refused);
    assertTrue(refused.contains("agent session s-web of " + web), refused);
    assertEquals("403", curl(sender, "/api/approvals/" + approval + "/approve"));
    assertEquals("403", curl(sender, "/api/approvals/" + approval + "/deny"));
    assertEquals("403", curl(receiver, "/api/policy/reload"));
    // stopping the sender's mission: not the receiver's to stop
    String notTheirs = body(receiver, "/api/missions/" + mission + "/stop");
    assertTrue(notTheirs.contains("may not stop a mission it did not start"), notTheirs);

    // nothing changed: still held, nothing in the receiver's inbox
    assertTrue(
        api.get("/api/approvals").json().toString().contains(approval),
        "the approval still waits for the operator");
    assertEquals(0, api.inbox("s-web").size());

    // the operator's own process: approved, and delivered
    ApiClient.Answer approved = api.post("/api/approvals/" + approval + "/approve", Map.of());
    assertEquals(200, approved.status(), approved.toString());
    assertEquals(200, api.post("/api/policy/reload", "").status());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    int received = 0;
    while (received == 0 && System.nanoTime() < deadline) {
      received = api.inbox("s-web").size();
      Thread.sleep(100);
    }
    assertEquals(1, received, "delivered once the operator approved");

    // an agent may stop what it started itself (the check lets it through to the mission)
    String own = body(sender, "/api/missions/" + mission + "/stop");
    assertTrue(!own.contains("refused to agents") && !own.contains("may not"), own);
  }

  @Test
  void agentsRunAsAnotherUserReachTheNodeButAreNeverTheOperator() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Callers.ownUid() == 0 && java.nio.file.Files.isExecutable(Path.of("/usr/bin/setpriv")),
        "switching to another user needs root and setpriv");
    // the README's steps: the agents' user in the group the token is shared with
    home.toFile().setExecutable(true, false);
    node =
        TestNodes.start(
            home, "standalone", Map.of(), Map.of("intercom.security.agents-group", "nogroup"));
    api = new ApiClient(node, home);
    assertEquals(
        "rw-r-----",
        java.nio.file.attribute.PosixFilePermissions.toString(
            java.nio.file.Files.getPosixFilePermissions(home.resolve("local.token"))));
    String asAgent =
        "TOKEN=$(cat "
            + home.resolve("local.token")
            + ") && curl -s -H \"Authorization: Bearer $TOKEN\" ";
    String url = "http://127.0.0.1:" + api.port();
    String listed = asNobody(asAgent + url + "/api/agents");
    assertTrue(listed.contains("\"status\":\"ok\""), listed);
    String refused = asNobody(asAgent + "-X POST " + url + "/api/policy/reload");
    assertTrue(refused.contains("operator actions are refused to other users"), refused);
    assertTrue(refused.contains("uid 65534"), refused);
    assertEquals(200, api.post("/api/policy/reload", "").status());
  }

  /** Runs {@code script} as user nobody (uid 65534) in group nogroup; answers its output. */
  private static String asNobody(String script) throws Exception {
    Process other =
        new ProcessBuilder(
                "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", script)
            .redirectErrorStream(true)
            .start();
    String answer = new String(other.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    other.waitFor();
    return answer;
  }
}
