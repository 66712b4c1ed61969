package ai.intercom.approval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import ai.intercom.approval.Grants.Pair;
import org.junit.jupiter.api.Test;

class PolicyTest {

  private static Policy policy(String yaml) throws Exception {
    return PolicyFile.parse(yaml, "test");
  }

  private static ApprovalRequest request(String from, String to, MessageType type, String message) {
    return new ApprovalRequest(from, to, type, "m-20261121-aaaaaa", message);
  }

  @Test
  void firstMatchingRuleDecides() throws Exception {
    Policy policy =
        policy(
            """
        defaults: {require_approval: once}
        rules:
          - {from: "laptop/*", to: "*", approval: never, label: first}
          - {from: "*", to: "*", approval: session, label: second}
        """);
    assertEquals(
        new Policy.Match(ApprovalLevel.NEVER, "first"),
        policy.evaluate(request("laptop/api", "box/web", MessageType.SEND, "hi")));
    assertEquals(
        new Policy.Match(ApprovalLevel.SESSION, "second"),
        policy.evaluate(request("box/web", "laptop/api", MessageType.SEND, "hi")));
  }

  @Test
  void globsMatchWholeAgentIdsWithStarAndQuestionMark() throws Exception {
    Policy policy =
        policy(
            """
        rules:
          - {from: "lap?op/api", to: "box/*", approval: never}
        """);
    assertEquals(
        ApprovalLevel.NEVER,
        policy.evaluate(request("laptop/api", "box/web", MessageType.ASK, "")).level());
    assertEquals(
        ApprovalLevel.NEVER,
        policy.evaluate(request("lapXop/api", "box/a/b", MessageType.ASK, "")).level());
    assertEquals(
        ApprovalLevel.ONCE,
        policy.evaluate(request("laptop/api2", "box/web", MessageType.ASK, "")).level());
    assertEquals(
        ApprovalLevel.ONCE,
        policy.evaluate(request("laptop/api", "boxy/web", MessageType.ASK, "")).level());
    // regex characters in globs are literal
    Policy dots = policy("rules: [{from: \"a.b/*\", to: \"*\", approval: never}]");
    assertEquals(
        ApprovalLevel.ONCE, dots.evaluate(request("axb/p", "c/d", MessageType.ASK, "")).level());
    assertEquals(
        ApprovalLevel.NEVER, dots.evaluate(request("a.b/p", "c/d", MessageType.ASK, "")).level());
  }

  @Test
  void typeAndCaseInsensitivePatternMustBothMatch() throws Exception {
    Policy policy =
        policy(
            """
        rules:
          - from: "*"
            to: "*"
            type: ask
            message_pattern: "check|status|list|verify"
            approval: never
            label: "Read-only queries"
        """);
    assertEquals(
        "Read-only queries",
        policy.evaluate(request("a/b", "c/d", MessageType.ASK, "Please CHECK the build")).rule());
    assertEquals(
        ApprovalLevel.ONCE,
        policy.evaluate(request("a/b", "c/d", MessageType.SEND, "check the build")).level());
    assertEquals(
        ApprovalLevel.ONCE,
        policy.evaluate(request("a/b", "c/d", MessageType.ASK, "delete the build")).level());
  }

  @Test
  void noRuleMeansTheDefaultAndNoFileMeansOnce() throws Exception {
    assertEquals(
        ApprovalLevel.MISSION,
        policy("defaults: {require_approval: mission}")
            .evaluate(request("a/b", "c/d", MessageType.CHAT, "x"))
            .level());
    Policy packaged = PolicyFile.packagedDefault();
    assertEquals(ApprovalLevel.ONCE, packaged.defaultLevel());
    assertEquals(0, packaged.rules().size());
    assertEquals(ApprovalLevel.ONCE, policy("").defaultLevel());
  }

  @Test
  void everyLevelIsUnderstood() throws Exception {
    for (ApprovalLevel level : ApprovalLevel.values()) {
      Policy policy = policy("rules: [{from: '*', to: '*', approval: " + level.id() + "}]");
      assertEquals(level, policy.evaluate(request("a/b", "c/d", MessageType.ASK, "x")).level());
    }
  }

  @Test
  void neverPassesAndEveryOtherLevelHolds() throws Exception {
    Grants none = Grants.none();
    for (ApprovalLevel level : ApprovalLevel.values()) {
      Policy policy = policy("defaults: {require_approval: " + level.id() + "}");
      Policy.Verdict verdict = policy.decide(request("a/b", "c/d", MessageType.ASK, "x"), none);
      if (level == ApprovalLevel.NEVER) {
        assertInstanceOf(Policy.Verdict.Pass.class, verdict);
      } else {
        assertEquals(level, ((Policy.Verdict.Hold) verdict).match().level());
      }
    }
  }

  @Test
  void grantsComeBeforeRulesAndMissionGrantsBeforePairGrants() throws Exception {
    Policy policy = policy("rules: [{from: '*', to: '*', approval: once, label: strict}]");
    ApprovalRequest request = request("a/b", "c/d", MessageType.ASK, "x");
    Pair pair = new Pair("a/b", "c/d");

    Grants both =
        Grants.none().withMission("m-20261121-aaaaaa").withAlwaysPair(pair).withSessionPair(pair);
    assertEquals(
        new Policy.Verdict.Pass("mission m-20261121-aaaaaa was approved for its whole run"),
        policy.decide(request, both));
    assertEquals(
        new Policy.Verdict.Pass("a/b -> c/d was approved for this hub session"),
        policy.decide(request, Grants.none().withSessionPair(pair)));
    assertEquals(
        new Policy.Verdict.Pass("a/b -> c/d is always allowed"),
        policy.decide(request, Grants.none().withAlwaysPair(pair)));
    // a grant for the reverse direction or another mission does not count
    assertInstanceOf(
        Policy.Verdict.Hold.class,
        policy.decide(
            request,
            Grants.none().withAlwaysPair(new Pair("c/d", "a/b")).withMission("m-20261121-bbbbbb")));
  }

  @Test
  void approvingWithoutALevelGrantsWhatTheRuleAskedFor() {
    assertEquals(GrantLevel.ONCE, GrantLevel.defaultFor(ApprovalLevel.ONCE));
    assertEquals(GrantLevel.MISSION, GrantLevel.defaultFor(ApprovalLevel.MISSION));
    assertEquals(GrantLevel.SESSION, GrantLevel.defaultFor(ApprovalLevel.SESSION));
    assertEquals(GrantLevel.ALWAYS, GrantLevel.defaultFor(ApprovalLevel.ALWAYS_ALLOW));
  }
}
