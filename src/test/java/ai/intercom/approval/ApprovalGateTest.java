package ai.intercom.approval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.mission.Mission;
import ai.intercom.protocol.MissionStatus;
import ai.intercom.testing.TestIds;
import ai.intercom.testing.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate as it runs: a cluster singleton on a real node, SQLite journal, missions as sharded
 * entities.
 */
class ApprovalGateTest {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final String STRICT =
      "defaults: {require_approval: once}\nrules:\n"
          + "  - {from: '*', to: '*', type: ask, message_pattern: 'status', approval: never, label: 'Read-only queries'}\n";

  @TempDir Path home;
  private Node node;

  @AfterEach
  void stopNode() {
    if (node != null) {
      TestNodes.stop(node);
    }
  }

  private void start(String policy, String timeout) throws Exception {
    if (policy != null) {
      Files.writeString(home.resolve("policies.yml"), policy);
    }
    node =
        TestNodes.start(home, "standalone", Map.of(), Map.of("intercom.approval.timeout", timeout));
  }

  private void restart() {
    TestNodes.stop(node);
    node =
        TestNodes.start(home, "standalone", Map.of(), Map.of("intercom.approval.timeout", "300s"));
  }

  private <T> T ask(java.util.function.Function<ActorRef<T>, ApprovalGate.Command> command)
      throws Exception {
    return AskPattern.<ApprovalGate.Command, T>ask(
            node.approvalGate(), command::apply, WAIT, node.system().scheduler())
        .toCompletableFuture()
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private String mission(String from, String to, MessageType kind, String prompt) throws Exception {
    String id = TestIds.missionId();
    missionRef(id)
        .<Mission.Summary>askWithStatus(
            r -> new Mission.Create(from, to, Mission.Kind.valueOf(kind.name()), prompt, r), WAIT)
        .toCompletableFuture()
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    return id;
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<Mission.Command> missionRef(
      String id) {
    return ClusterSharding.get(node.system()).entityRefFor(Mission.ENTITY_KEY, id);
  }

  private Mission.State missionState(String id) throws Exception {
    return missionRef(id)
        .<Mission.State>askWithStatus(Mission.Get::new, WAIT)
        .toCompletableFuture()
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /**
   * Polls the mission until it reaches {@code status} (the gate settles decisions asynchronously).
   */
  private Mission.State awaitMission(String id, MissionStatus status) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    Mission.State state = missionState(id);
    while (state.status() != status && System.nanoTime() < deadline) {
      Thread.sleep(50);
      state = missionState(id);
    }
    assertEquals(status, state.status());
    return state;
  }

  private ApprovalGate.Admission submit(
      String from, String to, MessageType kind, String missionId, String text) throws Exception {
    return ask(
        r -> new ApprovalGate.Submit(new ApprovalRequest(from, to, kind, missionId, text), r));
  }

  private ApprovalGate.PendingApproval held(String from, String to, String text) throws Exception {
    String missionId = mission(from, to, MessageType.ASK, text);
    return assertInstanceOf(
            ApprovalGate.Held.class, submit(from, to, MessageType.ASK, missionId, text))
        .approval();
  }

  private StatusReply<ApprovalGate.Decision> decide(String id, boolean approve, GrantLevel grant)
      throws Exception {
    return ask(
        r -> new ApprovalGate.Decide(id, approve, grant, "tester", approve ? null : "not now", r));
  }

  /**
   * A probe on the approvals topic. Pings published from a second topic actor (which has no
   * subscriber of its own) reach the probe only once the topic actors of this node found each
   * other, as the gate's must.
   */
  private TestProbe<ApprovalGate.Notice> subscribe() {
    TestProbe<ApprovalGate.Notice> probe = TestProbe.create(node.system());
    ActorRef<Topic.Command<ApprovalGate.Notice>> listening =
        node.system()
            .systemActorOf(
                Topic.create(ApprovalGate.Notice.class, ApprovalGate.TOPIC),
                "test-listen-" + System.nanoTime(),
                Props.empty());
    ActorRef<Topic.Command<ApprovalGate.Notice>> pinging =
        node.system()
            .systemActorOf(
                Topic.create(ApprovalGate.Notice.class, ApprovalGate.TOPIC),
                "test-ping-" + System.nanoTime(),
                Props.empty());
    listening.tell(Topic.subscribe(probe.ref()));
    probe.awaitAssert(
        WAIT,
        () -> {
          pinging.tell(Topic.publish(new ApprovalGate.ApprovalDecided("ping", true, "ping")));
          probe.expectMessageClass(ApprovalGate.ApprovalDecided.class, Duration.ofMillis(300));
          return null;
        });
    // late copies of earlier pings
    while (true) {
      try {
        probe.receiveMessage(Duration.ofMillis(300));
      } catch (AssertionError noMore) {
        return probe;
      }
    }
  }

  @Test
  void aNeverRuleLetsTheMessageThroughAtOnce() throws Exception {
    start(STRICT, "300s");
    ApprovalGate.Admission admission =
        submit("a/b", "c/d", MessageType.ASK, "m-20261121-000001", "what is the STATUS?");
    assertEquals(new ApprovalGate.Passed("Read-only queries: no approval needed"), admission);
    assertEquals(
        List.of(), this.<ApprovalGate.PendingList>ask(ApprovalGate.ListPending::new).approvals());
  }

  @Test
  void aHeldMessageIsAnnouncedListedAndItsApprovalReachesTheMission() throws Exception {
    start(STRICT, "300s");
    TestProbe<ApprovalGate.Notice> notices = subscribe();
    ApprovalGate.PendingApproval approval = held("alpha/api", "beta/web", "deploy to production");
    assertEquals("default (once)", approval.rule());
    assertEquals(
        approval,
        notices.expectMessageClass(ApprovalGate.ApprovalRequested.class, WAIT).approval());
    assertEquals(
        List.of(approval),
        this.<ApprovalGate.PendingList>ask(ApprovalGate.ListPending::new).approvals());
    assertEquals(
        MissionStatus.PENDING_APPROVAL, missionState(approval.request().missionId()).status());

    ApprovalGate.Decision decision = decide(approval.id(), true, null).getValue();
    assertEquals("approved by tester", decision.sentence());
    ApprovalGate.ApprovalDecided announced =
        notices.expectMessageClass(ApprovalGate.ApprovalDecided.class, WAIT);
    assertEquals(approval.id(), announced.approvalId());
    assertTrue(announced.approved());
    assertEquals(
        "tester", awaitMission(approval.request().missionId(), MissionStatus.APPROVED).decidedBy());
    assertEquals(
        List.of(), this.<ApprovalGate.PendingList>ask(ApprovalGate.ListPending::new).approvals());
  }

  @Test
  void theSameRequestAgainWaitsAsTheOneAlreadyHeld() throws Exception {
    start(null, "300s");
    ApprovalGate.Admission first =
        submit("alpha/api", "beta/web", MessageType.CHAT, "m-20261121-0000a1", "deploy?");
    ApprovalGate.Admission again =
        submit("alpha/api", "beta/web", MessageType.CHAT, "m-20261121-0000a1", "deploy?");
    ApprovalGate.Admission other =
        submit("alpha/api", "beta/web", MessageType.CHAT, "m-20261121-0000a2", "deploy?");
    assertEquals(first, again, "a retry or a replay is held once");
    assertTrue(other instanceof ApprovalGate.Held && !other.equals(first));
    assertEquals(
        2, this.<ApprovalGate.PendingList>ask(ApprovalGate.ListPending::new).approvals().size());
  }

  @Test
  void theFirstDecisionWinsAndASecondIsToldItCameTooLate() throws Exception {
    start(null, "300s");
    ApprovalGate.PendingApproval approval = held("alpha/api", "beta/web", "rm -rf build");
    assertTrue(decide(approval.id(), false, null).isSuccess());
    StatusReply<ApprovalGate.Decision> late = decide(approval.id(), true, null);
    assertTrue(late.isError());
    assertEquals(
        "approval "
            + approval.id()
            + " was already denied by tester: not now; your decision came too late",
        late.getError().getMessage());
    Mission.State denied = awaitMission(approval.request().missionId(), MissionStatus.DENIED);
    assertEquals("denied by tester: not now", denied.reason());
  }

  @Test
  void aMalformedRequestIsRefusedAndTheGateKeepsWorking() throws Exception {
    start(STRICT, "300s");
    assertInstanceOf(
        ApprovalGate.Refused.class, submit(null, "c/d", MessageType.ASK, "m-20261121-000001", "x"));
    assertInstanceOf(
        ApprovalGate.Refused.class, submit("a/b", "c/d", null, "m-20261121-000001", "x"));
    assertInstanceOf(ApprovalGate.Refused.class, submit("a/b", "c/d", MessageType.ASK, null, "x"));
    assertInstanceOf(
        ApprovalGate.Passed.class,
        submit("a/b", "c/d", MessageType.ASK, "m-20261121-000001", "status?"));
  }

  @Test
  void anUnknownIdIsAClearError() throws Exception {
    start(null, "300s");
    assertEquals(
        "no pending approval a-ffffff (see 'ai-intercom approvals')",
        decide("a-ffffff", true, null).getError().getMessage());
  }

  @Test
  void anUndecidedApprovalExpiresAndTheSenderIsToldWhy() throws Exception {
    start(null, "1s");
    TestProbe<ApprovalGate.Notice> notices = subscribe();
    ApprovalGate.PendingApproval approval = held("alpha/api", "beta/web", "migrate the database");
    notices.expectMessageClass(ApprovalGate.ApprovalRequested.class, WAIT);
    ApprovalGate.ApprovalDecided expired =
        notices.expectMessageClass(ApprovalGate.ApprovalDecided.class, WAIT);
    assertEquals("expired: no decision within 1 s", expired.sentence());
    assertEquals(
        "expired: no decision within 1 s",
        awaitMission(approval.request().missionId(), MissionStatus.DENIED).reason());
    assertTrue(decide(approval.id(), true, null).getError().getMessage().contains("came too late"));
  }

  @Test
  void pendingApprovalsSurviveAHubRestart() throws Exception {
    start(null, "300s");
    ApprovalGate.PendingApproval approval = held("alpha/api", "beta/web", "tag the release");
    restart();
    assertEquals(
        List.of(approval.id()),
        this.<ApprovalGate.PendingList>ask(ApprovalGate.ListPending::new).approvals().stream()
            .map(ApprovalGate.PendingApproval::id)
            .toList());
    assertTrue(decide(approval.id(), true, null).isSuccess());
    awaitMission(approval.request().missionId(), MissionStatus.APPROVED);
  }

  @Test
  void approvalsThatExpiredWhileTheHubWasDownAreExpiredWithTheSenderTold() throws Exception {
    start(null, "1s");
    ApprovalGate.PendingApproval approval = held("alpha/api", "beta/web", "rotate the keys");
    TestNodes.stop(node);
    Thread.sleep(1200);
    node = TestNodes.start(home, "standalone", Map.of(), Map.of("intercom.approval.timeout", "1s"));
    assertEquals(
        "expired: no decision within 1 s",
        awaitMission(approval.request().missionId(), MissionStatus.DENIED).reason());
  }

  @Test
  void aMissionGrantLetsTheRestOfThatMissionPass() throws Exception {
    start(null, "300s");
    ApprovalGate.PendingApproval approval = held("alpha/api", "beta/web", "first step");
    decide(approval.id(), true, GrantLevel.MISSION);
    String missionId = approval.request().missionId();
    assertEquals(
        new ApprovalGate.Passed("mission " + missionId + " was approved for its whole run"),
        submit("alpha/api", "beta/web", MessageType.CHAT, missionId, "second step"));
    assertInstanceOf(
        ApprovalGate.Held.class,
        submit("alpha/api", "beta/web", MessageType.CHAT, "m-20261121-0000ff", "another mission"));
    // the grant ends with the mission
    missionRef(missionId)
        .<Mission.Summary>askWithStatus(Mission.Start::new, WAIT)
        .toCompletableFuture()
        .get();
    missionRef(missionId)
        .<Mission.Summary>askWithStatus(
            r -> new Mission.Complete("done", null, null, null, r), WAIT)
        .toCompletableFuture()
        .get();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (submit("alpha/api", "beta/web", MessageType.CHAT, missionId, "after the end")
        instanceof ApprovalGate.Passed) {
      assertTrue(System.nanoTime() < deadline, "the mission grant outlived its mission");
      Thread.sleep(100);
    }
    assertEquals(List.of(), this.<PolicyView>ask(ApprovalGate.ShowPolicy::new).missionGrants());
  }

  @Test
  void aSessionGrantLastsUntilTheHubRestartsAndReleasesWhatWaits() throws Exception {
    start(null, "300s");
    ApprovalGate.PendingApproval first = held("alpha/api", "beta/web", "one");
    ApprovalGate.PendingApproval second = held("alpha/api", "beta/web", "two");
    ApprovalGate.PendingApproval other = held("beta/web", "alpha/api", "reverse direction");
    ApprovalGate.Decision decision = decide(first.id(), true, GrantLevel.SESSION).getValue();
    assertEquals(List.of(second.id()), decision.alsoReleased());
    awaitMission(second.request().missionId(), MissionStatus.APPROVED);
    assertEquals(
        List.of(other.id()),
        this.<ApprovalGate.PendingList>ask(ApprovalGate.ListPending::new).approvals().stream()
            .map(ApprovalGate.PendingApproval::id)
            .toList());
    assertInstanceOf(
        ApprovalGate.Passed.class,
        submit("alpha/api", "beta/web", MessageType.SEND, "m-20261121-000abc", "three"));

    restart();
    assertInstanceOf(
        ApprovalGate.Held.class,
        submit("alpha/api", "beta/web", MessageType.SEND, "m-20261121-000abd", "after restart"));
  }

  @Test
  void anAlwaysGrantSurvivesRestarts() throws Exception {
    start(null, "300s");
    ApprovalGate.PendingApproval approval = held("alpha/api", "beta/web", "one");
    decide(approval.id(), true, GrantLevel.ALWAYS);
    restart();
    assertEquals(
        new ApprovalGate.Passed("alpha/api -> beta/web is always allowed"),
        submit("alpha/api", "beta/web", MessageType.SEND, "m-20261121-000abc", "later"));
    PolicyView view = ask(ApprovalGate.ShowPolicy::new);
    assertEquals(List.of("alpha/api -> beta/web"), view.alwaysGrants());
  }

  @Test
  void reloadingThePolicyKeepsPendingApprovalsAndABrokenFileChangesNothing() throws Exception {
    start(null, "300s");
    ApprovalGate.PendingApproval approval = held("alpha/api", "beta/web", "one");
    Files.writeString(
        home.resolve("policies.yml"),
        "rules:\n  - {from: 'alpha/*', to: '*', approval: never, label: trusted}\n");
    StatusReply<PolicyView> reloaded = ask(ApprovalGate.ReloadPolicy::new);
    assertEquals("trusted", reloaded.getValue().rules().get(0).label());
    assertEquals(
        List.of(approval.id()),
        this.<ApprovalGate.PendingList>ask(ApprovalGate.ListPending::new).approvals().stream()
            .map(ApprovalGate.PendingApproval::id)
            .toList());
    assertInstanceOf(
        ApprovalGate.Passed.class,
        submit("alpha/api", "beta/web", MessageType.SEND, "m-20261121-000abc", "now trusted"));

    Files.writeString(home.resolve("policies.yml"), "rules:\n  - {from: '*', approval: perhaps}\n");
    StatusReply<PolicyView> broken = ask(ApprovalGate.ReloadPolicy::new);
    assertTrue(
        broken.getError().getMessage().endsWith("(the previous policy stays in force)"),
        broken.getError().getMessage());
    assertTrue(
        broken
            .getError()
            .getMessage()
            .contains("rule 1: approval: unknown approval level 'perhaps'"));
    assertInstanceOf(
        ApprovalGate.Passed.class,
        submit("alpha/api", "beta/web", MessageType.SEND, "m-20261121-000abd", "still trusted"));
  }

  @Test
  void anInvalidPolicyFileStopsTheStartWithOneLine() throws Exception {
    Files.writeString(
        home.resolve("policies.yml"),
        "rules:\n  - {from: '*', to: '*', message_pattern: '[', approval: once}\n");
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ai.intercom.config.StartupException.class,
            () -> TestNodes.start(home, "standalone", Map.of()));
    assertTrue(
        e.getMessage().startsWith(home.resolve("policies.yml") + ": rule 1: message_pattern '['"),
        e.getMessage());
  }
}
