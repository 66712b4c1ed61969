package ai.intercom.testing;

import ai.intercom.app.Main;
import ai.intercom.protocol.JsonFormat;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An agent as Claude Code runs one, as a real process: it starts its own {@code ai-intercom
 * mcp-server} child and speaks MCP JSON-RPC to it over stdio, and runs the inbox hook script as its
 * own child with a hook event on stdin, so the hook finds its session through this process, as with
 * Claude Code.
 *
 * <p>{@link #main} is the agent; it reads one command a line on stdin and answers one JSON line on
 * stdout: {@code tool NAME JSON-ARGS} (the tool's CallToolResult), {@code hook EVENT} ({@code
 * {"exit":N,"stdout":..,"stderr":..}}) and {@code quit} (closes the MCP server's stdin, waits for
 * it, exits). Its first line is {@code {"ready":true,...}} once the MCP handshake is done.
 * Diagnostics go to stderr. {@link #start} runs one from a test.
 */
public final class FakeAgent implements AutoCloseable {

  private static final long WAIT_SECONDS = 20;
  private static final List<String> JAVA =
      List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-XX:TieredStopAtLevel=1",
          "-XX:+UseSerialGC",
          "-Xshare:auto",
          "-cp",
          System.getProperty("java.class.path"));

  // ---- the test's side: the agent as a child process ----

  private final Process process;
  private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
  private final List<String> stderr = Collections.synchronizedList(new ArrayList<>());
  private final JsonNode ready;

  private FakeAgent(Process process) throws IOException, InterruptedException {
    this.process = process;
    pump(process.getInputStream(), answers);
    pump(process.getErrorStream(), stderr);
    this.ready = next();
    if (!ready.path("ready").asBoolean()) {
      throw new IllegalStateException(
          "the agent did not come up: " + ready + "; stderr: " + stderr());
    }
  }

  /**
   * An agent of {@code project} working in {@code dir}, running {@code hookScript} as its hook,
   * with {@code env} (INTERCOM_HOME, INTERCOM_HTTP_PORT) for itself and its children. Returns once
   * its MCP server answered the handshake.
   */
  public static FakeAgent start(Map<String, String> env, Path dir, String project, Path hookScript)
      throws IOException, InterruptedException {
    return start(env, dir, project, hookScript, true);
  }

  /**
   * An agent that runs its hooks but has no intercom MCP server (not configured for its project, or
   * not started yet): it has no session of its own.
   */
  public static FakeAgent startWithoutMcpServer(
      Map<String, String> env, Path dir, String project, Path hookScript)
      throws IOException, InterruptedException {
    return start(env, dir, project, hookScript, false);
  }

  private static FakeAgent start(
      Map<String, String> env, Path dir, String project, Path hookScript, boolean mcp)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(JAVA);
    command.addAll(
        List.of(
            FakeAgent.class.getName(),
            "--project",
            project,
            "--hook",
            hookScript.toString(),
            "--mcp-server",
            String.valueOf(mcp)));
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
    builder
        .environment()
        .keySet()
        .removeIf(
            k -> k.startsWith("INTERCOM_") || k.startsWith("TELEGRAM_") || k.equals("HUB_URL"));
    builder.environment().putAll(env);
    Process process = builder.start();
    boolean up = false;
    try {
      FakeAgent agent = new FakeAgent(process);
      up = true;
      return agent;
    } finally {
      if (!up) {
        process.destroyForcibly();
      }
    }
  }

  public long pid() {
    return process.pid();
  }

  /** The pid of the agent's MCP server (-1 when it has none). */
  public long mcpPid() {
    return ready.path("mcp_pid").asLong();
  }

  /** Calls an MCP tool through the agent's own MCP server: its CallToolResult. */
  public JsonNode tool(String name, Map<String, ?> arguments)
      throws IOException, InterruptedException {
    return ask("tool " + name + " " + JsonFormat.MAPPER.writeValueAsString(arguments));
  }

  /**
   * The JSON text the tool answered (the first text content), parsed; fails on an isError result.
   */
  public JsonNode toolJson(String name, Map<String, ?> arguments)
      throws IOException, InterruptedException {
    JsonNode result = tool(name, arguments);
    if (result.path("isError").asBoolean(true)) {
      throw new AssertionError(name + " failed: " + result);
    }
    return JsonFormat.MAPPER.readTree(result.at("/content/0/text").asText());
  }

  /**
   * Runs the hook script for {@code event} as the agent's child: {@code
   * {"exit":N,"stdout":..,"stderr":..}}.
   */
  public JsonNode hook(String event) throws IOException, InterruptedException {
    return ask("hook " + event);
  }

  /**
   * Ends the agent as a user quitting it: its MCP server's stdin closes; the agent's exit code, or
   * -1.
   */
  public int quit() throws IOException, InterruptedException {
    send("quit");
    if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
      return -1;
    }
    return process.exitValue();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** What the agent and its MCP server wrote to stderr so far. */
  public String stderr() {
    synchronized (stderr) {
      return String.join("\n", stderr);
    }
  }

  private JsonNode ask(String command) throws IOException, InterruptedException {
    send(command);
    return next();
  }

  private void send(String line) throws IOException {
    OutputStream in = process.getOutputStream();
    in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  private JsonNode next() throws IOException, InterruptedException {
    String line = answers.poll(WAIT_SECONDS * 2, TimeUnit.SECONDS);
    if (line == null) {
      throw new AssertionError(
          "the agent (pid " + process.pid() + ") did not answer; stderr:\n" + stderr());
    }
    return JsonFormat.MAPPER.readTree(line);
  }

  private static void pump(InputStream stream, Collection<String> lines) {
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // the process ended
              }
            },
            "fake-agent-pump");
    pump.setDaemon(true);
    pump.start();
  }

  /** Kills the agent (its MCP server then sees its stdin end). */
  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- the agent's side ----

  /** Arguments: {@code --project NAME --hook SCRIPT [--mcp-server true|false]}. */
  public static void main(String[] args) throws Exception {
    String project = null;
    String hook = null;
    boolean mcp = true;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--project" -> project = args[i + 1];
        case "--hook" -> hook = args[i + 1];
        case "--mcp-server" -> mcp = Boolean.parseBoolean(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (project == null || hook == null) {
      throw new IllegalArgumentException("usage: FakeAgent --project NAME --hook SCRIPT");
    }
    PrintStream out =
        new PrintStream(
            new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
    System.setOut(System.err); // stdout carries only the answers
    int code = new Agent(project, Path.of(hook), mcp, out).run();
    out.flush();
    System.exit(code);
  }

  /**
   * The agent process: its MCP server, its session's id as Claude Code makes one, and the command
   * loop.
   */
  private static final class Agent {
    private final String project;
    private final Path hook;
    private final boolean withMcp;
    private final PrintStream out;
    private final String claudeSession = java.util.UUID.randomUUID().toString();
    private final BlockingQueue<String> mcpLines = new LinkedBlockingQueue<>();
    private Process mcp;
    private int nextId = 1;

    Agent(String project, Path hook, boolean withMcp, PrintStream out) {
      this.project = project;
      this.hook = hook;
      this.withMcp = withMcp;
      this.out = out;
    }

    int run() throws Exception {
      if (!withMcp) {
        answer(
            JsonFormat.MAPPER
                .createObjectNode()
                .put("ready", true)
                .put("pid", ProcessHandle.current().pid())
                .put("mcp_pid", -1)
                .put("claude_session", claudeSession));
        return serve();
      }
      List<String> command = new ArrayList<>(JAVA);
      command.addAll(List.of(Main.class.getName(), "mcp-server", "--project", project));
      mcp = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      Runtime.getRuntime()
          .addShutdownHook(new Thread(() -> mcp.destroyForcibly(), "fake-agent-stop-mcp"));
      pump(mcp.getInputStream(), mcpLines);
      try {
        JsonNode init =
            request(
                "initialize",
                JsonFormat.MAPPER.readTree(
                    "{\"protocolVersion\":\"2025-06-18\","
                        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"fake-agent\",\"version\":\"0\"}}"));
        if (!init.has("result")) {
          throw new IllegalStateException("initialize failed: " + init);
        }
        toMcp("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        ObjectNode ready =
            JsonFormat.MAPPER
                .createObjectNode()
                .put("ready", true)
                .put("pid", ProcessHandle.current().pid())
                .put("mcp_pid", mcp.pid())
                .put("claude_session", claudeSession);
        ready.set("server", init.at("/result/serverInfo"));
        answer(ready);
      } catch (Exception e) {
        answer(JsonFormat.MAPPER.createObjectNode().put("ready", false).put("error", e.toString()));
        return 1;
      }
      return serve();
    }

    /** Answers the test's commands until {@code quit} or the end of stdin. */
    private int serve() throws IOException, InterruptedException {
      BufferedReader commands =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line;
      while ((line = commands.readLine()) != null) {
        String[] parts = line.strip().split(" ", 3);
        try {
          switch (parts[0]) {
            case "tool" ->
                answer(
                    mcp == null
                        ? JsonFormat.MAPPER
                            .createObjectNode()
                            .put("isError", true)
                            .put("rpc_error", "no MCP server")
                        : tool(parts[1], parts.length > 2 ? parts[2] : "{}"));
            case "hook" -> answer(runHook(parts[1]));
            case "quit" -> {
              int exit = stopMcp();
              answer(JsonFormat.MAPPER.createObjectNode().put("quit", exit));
              return 0;
            }
            case "" -> {}
            default ->
                answer(
                    JsonFormat.MAPPER
                        .createObjectNode()
                        .put("error", "unknown command " + parts[0]));
          }
        } catch (Exception e) {
          e.printStackTrace();
          answer(JsonFormat.MAPPER.createObjectNode().put("error", e.toString()));
        }
      }
      stopMcp(); // the test went away
      return 0;
    }

    private JsonNode tool(String name, String arguments) throws Exception {
      ObjectNode params = JsonFormat.MAPPER.createObjectNode().put("name", name);
      params.set("arguments", JsonFormat.MAPPER.readTree(arguments));
      JsonNode response = request("tools/call", params);
      if (response.has("result")) {
        return response.get("result");
      }
      return JsonFormat.MAPPER
          .createObjectNode()
          .put("isError", true)
          .put("rpc_error", response.path("error").toString());
    }

    /**
     * Sends a request and waits for the response with its id, skipping anything else the server
     * says.
     */
    private JsonNode request(String method, JsonNode params) throws Exception {
      int id = nextId++;
      ObjectNode request =
          JsonFormat.MAPPER
              .createObjectNode()
              .put("jsonrpc", "2.0")
              .put("id", id)
              .put("method", method);
      request.set("params", params);
      toMcp(JsonFormat.MAPPER.writeValueAsString(request));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
      while (true) {
        String line =
            mcpLines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (line == null) {
          throw new IllegalStateException(
              "no answer to "
                  + method
                  + " from the MCP server within "
                  + WAIT_SECONDS
                  + " s (alive: "
                  + mcp.isAlive()
                  + ")");
        }
        JsonNode message = JsonFormat.MAPPER.readTree(line);
        if (message.path("id").asInt(-1) == id && !message.has("method")) {
          return message;
        }
        System.err.println("fake-agent: ignored from the MCP server: " + line);
      }
    }

    private void toMcp(String line) throws IOException {
      OutputStream in = mcp.getOutputStream();
      in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
    }

    /** The hook script as Claude Code runs it: a child of the agent, the event on its stdin. */
    private JsonNode runHook(String event) throws Exception {
      ObjectNode input =
          JsonFormat.MAPPER
              .createObjectNode()
              .put("session_id", claudeSession)
              .put("transcript_path", "/tmp/claude/" + claudeSession + ".jsonl")
              .put("cwd", Path.of("").toAbsolutePath().toString())
              .put("hook_event_name", event);
      switch (event) {
        case "PostToolUse" -> {
          input.put("tool_name", "Bash");
          input.putObject("tool_input").put("command", "ls");
          input.putObject("tool_response").put("stdout", "README.md");
        }
        case "UserPromptSubmit" -> input.put("prompt", "go on");
        case "SessionStart" -> input.put("source", "startup");
        default -> {}
      }
      Process process = new ProcessBuilder("bash", hook.toString()).start();
      CompletableFuture<String> stdout = readAll(process.getInputStream());
      CompletableFuture<String> stderr = readAll(process.getErrorStream());
      try (OutputStream in = process.getOutputStream()) {
        in.write(JsonFormat.MAPPER.writeValueAsBytes(input));
      }
      ObjectNode result = JsonFormat.MAPPER.createObjectNode();
      if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        result.put("exit", -1);
      } else {
        result.put("exit", process.exitValue());
      }
      result.put("stdout", stdout.get(5, TimeUnit.SECONDS));
      result.put("stderr", stderr.get(5, TimeUnit.SECONDS));
      result.put("pid", process.pid());
      return result;
    }

    private static CompletableFuture<String> readAll(InputStream stream) {
      return CompletableFuture.supplyAsync(
          () -> {
            try (stream) {
              return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
              return "";
            }
          });
    }

    /**
     * Closes the MCP server's stdin as an agent that quits; its exit code, or -1 if it had to be
     * killed.
     */
    private int stopMcp() throws InterruptedException {
      if (mcp == null) {
        return 0;
      }
      try {
        mcp.getOutputStream().close();
      } catch (IOException e) {
        // already gone
      }
      if (mcp.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
        return mcp.exitValue();
      }
      System.err.println("fake-agent: the MCP server did not end after its stdin closed; killed");
      mcp.destroyForcibly();
      mcp.waitFor(5, TimeUnit.SECONDS);
      return -1;
    }

    private void answer(JsonNode json) throws IOException {
      out.println(JsonFormat.MAPPER.writeValueAsString(json));
      out.flush();
    }
  }
}
