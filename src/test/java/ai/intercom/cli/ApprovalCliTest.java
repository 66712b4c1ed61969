package ai.intercom.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.approval.ApprovalGate;
import ai.intercom.approval.ApprovalRequest;
import ai.intercom.approval.MessageType;
import ai.intercom.mission.Mission;
import ai.intercom.testing.NodeProcess;
import ai.intercom.testing.TestIds;
import ai.intercom.testing.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator's commands, run as real processes against a running node. */
class ApprovalCliTest {

  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path home;

  private record Run(int exit, List<String> out, List<String> err) {}

  private Run cli(int httpPort, String... args) throws Exception {
    Map<String, String> env =
        Map.of("INTERCOM_HOME", home.toString(), "INTERCOM_HTTP_PORT", String.valueOf(httpPort));
    try (NodeProcess process = NodeProcess.start(env, args)) {
      int exit = process.awaitExit(30);
      return new Run(exit, process.stdout(), process.stderr());
    }
  }

  private ApprovalGate.PendingApproval hold(Node node, String from, String to, String text)
      throws Exception {
    String missionId = TestIds.missionId();
    ClusterSharding.get(node.system())
        .entityRefFor(Mission.ENTITY_KEY, missionId)
        .<Mission.Summary>askWithStatus(
            r -> new Mission.Create(from, to, Mission.Kind.ASK, text, r), WAIT)
        .toCompletableFuture()
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    ApprovalGate.Admission admission =
        AskPattern.<ApprovalGate.Command, ApprovalGate.Admission>ask(
                node.approvalGate(),
                r ->
                    new ApprovalGate.Submit(
                        new ApprovalRequest(from, to, MessageType.ASK, missionId, text), r),
                WAIT,
                node.system().scheduler())
            .toCompletableFuture()
            .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    return assertInstanceOf(ApprovalGate.Held.class, admission).approval();
  }

  @Test
  void anOperatorListsApprovesAndDeniesFromTheCommandLine() throws Exception {
    Files.writeString(
        home.resolve("policies.yml"),
        "rules:\n  - {from: '*', to: 'beta/*', approval: mission, label: 'Work for beta'}\n");
    Node node = TestNodes.start(home, "standalone", Map.of());
    try {
      int port = TestNodes.http(node).getPort();
      ApprovalGate.PendingApproval first =
          hold(node, "alpha/api", "beta/web", "please run\nthe full test suite");
      ApprovalGate.PendingApproval second =
          hold(node, "gamma/ops", "delta/db", "drop the staging tables");

      Run list = cli(port, "approvals");
      assertEquals(0, list.exit(), list.err().toString());
      assertEquals(3, list.out().size(), list.out().toString());
      assertTrue(
          list.out().get(0).matches("ID\\s+AGE\\s+FROM -> TO\\s+TYPE\\s+PREVIEW\\s+RULE"),
          list.out().get(0));
      assertTrue(
          list.out()
              .get(1)
              .matches(
                  first.id()
                      + "\\s+\\d+s\\s+alpha/api -> beta/web\\s+ask\\s+"
                      + "please run the full test suite\\s+Work for beta"),
          list.out().get(1));
      assertTrue(list.out().get(2).startsWith(second.id()), list.out().get(2));
      assertTrue(list.out().get(2).endsWith("default (once)"), list.out().get(2));

      // the network at a glance: this machine online, no session, no mission running, 2 waiting
      Run glance = cli(port, "status");
      assertEquals(0, glance.exit(), glance.err().toString());
      String overview = String.join("\n", glance.out());
      assertTrue(overview.startsWith("Machines: 1 of 1 online\n"), overview);
      assertTrue(overview.matches("(?s).*\n  test-standalone\s+yes\s+approved\s.*"), overview);
      assertTrue(overview.contains("\nSessions: 0\n  (none)\n"), overview);
      assertTrue(overview.contains("\nMissions running: 0\n"), overview);
      assertTrue(
          overview.contains(
              "\nApprovals waiting: 2\n  " + first.id() + " alpha/api -> beta/web: please run"),
          overview);
      assertTrue(overview.endsWith("(ai-intercom approve|deny " + second.id() + ")"), overview);

      Run approve = cli(port, "approve", first.id());
      assertEquals(0, approve.exit(), approve.err().toString());
      assertEquals(List.of(first.id() + ": approved by operator (mission)"), approve.out());

      Run late = cli(port, "deny", first.id(), "--reason", "changed my mind");
      assertEquals(1, late.exit());
      assertEquals(
          List.of(
              "ai-intercom: error: approval "
                  + first.id()
                  + " was already approved by operator (mission); your decision came too late"),
          late.err());

      Run deny = cli(port, "deny", second.id(), "--reason", "never on staging");
      assertEquals(List.of(second.id() + ": denied by operator: never on staging"), deny.out());

      Run unknown = cli(port, "approve", "a-000000", "--level", "always");
      assertEquals(1, unknown.exit());
      assertEquals(
          List.of("ai-intercom: error: no pending approval a-000000 (see 'ai-intercom approvals')"),
          unknown.err());

      Run badLevel = cli(port, "approve", second.id(), "--level", "forever");
      assertEquals(1, badLevel.exit());
      assertEquals(
          List.of(
              "ai-intercom: error: unknown level 'forever' (expected once, mission, session or always)"),
          badLevel.err());

      Run hostile = cli(port, "approve", "../../api/cluster");
      assertEquals(2, hostile.exit());
      assertTrue(hostile.err().get(0).contains("is not an id"), hostile.err().toString());

      Run empty = cli(port, "approvals");
      assertEquals(List.of("no pending approvals"), empty.out());

      Run policy = cli(port, "policy", "show");
      assertEquals(0, policy.exit(), policy.err().toString());
      assertEquals("policy: " + home.resolve("policies.yml"), policy.out().get(0));
      assertEquals("default: once", policy.out().get(1));
      assertTrue(
          policy
              .out()
              .get(3)
              .matches("1\\s+\\*\\s+beta/\\*\\s+\\*\\s+\\*\\s+mission\\s+Work for beta"),
          policy.out().get(3));
      assertTrue(
          policy.out().get(4).contains("missions " + first.request().missionId()),
          policy.out().get(4));

      Files.writeString(home.resolve("policies.yml"), "defaults: {require_approval: never}\n");
      Run reload = cli(port, "policy", "reload");
      assertEquals(0, reload.exit(), reload.err().toString());
      assertTrue(
          reload.out().get(0).startsWith("reloaded " + home.resolve("policies.yml") + ": 0 rules"));
    } finally {
      TestNodes.stop(node);
    }
  }

  @Test
  void withoutARunningNodeTheCommandSaysHowToStartOne() throws Exception {
    Run run = cli(TestNodes.freePort(), "approvals");
    assertEquals(1, run.exit());
    assertEquals(1, run.err().size(), run.err().toString());
    assertTrue(
        run.err().get(0).startsWith("ai-intercom: error: no node is running at http://127.0.0.1:"),
        run.err().get(0));
    assertTrue(run.err().get(0).contains("ai-intercom standalone"), run.err().get(0));
  }
}
