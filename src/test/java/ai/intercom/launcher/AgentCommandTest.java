package ai.intercom.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AgentCommandTest {

  static final List<String> DEFAULTS = List.of("-p", "--output-format", "stream-json", "--verbose");

  @Test
  void aPlainCommandGetsTheDefaultArgumentsResumeTheRelayAndThePromptLastAfterTheOptions() {
    AgentCommand command =
        AgentCommand.of(
            "/opt/claude --model opus",
            DEFAULTS,
            "fix it; rm -rf /",
            "sess-1",
            List.of("--permission-prompt-tool", "mcp__intercom__x"));
    assertEquals(
        List.of(
            "/opt/claude",
            "--model",
            "opus",
            "-p",
            "--output-format",
            "stream-json",
            "--verbose",
            "--resume",
            "sess-1",
            "--permission-prompt-tool",
            "mcp__intercom__x",
            "--",
            "fix it; rm -rf /"),
        command.argv());
    assertFalse(command.template());
    assertEquals("claude", command.executable());
  }

  @Test
  void aPromptThatLooksLikeAnOptionStaysThePrompt() {
    List<String> argv =
        AgentCommand.of("claude", DEFAULTS, "--dangerously-skip-permissions", null, List.of())
            .argv();
    assertEquals(
        List.of("--", "--dangerously-skip-permissions"),
        argv.subList(argv.size() - 2, argv.size()));
  }

  @Test
  void aTemplateIsUsedAsWrittenWithThePromptAsOneArgument() {
    AgentCommand command =
        AgentCommand.of(
            "codex exec --full-auto {prompt}",
            DEFAULTS,
            "say \"hi\" $(rm x)",
            "s",
            List.of("--relay"));
    assertEquals(List.of("codex", "exec", "--full-auto", "say \"hi\" $(rm x)"), command.argv());
    assertTrue(command.template());
    assertEquals(
        List.of("gemini", "-p", "Task: do it"),
        AgentCommand.of("gemini -p 'Task: {prompt}'", DEFAULTS, "do it", null, List.of()).argv());
  }

  @Test
  void wordsAreSplitLikeAShellDoesForQuotesAndEscapes() {
    assertEquals(
        List.of("a b", "c", "d'e", "", "f\"g", "h i"),
        AgentCommand.words("'a b' c \"d'e\" '' f\\\"g h\\ i"));
    assertEquals(List.of(), AgentCommand.words("   "));
    var unclosed =
        assertThrows(IllegalArgumentException.class, () -> AgentCommand.words("claude 'oops"));
    assertTrue(unclosed.getMessage().contains("unclosed"));
    assertThrows(
        IllegalArgumentException.class, () -> AgentCommand.of(" ", DEFAULTS, "p", null, List.of()));
  }

  @Test
  void theExecutableIsTheProgramsFileName() {
    assertEquals("claude", AgentCommand.executableOf("/usr/local/bin/claude -p"));
    assertEquals("rm", AgentCommand.executableOf("rm -rf /"));
    assertEquals("", AgentCommand.executableOf(""));
  }
}
