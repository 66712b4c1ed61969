package ai.intercom.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.testing.AgentProcess;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.ApiClient.Answer;
import ai.intercom.testing.Await;
import ai.intercom.testing.FakeAgent;
import ai.intercom.testing.FakeClaude;
import ai.intercom.testing.NodeProcess;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Missions that start agents, on one real standalone node that launches the fake claude executable
 * as a real subprocess and reads its stream-json over a real pipe: results, failures, garbage,
 * crashes, floods, hangs past the limit, stops, the queue, follow-ups, templates and path rules.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LaunchTest {

  static final String MACHINE = "test-standalone";
  static final String WEB = MACHINE + "/web";

  /** The agents' process: not this one, which is the operator. */
  static final long AGENT = AgentProcess.pid();

  static final Duration RUN = Duration.ofSeconds(45);
  static final Path HOOK = Path.of("scripts", "check-inbox-hook.sh").toAbsolutePath();

  @TempDir static Path home;
  private Node node;
  private ApiClient api;
  private FakeClaude claude;
  private Path webPath;

  @BeforeAll
  void start() throws Exception {
    Path allowed = Files.createDirectories(home.resolve("projects"));
    Path outside = Files.createDirectories(home.resolve("elsewhere"));
    webPath = Files.createDirectories(allowed.resolve("web/.git")).getParent().toRealPath();
    Files.createDirectories(allowed.resolve("api/.git"));
    Files.createDirectories(outside.resolve("rogue/.git"));
    Files.writeString(
        home.resolve("policies.yml"),
        """
        defaults:
          require_approval: never
        rules:
          - type: permission
            message_pattern: "rm -rf"
            approval: once
          - from: "*"
            to: "*"
            message_pattern: "needs-approval"
            approval: once
        """);
    claude = FakeClaude.install(home.resolve("bin"));
    Map<String, String> env = new HashMap<>();
    env.put("INTERCOM_SCAN_PATHS", allowed + ":" + outside);
    env.put("INTERCOM_AGENT_COMMAND", claude.executable().toString());
    Map<String, Object> config = new HashMap<>();
    config.put("intercom.agent-launcher.allowed-paths", List.of(allowed.toString()));
    // the real CLI's options that take every word up to the next option: the prompt must survive
    // them all (the fake claude is as strict about them as the real one)
    config.put(
        "intercom.agent-launcher.default-args",
        List.of(
            "-p",
            "--output-format",
            "stream-json",
            "--verbose",
            "--allowedTools",
            "Read",
            "Grep",
            "--disallowedTools",
            "WebFetch",
            "--add-dir",
            allowed.toString(),
            "--tools",
            "default",
            "--betas",
            "none"));
    // long enough for three agents whose MCP servers start at once on two cores to hear an expired
    // prompt (5 s) and end; the hang tests wait for it
    config.put("intercom.agent-launcher.max-mission-duration", "25s");
    config.put("intercom.agent-launcher.stop-grace", "1s");
    config.put("intercom.agent-launcher.max-concurrent", 3);
    config.put("intercom.approval.timeout", "5s");
    config.put(
        "intercom.agent-launcher.environment", Map.of("FAKE_AGENT_LOG", claude.log().toString()));
    config.put(
        "intercom.agent-launcher.project-commands",
        Map.of("api", claude.executable() + " 'api: {prompt}'"));
    // an agent that leaves a process behind which keeps its output open
    Path lingering = home.resolve("bin/lingering-agent");
    Files.writeString(
        lingering, "#!/bin/sh\nsleep 120 &\necho \"$$ $!\" > \"$0.pids\"\necho \"answer: $1\"\n");
    Files.setPosixFilePermissions(lingering, PosixFilePermissions.fromString("rwxr-xr-x"));
    config.put(
        "intercom.agent-launcher.commands",
        Map.of("plain", claude.executable() + " {prompt}", "lingering", lingering + " {prompt}"));
    node = TestNodes.start(home, "standalone", env, config);
    api = new ApiClient(node, home);
    assertEquals(200, api.register("s-api", "api", AGENT).status());
    Await.until(() -> api.get("/api/agents").json().toString().contains(WEB));
  }

  @AfterAll
  void stop() {
    TestNodes.stop(node);
  }

  private Answer startAgent(String project, String mission, String agentCommand) {
    Map<String, Object> body = new HashMap<>();
    body.put("session_id", "s-api");
    body.put("machine", MACHINE);
    body.put("project", project);
    body.put("mission", mission);
    if (agentCommand != null) {
      body.put("agent_command", agentCommand);
    }
    return api.post("/api/start_agent", body);
  }

  private String launch(String mission) {
    Answer started = startAgent("web", mission, null);
    assertEquals(200, started.status(), started.toString());
    return started.text("mission_id");
  }

  private JsonNode status(String missionId) {
    return api.mission(missionId);
  }

  private JsonNode finished(String missionId) throws InterruptedException {
    return api.finishedMission(missionId, RUN);
  }

  private String history(String missionId) {
    return api.missionHistory(missionId);
  }

  @Test
  void anAgentRunsInItsProjectAndItsWorkAndResultReachTheMission() throws Exception {
    String id = launch("mode:success document the API");
    JsonNode done = finished(id);

    assertEquals("completed", done.path("status").asText(), done.toString());
    assertEquals("done: mode:success document the API", done.path("result").asText());
    assertEquals(0.0123, done.path("cost_usd").asDouble());
    String progress = done.path("progress").toString();
    assertTrue(progress.contains("Read README.md"), progress);
    assertTrue(progress.contains("Bash: curl"), progress);
    assertTrue(progress.contains("says: I will look at the project."), progress);
    // the token in the command line is never shown
    assertFalse(history(id).contains("sk-ant-secret"), history(id));
    assertTrue(
        progress.contains("Bash: curl -H 'Authorization: Bearer sk-***' https://example.invalid"),
        progress);

    JsonNode run = claude.startOf(id);
    assertEquals(webPath.toString(), run.path("cwd").asText());
    List<String> argv = argv(id);
    assertEquals(List.of("-p", "--output-format", "stream-json", "--verbose"), argv.subList(0, 4));
    assertTrue(argv.contains("--permission-prompt-tool"), argv.toString());
    assertEquals(
        "mcp__intercom__intercom_permission_prompt",
        argv.get(argv.indexOf("--permission-prompt-tool") + 1));
    assertTrue(
        argv.get(argv.indexOf("--mcp-config") + 1).contains("\"mcp-server\""), argv.toString());
    // the prompt after the end of the options, past every variadic option of the arguments
    assertEquals(
        List.of("--", "mode:success document the API"), argv.subList(argv.size() - 2, argv.size()));
    for (String variadic :
        List.of("--allowedTools", "--disallowedTools", "--add-dir", "--tools", "--betas")) {
      assertTrue(argv.indexOf(variadic) < argv.indexOf("--"), variadic + " in " + argv);
    }

    // the requester's session learns the outcome, and may answer it
    Await.until(
        () -> api.inbox("s-api").toString().contains("Mission " + id + " (start_agent) completed"));
  }

  @Test
  void failuresCrashesAndGarbageEndTheMissionWithAReasonOrTheResult() throws Exception {
    String failed = launch("mode:fail break it");
    String stderr = launch("mode:stderr die");
    String crash = launch("mode:crash mid-stream");

    assertEquals("failed", finished(failed).path("status").asText());
    assertTrue(
        status(failed).path("reason").asText().contains("the task failed: mode:fail break it"),
        status(failed).toString());
    assertEquals("failed", finished(stderr).path("status").asText());
    assertTrue(
        status(stderr).path("reason").asText().contains("exited with code 2")
            && status(stderr).path("reason").asText().contains("fatal: something broke"),
        status(stderr).toString());
    assertEquals("failed", finished(crash).path("status").asText());
    assertTrue(
        status(crash).path("reason").asText().contains("exited with code 3"),
        status(crash).toString());

    String garbage = launch("mode:garbage survive this");
    assertEquals(
        "completed", finished(garbage).path("status").asText(), status(garbage).toString());
    assertEquals("done: mode:garbage survive this", status(garbage).path("result").asText());
  }

  @Test
  void megabytesOfOutputAreRelayedWithoutHoldingThemAll() throws Exception {
    String id = launch("mode:flood mb:6 flood");
    JsonNode done = finished(id);
    assertEquals("completed", done.path("status").asText(), done.toString());
    assertEquals("done: mode:flood mb:6 flood", done.path("result").asText());
    assertTrue(done.path("progress").size() > 10, done.toString());
  }

  @Test
  void anAgentPastTheLimitIsEndedWithEverythingItStarted() throws Exception {
    String polite = launch("mode:hang forever");
    String stubborn = launch("mode:hang ignore-term:1 forever");
    for (String id : List.of(polite, stubborn)) {
      JsonNode done = finished(id);
      assertEquals("failed", done.path("status").asText(), done.toString());
      assertTrue(done.path("reason").asText().contains("max-mission-duration"), done.toString());
      long agent = claude.startOf(id).path("pid").asLong();
      long child = claude.childOf(id);
      assertTrue(child > 0, "the hanging agent logged its child");
      Await.until(
          () -> !alive(agent) && !alive(child),
          Duration.ofSeconds(10),
          () -> "agent " + agent + " or its child " + child + " still runs");
    }
  }

  /** The operator's command line as a real process: exit code, stdout and stderr lines. */
  private List<String> cli(int expectedExit, String... args) throws Exception {
    try (NodeProcess process =
        NodeProcess.start(
            Map.of(
                "INTERCOM_HOME", home.toString(), "INTERCOM_HTTP_PORT", String.valueOf(api.port())),
            args)) {
      assertEquals(expectedExit, process.awaitExit(30), String.join("\n", process.stderr()));
      List<String> lines = new ArrayList<>(process.stdout());
      lines.addAll(process.stderr());
      return lines;
    }
  }

  @Test
  void aStoppedMissionEndsItsAgentAndStaysStopped() throws Exception {
    String id = launch("mode:hang stop me");
    Await.until(() -> claude.childOf(id) > 0, RUN, () -> "the agent did not start");
    // only the mission's own agent asks for permissions in it
    Answer stranger =
        api.post(
            "/api/permission",
            Map.of(
                "session_id",
                "s-api",
                "mission_id",
                id,
                "tool_name",
                "Bash",
                "input",
                Map.of("command", "rm -rf /")));
    assertEquals(400, stranger.status(), stranger.toString());
    assertTrue(stranger.error().contains("not run by " + MACHINE + "/api"), stranger.error());
    assertEquals(List.of(id + ": stopped"), cli(0, "stop", id, "--by", "tester"));
    long agent = claude.startOf(id).path("pid").asLong();
    Await.until(
        () -> !alive(agent) && !alive(claude.childOf(id)),
        Duration.ofSeconds(10),
        () -> "still runs");
    String shown = String.join("\n", cli(0, "status", id));
    assertTrue(
        shown.contains(id + " (start_agent) " + MACHINE + "/api -> " + WEB + ": stopped")
            && shown.contains("reason: stopped by tester"),
        shown);

    List<String> again = cli(1, "stop", id);
    assertEquals(List.of("ai-intercom: error: mission " + id + " is stopped: cannot stop"), again);
    assertEquals(
        List.of("ai-intercom: error: mission id 'nonsense' is not like m-20260101-0a1b2c"),
        cli(1, "stop", "nonsense"));
  }

  @Test
  void launchesBeyondTheLimitWaitInTheQueueAndRunLater() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(launch("mode:success sleep:1.5 queued " + i));
    }
    Await.until(
        () ->
            ids.stream()
                .anyMatch(id -> status(id).path("latest_progress").asText().startsWith("queued")),
        RUN,
        () -> "no launch was queued");
    for (String id : ids) {
      assertEquals("completed", finished(id).path("status").asText(), status(id).toString());
    }
  }

  @Test
  void aReplyToTheMissionContinuesTheSameAgentConversation() throws Exception {
    String id = launch("mode:success first part");
    assertEquals("completed", finished(id).path("status").asText());
    String session = status(id).path("agent_session_id").asText();
    assertFalse(session.isBlank());

    Answer more = api.reply("s-api", id, "mode:success second part");
    assertEquals(200, more.status(), more.toString());
    Await.until(
        () -> status(id).path("result").asText().startsWith("resumed"),
        RUN,
        () -> status(id).toString());
    assertEquals(
        "resumed " + session + ": mode:success second part", status(id).path("result").asText());
    List<String> argv = argv(id);
    assertEquals(session, argv.get(argv.indexOf("--resume") + 1));
    assertTrue(history(id).contains("second part"));

    // while it runs, a follow-up waits for the run to end, then continues it
    String busy = launch("mode:success sleep:1 busy");
    Await.until(
        () -> status(busy).path("status").asText().equals("running"),
        RUN,
        () -> status(busy).toString());
    assertEquals(200, api.reply("s-api", busy, "mode:success then this").status());
    Await.until(
        () -> status(busy).path("result").asText().endsWith("then this"),
        RUN,
        () -> status(busy).toString());

    // only the requester continues its mission
    assertEquals(200, api.register("s-web", "web", AGENT).status());
    Answer stranger = api.reply("s-web", id, "mode:success hijack");
    assertEquals(400, stranger.status(), stranger.toString());
    assertTrue(stranger.error().contains("belongs to"), stranger.error());
  }

  @Test
  void aTemplateRunsAPlainTextAgentWhoseOutputIsTheResult() throws Exception {
    Answer started = startAgent("web", "mode:plain summarise", "plain");
    assertEquals(200, started.status(), started.toString());
    String id = started.text("mission_id");
    JsonNode done = finished(id);
    assertEquals("completed", done.path("status").asText(), done.toString());
    assertTrue(
        done.path("result").asText().contains("ANSWER: mode:plain summarise"), done.toString());
    List<String> argv = argv(id);
    assertEquals(List.of("mode:plain summarise"), argv);

    // the api project has its own command in the configuration
    Answer configured = startAgent("api", "mode:plain per project", null);
    assertEquals("completed", finished(configured.text("mission_id")).path("status").asText());
    assertEquals(List.of("api: mode:plain per project"), argv(configured.text("mission_id")));
  }

  @Test
  void whatAnAgentLeftRunningInTheBackgroundEndsWithItsRun() throws Exception {
    Answer started = startAgent("web", "quick", "lingering");
    JsonNode done = finished(started.text("mission_id"));
    assertEquals("completed", done.path("status").asText(), done.toString());
    assertEquals("answer: quick", done.path("result").asText());
    String[] pids = Files.readString(home.resolve("bin/lingering-agent.pids")).trim().split(" ");
    long background = Long.parseLong(pids[1]);
    Await.until(
        () -> !alive(background), Duration.ofSeconds(10), () -> "the background sleep still runs");
  }

  @Test
  void aCommandOrAPathThatIsNotAllowedFailsTheMissionSayingWhy() throws Exception {
    // a mission names a command of the target machine; it never brings a command line
    Answer commandLine = startAgent("web", "mode:success x", "rm -rf /");
    assertEquals(400, commandLine.status(), commandLine.toString());
    assertTrue(commandLine.error().contains("not a command line"), commandLine.error());
    Answer unknown = startAgent("web", "mode:success x", "vim");
    String refused = unknown.text("mission_id");
    assertEquals("failed", finished(refused).path("status").asText());
    assertTrue(
        status(refused)
            .path("reason")
            .asText()
            .contains(
                "agent command 'vim' is not one of the commands of test-standalone (intercom.agent-launcher.commands: claude, codex, gemini, lingering, plain)"),
        status(refused).toString());
    Await.until(
        () ->
            api.inbox("s-api").toString().contains("Mission " + refused + " (start_agent) failed"));

    Answer outside = startAgent("rogue", "mode:success x", null);
    assertEquals(200, outside.status(), outside.toString());
    JsonNode done = finished(outside.text("mission_id"));
    assertEquals("failed", done.path("status").asText());
    assertTrue(
        done.path("reason").asText().contains("outside intercom.agent-launcher.allowed-paths"),
        done.toString());
    assertTrue(
        claude.starts().stream().noneMatch(run -> run.path("cwd").asText().contains("rogue")));
  }

  /** The pending permission prompt of a mission, once the agent asked. */
  private JsonNode permissionPrompt(String missionId) throws InterruptedException {
    return api.pendingApprovalOf(missionId, RUN);
  }

  @Test
  void aLaunchedAgentAsksTheOperatorBeforeUsingAToolAndObeysTheAnswer() throws Exception {
    String allowed = launch("mode:permission allow this");
    String denied = launch("mode:permission deny this");
    String ignored = launch("mode:permission nobody answers");

    JsonNode prompt = permissionPrompt(allowed);
    assertEquals("PERMISSION", prompt.at("/request/type").asText());
    assertEquals(WEB, prompt.at("/request/from").asText());
    assertTrue(
        prompt.at("/request/message").asText().contains("Bash")
            && prompt.at("/request/message").asText().contains("rm -rf build"),
        prompt.toString());
    assertEquals(
        200,
        api.post("/api/approvals/" + prompt.path("id").asText() + "/approve", Map.of()).status());
    assertEquals(
        200,
        api.post(
                "/api/approvals/" + permissionPrompt(denied).path("id").asText() + "/deny",
                Map.of("reason", "not on main"))
            .status());

    assertEquals(
        "permission allow", finished(allowed).path("result").asText(), status(allowed).toString());
    assertTrue(
        finished(denied).path("result").asText().startsWith("permission deny:")
            && status(denied).path("result").asText().contains("not on main"),
        status(denied).toString());
    // nobody decides: the approval expires (5 s here) and the agent is told no
    permissionPrompt(ignored);
    assertTrue(
        finished(ignored).path("result").asText().startsWith("permission deny:"),
        status(ignored).toString());
  }

  @Test
  void askWaitsForTheResultOrAnswersRunningAndTheResultComesLater() throws Exception {
    Map<String, String> env =
        Map.of("INTERCOM_HOME", home.toString(), "INTERCOM_HTTP_PORT", String.valueOf(api.port()));
    try (FakeAgent asker = FakeAgent.start(env, home.resolve("projects/api"), "api", HOOK)) {
      JsonNode answer =
          asker.toolJson(
              "intercom_ask", Map.of("to", WEB, "message", "mode:success 2+2?", "timeout", 60));
      assertEquals("completed", answer.path("status").asText(), answer.toString());
      assertEquals("done: mode:success 2+2?", answer.path("result").asText());

      JsonNode slow =
          asker.toolJson(
              "intercom_ask",
              Map.of("to", WEB, "message", "mode:success sleep:4 slow one", "timeout", 1));
      assertEquals("running", slow.path("status").asText(), slow.toString());
      String id = slow.path("mission_id").asText();
      assertTrue(slow.path("note").asText().contains("intercom_status"), slow.toString());
      assertEquals("completed", finished(id).path("status").asText());
      // the asker stopped waiting: the result reaches its inbox
      Await.until(
          () -> {
            try {
              return asker
                  .toolJson("intercom_check_inbox", Map.of())
                  .toString()
                  .contains(id + " (ask) completed");
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          },
          RUN,
          () -> "no result in the asker's inbox");
    }
  }

  @Test
  void badLaunchesAreRefusedWithASentence() {
    assertEquals(
        400,
        api.post("/api/start_agent", Map.of("session_id", "s-api", "machine", MACHINE)).status());
    assertEquals(400, startAgent("a/b", "x", null).status());
    Answer unknownMachine =
        api.post(
            "/api/start_agent",
            Map.of("session_id", "s-api", "machine", "nowhere", "project", "web", "mission", "x"));
    assertEquals(404, unknownMachine.status());
    assertTrue(unknownMachine.error().contains("no machine 'nowhere'"), unknownMachine.error());
    // a project the machine does not have: not found
    assertEquals(404, startAgent("nothing", "x", null).status());
    assertEquals(400, startAgent("web", " ", null).status());
    assertEquals(400, startAgent("web", "x", "claude\nrm -rf /").status());
    assertEquals(
        404,
        api.post(
                "/api/start_agent",
                Map.of(
                    "session_id", "s-nobody", "machine", MACHINE, "project", "web", "mission", "x"))
            .status());
    assertEquals(
        400,
        api.post("/api/ask", Map.of("session_id", "s-api", "to", WEB, "message", "x", "timeout", 0))
            .status());
    assertEquals(400, api.post("/api/ask", "{\"session_id\":\"s-api\",\"to\":").status());
    assertEquals(404, api.post("/api/missions/m-20200101-000000/stop", Map.of()).status());
    assertEquals(400, api.post("/api/missions/..%2Fetc/stop", Map.of()).status());
    assertEquals(400, api.get("/api/missions/m-20200101-000000?wait=1000").status());
  }

  /** The arguments of the latest run of the mission. */
  private List<String> argv(String missionId) {
    List<String> argv = new ArrayList<>();
    claude.startOf(missionId).path("argv").forEach(arg -> argv.add(arg.asText()));
    return argv;
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }
}
