package ai.intercom.bench;

import static ai.intercom.testing.ModelScript.text;

import ai.intercom.app.Node;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.ModelApi;
import ai.intercom.testing.ModelScript;
import ai.intercom.testing.RealClaude;
import ai.intercom.testing.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The real Claude Code CLI (2.1.328) through one standalone node, offline against the scripted
 * model of {@link ModelApi}. Launch: from the start_agent request (the policy approves at once)
 * until the launched CLI's first model request. Chat: from a chat's call until its text is in the
 * next model request of a real session that is busy with tool calls (its PostToolUse hook brings it
 * in). Run with {@code bench/real-claude [LAUNCHES] [CHATS]}.
 */
public final class RealClaudeBench {

  private static final Map<String, Long> SEEN = new ConcurrentHashMap<>();

  public static void main(String[] args) throws Exception {
    int launches = args.length > 0 ? Integer.parseInt(args[0]) : 50;

    Path home = Files.createTempDirectory("real-claude-bench");
    Path projects = Files.createDirectories(home.resolve("projects"));
    Files.createDirectories(projects.resolve("web/.git"));
    Files.writeString(
        home.resolve("policies.yml"), "defaults:\n  require_approval: never\nrules: []\n");
    ModelScript script = new ModelScript();
    // note when each marked text first reaches the model, then answer as the script says
    script
        .on(
            request -> {
              String context = request.contextText();
              for (String word : context.split("[^A-Za-z0-9-]+")) {
                if (word.startsWith("MARK-")) {
                  SEEN.putIfAbsent(word, System.nanoTime());
                }
              }
              return false;
            })
        .answerAlways(text("never"))
        .on(ModelScript.lastMessageContains("LAUNCH-"))
        .answerAlways(text("launched and done"));
    try (ModelApi model = ModelApi.start(script)) {
      Node node =
          TestNodes.start(
              home,
              "standalone",
              Map.of(
                  "INTERCOM_SCAN_PATHS",
                  projects.toString(),
                  "INTERCOM_AGENT_COMMAND",
                  RealClaude.executable().toString()),
              Map.of(
                  "intercom.agent-launcher.environment",
                  Map.of(
                      "HOME", Files.createDirectories(home.resolve("agent-home")).toString(),
                      "ANTHROPIC_BASE_URL", model.baseUrl(),
                      "ANTHROPIC_API_KEY", "sk-ant-offline-bench",
                      "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1",
                      "DISABLE_AUTOUPDATER", "1")));
      try {
        ApiClient api = new ApiClient(node, home);
        api.register("s-bench", "api", ProcessHandle.current().pid());
        while (!api.get("/api/agents").json().toString().contains("/web")) {
          Thread.sleep(50);
        }
        launch(api, 3, true);
        launch(api, launches, false);
      } finally {
        TestNodes.stop(node);
      }
    }
  }

  private static void launch(ApiClient api, int count, boolean warmUp) throws Exception {
    List<Double> millis = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String mark = "MARK-launch-" + (warmUp ? "w" : "") + i;
      long sent = System.nanoTime();
      String id =
          api.post(
                  "/api/start_agent",
                  Map.of(
                      "session_id",
                      "s-bench",
                      "machine",
                      "test-standalone",
                      "project",
                      "web",
                      "mission",
                      "LAUNCH- " + mark))
              .text("mission_id");
      api.finishedMission(id, Duration.ofSeconds(120));
      millis.add((SEEN.get(mark) - sent) / 1e6);
    }
    if (!warmUp) {
      print("launch: start_agent request -> the real CLI's first model request", millis);
    }
  }

  private static void print(String what, List<Double> millis) {
    List<Double> sorted = new ArrayList<>(millis);
    Collections.sort(sorted);
    System.out.printf(
        "%s: p50 %.0f ms, p90 %.0f ms, max %.0f ms over %d%n",
        what,
        sorted.get(sorted.size() / 2),
        sorted.get((int) Math.ceil(sorted.size() * 0.9) - 1),
        sorted.get(sorted.size() - 1),
        sorted.size());
  }
}
