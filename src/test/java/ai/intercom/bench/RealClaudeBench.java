package ai.intercom.bench;

import static ai.intercom.testing.ModelScript.text;
import static ai.intercom.testing.ModelScript.toolUse;

import ai.intercom.app.Main;
import ai.intercom.app.Node;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.ModelApi;
import ai.intercom.testing.ModelRequest;
import ai.intercom.testing.ModelScript;
import ai.intercom.testing.RealClaude;
import ai.intercom.testing.TestNodes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The real Claude Code CLI (2.1.328) through one standalone node, offline against the scripted
 * model of {@link ModelApi}. Launch: from the start_agent request (the policy approves at once)
 * until the launched CLI's first model request. Chat: from a chat's call until its text is in the
 * next model request of a real session that is busy with tool calls (its PostToolUse hook brings it
 * in). Run with {@code bench/real-claude [LAUNCHES] [CHATS]}.
 *
 * <p>The chat's sender is a real session too: its model calls {@code intercom_chat} (the time the
 * stand-in hands out that tool call is the start); the receiver is a real session in one long turn
 * of {@code sleep 0.2} Bash calls, with the PostToolUse hook only, so the text can only come in
 * through that hook.
 */
public final class RealClaudeBench {

  private static final Map<String, Long> SEEN = new ConcurrentHashMap<>();
  private static final Map<String, Long> CHAT_SENT = new ConcurrentHashMap<>();
  private static final AtomicBoolean DONE = new AtomicBoolean();

  public static void main(String[] args) throws Exception {
    int launches = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int chats = args.length > 1 ? Integer.parseInt(args[1]) : 50;

    Path home = Files.createTempDirectory("real-claude-bench");
    Path projects = Files.createDirectories(home.resolve("projects"));
    Files.createDirectories(projects.resolve("web/.git"));
    Path shop = Files.createDirectories(projects.resolve("shop/.git")).getParent();
    Path sender = Files.createDirectories(projects.resolve("sender/.git")).getParent();
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
        .answerAlways(text("launched and done"))
        // the sender: each SEND-i prompt makes one intercom_chat call carrying MARK-chat-i
        .on(ModelScript.lastMessageContains("SEND-MARK-"))
        .answerAlwaysWith(
            request -> {
              String mark =
                  ModelRequest.messageText(request.lastMessage()).replaceAll(".*SEND-", "");
              CHAT_SENT.put(mark.trim(), System.nanoTime());
              return toolUse(
                  "mcp__ai-intercom__intercom_chat",
                  Map.of("to", "test-standalone/shop", "message", mark.trim() + " for you"));
            })
        .on(ModelScript.contextContains("SEND-MARK-").and(ModelRequest::lastMessageIsToolResult))
        .answerAlways(text("sent"))
        // the receiver: busy with short tool calls until the bench is over
        .on(ModelScript.contextContains("RECEIVE-CHATS").and(request -> !DONE.get()))
        .answerAlways(toolUse("Bash", Map.of("command", "sleep 0.2", "description", "work")));
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
        model.forget();
        chat(model, api, home, shop, sender, chats);
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
      Latencies.print("launch: start_agent request -> the real CLI's first model request", millis);
    }
  }

  private static void chat(
      ModelApi model, ApiClient api, Path home, Path shop, Path sender, int count)
      throws Exception {
    String mcp =
        JsonFormat.MAPPER.writeValueAsString(
            Map.of(
                "mcpServers",
                Map.of(
                    "ai-intercom",
                    Map.of(
                        "command",
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "args",
                        List.of("-cp", absoluteClassPath(), Main.class.getName(), "mcp-server")))));
    Files.writeString(shop.resolve(".mcp.json"), mcp);
    Files.writeString(sender.resolve(".mcp.json"), mcp);
    Path hooks = RealClaude.postToolUseSettings(home.resolve("post-tool-use.json"));
    Process receiver = session(model, api, home, shop, "--settings", hooks.toString());
    Process sending = session(model, api, home, sender);
    try {
      say(receiver, "RECEIVE-CHATS: work until told");
      long registered = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!api.get("/api/sessions").json().toString().contains("\"shop\"")) {
        if (System.nanoTime() > registered) {
          throw new AssertionError("the receiving session never registered: see " + home);
        }
        Thread.sleep(50);
      }
      List<Double> millis = new ArrayList<>();
      for (int i = -3; i < count; i++) {
        String mark = "MARK-chat-" + (i < 0 ? "w" + -i : String.valueOf(i));
        say(sending, "SEND-" + mark);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!SEEN.containsKey(mark)) {
          if (System.nanoTime() > deadline) {
            throw new AssertionError(mark + " never reached the receiver's context");
          }
          Thread.sleep(5);
        }
        if (i >= 0) {
          millis.add((SEEN.get(mark) - CHAT_SENT.get(mark)) / 1e6);
        }
        model.forget();
      }
      Latencies.print(
          "chat: intercom_chat tool call -> text in the busy session's next request", millis);
    } finally {
      DONE.set(true);
      for (Process cli : List.of(receiver, sending)) {
        cli.getOutputStream().close();
        if (!cli.waitFor(20, TimeUnit.SECONDS)) {
          cli.descendants().forEach(ProcessHandle::destroyForcibly);
          cli.destroyForcibly();
        }
      }
    }
  }

  /** This JVM's class path with absolute entries: the sessions' MCP servers run elsewhere. */
  private static String absoluteClassPath() {
    return java.util.Arrays.stream(System.getProperty("java.class.path").split(":"))
        .map(entry -> Path.of(entry).toAbsolutePath().toString())
        .collect(java.util.stream.Collectors.joining(":"));
  }

  /** A real session in {@code folder}, fed stream-json user messages on its stdin. */
  private static Process session(
      ModelApi model, ApiClient api, Path home, Path folder, String... more) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "-p",
                "--input-format",
                "stream-json",
                "--output-format",
                "stream-json",
                "--verbose",
                "--allowedTools",
                "Bash,mcp__ai-intercom"));
    args.addAll(List.of(more));
    return RealClaude.offline(model, home.resolve("claude-home"), folder)
        .withEnv("INTERCOM_HOME", home.toString())
        .withEnv("INTERCOM_HTTP_PORT", String.valueOf(api.port()))
        .processBuilder(args.toArray(String[]::new))
        .redirectInput(ProcessBuilder.Redirect.PIPE)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(Files.createTempFile(home, "claude-", ".err").toFile())
        .start();
  }

  private static void say(Process cli, String text) throws Exception {
    cli.getOutputStream().write(RealClaude.userMessageLine(text).getBytes(StandardCharsets.UTF_8));
    cli.getOutputStream().flush();
  }
}
