package ai.intercom.approval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyFileTest {

  @TempDir Path home;

  private String refusal(String yaml) throws Exception {
    Path file = Files.writeString(home.resolve("policies.yml"), yaml);
    return assertThrows(PolicyFile.InvalidPolicyException.class, () -> PolicyFile.load(file))
        .getMessage();
  }

  @Test
  void missingFileMeansThePackagedDefault() throws Exception {
    Policy policy = PolicyFile.load(home.resolve("policies.yml"));
    assertEquals(ApprovalLevel.ONCE, policy.defaultLevel());
    assertEquals("packaged default", policy.source());
  }

  @Test
  void theShippedExampleIsValid() throws Exception {
    Policy policy = PolicyFile.load(Path.of("policies/example.yml"));
    assertEquals(6, policy.rules().size());
    assertEquals(
        ApprovalLevel.NEVER,
        policy
            .evaluate(new ApprovalRequest("human", "box/api", MessageType.START_AGENT, "m-1", "go"))
            .level());
    // launched agents read without asking, anything else waits for the operator
    assertEquals(
        ApprovalLevel.NEVER,
        policy
            .evaluate(
                ApprovalRequest.permission(
                    "box/api", "m-1", "Read", "{\"file_path\":\"/p/README.md\"}"))
            .level());
    assertEquals(
        ApprovalLevel.ONCE,
        policy
            .evaluate(
                ApprovalRequest.permission(
                    "box/api", "m-1", "Bash", "{\"command\":\"rm -rf build\"}"))
            .level());
  }

  @Test
  void brokenYamlNamesTheLine() throws Exception {
    String message = refusal("defaults:\n  require_approval: once\nrules:\n  - from: [unclosed\n");
    assertEquals(true, message.startsWith(home.resolve("policies.yml") + ": line "), message);
    assertEquals(true, message.contains("not valid YAML"), message);
  }

  @Test
  void unknownLevelNamesTheRule() throws Exception {
    assertEquals(
        home.resolve("policies.yml")
            + ": rule 2 (risky): approval: unknown approval level 'sometimes'"
            + " (expected never, always_allow, once, mission, session)",
        refusal(
            "rules:\n  - {from: '*', to: '*', approval: never}\n"
                + "  - {from: '*', to: '*', approval: sometimes, label: risky}\n"));
    assertEquals(
        home.resolve("policies.yml")
            + ": defaults.require_approval: unknown approval level 'maybe'"
            + " (expected never, always_allow, once, mission, session)",
        refusal("defaults: {require_approval: maybe}\n"));
  }

  @Test
  void badRegexNamesTheRuleAndThePattern() throws Exception {
    assertEquals(
        home.resolve("policies.yml")
            + ": rule 1: message_pattern 'fix(' is not a valid regular expression:"
            + " Unclosed group",
        refusal("rules:\n  - {from: '*', to: '*', message_pattern: 'fix(', approval: never}\n"));
  }

  @Test
  void otherMistakesAreNamedToo() throws Exception {
    assertEquals(
        home.resolve("policies.yml") + ": rule 1: 'approval' is missing",
        refusal("rules:\n  - {from: '*', to: '*'}\n"));
    assertEquals(
        home.resolve("policies.yml")
            + ": rule 1: unknown type 'email' (expected ask, send, start_agent, chat or permission)",
        refusal("rules:\n  - {type: email, approval: once}\n"));
    assertEquals(
        home.resolve("policies.yml")
            + ": rule 1: unknown key 'aproval'"
            + " (expected approval, from, label, message_pattern, to, type)",
        refusal("rules:\n  - {from: '*', aproval: once}\n"));
    assertEquals(
        home.resolve("policies.yml") + ": 'rules' must be a list", refusal("rules: nope\n"));
  }

  @Test
  void aRuleWithoutGlobsMatchesEveryone() throws Exception {
    Policy policy = PolicyFile.parse("rules:\n  - {type: send, approval: never}\n", "t");
    assertEquals(
        ApprovalLevel.NEVER,
        policy.evaluate(new ApprovalRequest("a/b", "c/d", MessageType.SEND, "m", "")).level());
    assertEquals("*", policy.rules().get(0).from());
  }
}
