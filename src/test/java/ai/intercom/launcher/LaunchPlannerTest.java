package ai.intercom.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.config.LauncherSettings;
import ai.intercom.mission.Mission;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.protocol.MissionStatus;
import ai.intercom.registry.Project;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LaunchPlannerTest {

  static final String MACHINE = "laptop";
  static final List<String> DEFAULTS = List.of("-p", "--output-format", "stream-json");

  @TempDir Path home;

  private static LauncherSettings settings(boolean relay, List<Path> allowed) {
    return new LauncherSettings(
        "/opt/claude",
        DEFAULTS,
        allowed,
        Duration.ofMinutes(30),
        2,
        Map.of("plain", "codex exec {prompt}"),
        Map.of("api", "plain"),
        relay,
        Duration.ofSeconds(5),
        List.of("/opt/ai-intercom", "--quiet"),
        Map.of("FROM_SETTINGS", "settings", "SHARED", "settings"));
  }

  private static Mission.State mission(
      String to, String prompt, String agentCommand, String agentSessionId) {
    Instant at = Instant.parse("2026-11-21T10:00:00Z");
    return new Mission.State(
        "m-1",
        "desk/api",
        to,
        Mission.Kind.START_AGENT,
        prompt,
        "t-1",
        "s-1",
        agentCommand,
        0,
        MissionStatus.APPROVED,
        at,
        at,
        null,
        null,
        agentSessionId,
        null,
        null,
        null,
        List.of(),
        List.of(),
        List.of(),
        null);
  }

  private Map<String, Project> projects() throws Exception {
    Path web = Files.createDirectories(home.resolve("projects/web"));
    return Map.of(
        "web", new Project("web", web.toString(), null, List.of(), List.of()),
        "api", new Project("api", web.toString(), null, List.of(), List.of()),
        "docs", new Project("docs", "", null, List.of(), List.of()));
  }

  private LaunchPlanner planner(boolean relay) {
    return new LaunchPlanner(MACHINE, settings(relay, List.of(home)), home.resolve("logs"));
  }

  @Test
  void aPlainCommandGetsTheDefaultsThePermissionRelayAndThePromptInTheProjectsRealPath()
      throws Exception {
    AgentRun.Spec spec =
        planner(true)
            .plan(mission(MACHINE + "/web", "fix it", null, null), null, projects(), Map.of());

    List<String> argv = spec.command().argv();
    assertEquals(
        List.of(
            "/opt/claude",
            "-p",
            "--output-format",
            "stream-json",
            "--permission-prompt-tool",
            "mcp__intercom__intercom_permission_prompt",
            "--mcp-config"),
        argv.subList(0, 7));
    assertEquals(List.of("--", "fix it"), argv.subList(argv.size() - 2, argv.size()));
    JsonNode server = JsonFormat.MAPPER.readTree(argv.get(7)).path("mcpServers").path("intercom");
    assertEquals("/opt/ai-intercom", server.path("command").asText());
    assertEquals("[\"--quiet\",\"mcp-server\"]", server.path("args").toString());
    assertEquals("m-1", server.path("env").path("INTERCOM_MISSION_ID").asText());
    assertEquals(home.resolve("projects/web").toRealPath(), spec.cwd());
    assertEquals(home.resolve("logs/agents/m-1.log"), spec.stderrLog());
    assertTrue(Files.isDirectory(spec.stderrLog().getParent()));
    assertEquals(Duration.ofMinutes(30), spec.maxDuration());
  }

  @Test
  void withoutThePermissionRelayTheAgentGetsNoMcpConfig() throws Exception {
    AgentRun.Spec spec =
        planner(false)
            .plan(mission(MACHINE + "/web", "fix it", null, null), null, projects(), Map.of());
    assertEquals(
        List.of("/opt/claude", "-p", "--output-format", "stream-json", "--", "fix it"),
        spec.command().argv());
  }

  @Test
  void theNodesVariablesWinOverTheSettingsAndTheMissionIdIsAlwaysSet() throws Exception {
    AgentRun.Spec spec =
        planner(false)
            .plan(
                mission(MACHINE + "/web", "fix it", null, null),
                null,
                projects(),
                Map.of("SHARED", "node", "INTERCOM_MISSION_ID", "not-this-one"));
    assertEquals("settings", spec.env().get("FROM_SETTINGS"));
    assertEquals("node", spec.env().get("SHARED"));
    assertEquals("m-1", spec.env().get("INTERCOM_MISSION_ID"));
  }

  @Test
  void aFollowUpResumesTheConversationOrElseRepeatsTheMissionBeforeIt() throws Exception {
    List<String> resumed =
        planner(false)
            .plan(
                mission(MACHINE + "/web", "fix it", null, "conv-7"),
                "and test",
                projects(),
                Map.of())
            .command()
            .argv();
    assertEquals(
        List.of(
            "/opt/claude",
            "-p",
            "--output-format",
            "stream-json",
            "--resume",
            "conv-7",
            "--",
            "and test"),
        resumed);
    assertEquals(
        "fix it\n\nFollow-up: and test",
        LaunchPlanner.prompt(mission(MACHINE + "/web", "fix it", null, null), "and test"));
    assertEquals(
        "fix it", LaunchPlanner.prompt(mission(MACHINE + "/web", "fix it", null, "conv-7"), null));
  }

  @Test
  void aProjectCommandMayBeTheNameOfAConfiguredTemplate() throws Exception {
    AgentRun.Spec spec =
        planner(true)
            .plan(mission(MACHINE + "/api", "list it", null, null), null, projects(), Map.of());
    assertEquals(List.of("codex", "exec", "list it"), spec.command().argv());
    assertTrue(spec.command().template());
  }

  @Test
  void aMissionMayNameOnlyACommandThisMachineConfigured() throws Exception {
    Mission.State rogue = mission(MACHINE + "/web", "fix it", "rm -rf /", null);
    var refused =
        assertThrows(
            IllegalArgumentException.class,
            () -> planner(false).plan(rogue, null, projects(), Map.of()));
    assertEquals(
        "agent command 'rm -rf /' is not one of the commands of laptop"
            + " (intercom.agent-launcher.commands: plain)",
        refused.getMessage());
  }

  @Test
  void aProjectWithoutAPathOnThisMachineIsRefused() throws Exception {
    Map<String, Project> projects = projects();
    for (String project : List.of("docs", "unknown")) {
      var refused =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  planner(false)
                      .plan(
                          mission(MACHINE + "/" + project, "x", null, null),
                          null,
                          projects,
                          Map.of()));
      assertTrue(refused.getMessage().contains("knows no path for project '" + project + "'"));
    }
  }
}
