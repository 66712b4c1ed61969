package ai.intercom.launcher;

import ai.intercom.config.LauncherSettings;
import ai.intercom.mission.Mission;
import ai.intercom.protocol.AgentId;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.protocol.McpNames;
import ai.intercom.registry.Project;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Where and how a mission's agent runs on this machine: its command line (from the commands this
 * machine configured, never one the mission brings), its working directory (the project's path,
 * within the allowed paths), its environment and its stderr log. A launch that cannot be planned
 * fails with an {@link IllegalArgumentException} whose message the failed mission then carries.
 *
 * <p>It reads the file system (the project's real path, the log directory), so it runs on the
 * blocking dispatcher.
 */
final class LaunchPlanner {

  private final String machineId;
  private final LauncherSettings settings;
  private final Path logsDir;

  LaunchPlanner(String machineId, LauncherSettings settings, Path logsDir) {
    this.machineId = machineId;
    this.settings = settings;
    this.logsDir = logsDir;
  }

  /**
   * The run of {@code state}'s agent; {@code followUp}: the message that continues its
   * conversation, or null for the mission's own prompt.
   *
   * @param projects the projects of this machine as the registry holds them
   * @param nodeEnvironment the node's variables for agents, over those of the settings
   */
  AgentRun.Spec plan(
      Mission.State state,
      String followUp,
      Map<String, Project> projects,
      Map<String, String> nodeEnvironment) {
    AgentId target = AgentId.parse(state.to());
    Project project = projects.get(target.project());
    if (project == null || project.path().isBlank()) {
      throw new IllegalArgumentException(
          "machine "
              + machineId
              + " knows no path for project '"
              + target.project()
              + "' (is it under intercom.discovery.scan-paths?)");
    }
    Path cwd = PathRules.resolve(Path.of(project.path()), settings.allowedPaths(), machineId);
    String template = commandFor(state.agentCommand(), target.project());
    String resume = followUp == null ? null : state.agentSessionId();
    AgentCommand command =
        AgentCommand.of(
            template,
            settings.defaultArgs(),
            prompt(state, followUp),
            resume,
            relayArguments(state.missionId()));
    Map<String, String> env = new HashMap<>(settings.environment());
    env.putAll(nodeEnvironment);
    env.put("INTERCOM_MISSION_ID", state.missionId());
    return new AgentRun.Spec(
        state.missionId(),
        command,
        cwd,
        env,
        stderrLog(state.missionId()),
        settings.maxMissionDuration(),
        settings.stopGrace());
  }

  /**
   * What the agent is told: the mission's prompt, or the follow-up alone when it resumes its
   * conversation.
   */
  static String prompt(Mission.State state, String followUp) {
    if (followUp == null) {
      return state.prompt();
    }
    // an agent without a conversation to resume gets the mission again with the follow-up
    return state.agentSessionId() != null
        ? followUp
        : state.prompt() + "\n\nFollow-up: " + followUp;
  }

  /**
   * The command line of a launch: a mission may only name one of the commands this machine
   * configured (never a command line of its own); without a name, the project's command or the
   * default one.
   */
  String commandFor(String named, String project) {
    if (named == null) {
      String configured = settings.commandFor(project);
      return settings.commands().getOrDefault(configured, configured);
    }
    String command = settings.commands().get(named);
    if (command == null) {
      throw new IllegalArgumentException(
          "agent command '"
              + named
              + "' is not one of the commands of "
              + machineId
              + " (intercom.agent-launcher.commands: "
              + String.join(", ", new TreeSet<>(settings.commands().keySet()))
              + ")");
    }
    return command;
  }

  /**
   * For stream-json agents: permission prompts go to this product's MCP server, which asks the
   * operator.
   */
  List<String> relayArguments(String missionId) {
    if (!settings.permissionRelay()) {
      return List.of();
    }
    List<String> server = new ArrayList<>(settings.mcpCommand());
    server.add("mcp-server");
    Map<String, Object> intercom = new LinkedHashMap<>();
    intercom.put("command", server.get(0));
    intercom.put("args", server.subList(1, server.size()));
    intercom.put("env", Map.of("INTERCOM_MISSION_ID", missionId));
    try {
      String config =
          JsonFormat.MAPPER.writeValueAsString(
              Map.of("mcpServers", Map.of(McpNames.SERVER, intercom)));
      return List.of(
          "--permission-prompt-tool",
          McpNames.qualified(McpNames.PERMISSION_TOOL),
          "--mcp-config",
          config);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private Path stderrLog(String missionId) {
    Path dir = logsDir.resolve("agents");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create " + dir + ": " + e.getMessage(), e);
    }
    return dir.resolve(missionId + ".log");
  }
}
