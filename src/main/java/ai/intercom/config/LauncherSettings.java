package ai.intercom.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How this machine starts agents ({@code intercom.agent-launcher}).
 *
 * @param defaultCommand the agent command, or a template with {@code {prompt}} (env
 *     INTERCOM_AGENT_COMMAND)
 * @param defaultArgs what a command without {@code {prompt}} gets before the prompt
 * @param allowedPaths directories agents may run in (empty: anywhere)
 * @param commands named commands or templates a mission may ask for by name (its {@code
 *     agent_command})
 * @param projectCommands a command, template or command name per project, instead of the default
 * @param permissionRelay whether launched agents ask the operator before using a tool
 * @param stopGrace how long a stopped agent has between TERM and KILL
 * @param mcpCommand how the agent starts this product's MCP server (empty: the running
 *     installation)
 * @param environment variables set for every agent, besides the node's own environment
 */
public record LauncherSettings(
    String defaultCommand,
    List<String> defaultArgs,
    List<Path> allowedPaths,
    Duration maxMissionDuration,
    int maxConcurrent,
    Map<String, String> commands,
    Map<String, String> projectCommands,
    boolean permissionRelay,
    Duration stopGrace,
    List<String> mcpCommand,
    Map<String, String> environment) {

  public LauncherSettings {
    defaultArgs = List.copyOf(defaultArgs);
    allowedPaths = List.copyOf(allowedPaths);
    commands = Map.copyOf(commands);
    projectCommands = Map.copyOf(projectCommands);
    mcpCommand = List.copyOf(mcpCommand);
    environment = Map.copyOf(environment);
  }

  /** The command or template for a project when the mission names none. */
  public String commandFor(String project) {
    return projectCommands.getOrDefault(project, defaultCommand);
  }
}
