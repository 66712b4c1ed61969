package ai.intercom.launcher;

import java.util.List;

/** What one line of an agent's output means for the mission that launched it. */
public sealed interface AgentOutput {

  /** The agent started a session: Claude Code's {@code system/init} line. */
  record Init(String sessionId, String model, String cwd) implements AgentOutput {}

  /**
   * Lines a human can follow, e.g. "Read src/A.java", "Bash: mvn -q test", "Edit README.md", "says:
   * I will start by...".
   */
  record Progress(String sessionId, List<String> lines) implements AgentOutput {
    public Progress {
      lines = List.copyOf(lines);
    }
  }

  /** The session ended; {@code text} is the agent's final answer (null when absent). */
  record Result(
      boolean isError,
      String subtype,
      String text,
      String sessionId,
      Double costUsd,
      Long durationMs,
      Integer numTurns)
      implements AgentOutput {}

  /** Not JSON: plain-text agents (codex, gemini) print their answer this way. */
  record PlainText(String text) implements AgentOutput {}

  /** JSON we do not show (tool results, unknown types). */
  record Ignored(String type) implements AgentOutput {}

  /** Looked like JSON but could not be read (truncated, broken); {@code why} is one short line. */
  record Unreadable(String why) implements AgentOutput {}
}
