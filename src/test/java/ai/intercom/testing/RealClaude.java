package ai.intercom.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The real Claude Code CLI, as {@code .ci/install-agent-clis} installs it, set up to run offline
 * against a {@link ModelApi}: a throwaway HOME, a working directory, and an environment made from
 * scratch (no variable of the machine's own Claude or Anthropic set-up leaks in; no traffic but to
 * the stand-in).
 *
 * <pre>{@code
 * try (ModelApi api = ModelApi.start()) {
 *   RealClaude claude = RealClaude.offline(api, home, project);
 *   RealClaude.Run run = claude.run(Duration.ofSeconds(60), "-p", "hello",
 *       "--output-format", "stream-json", "--verbose");
 * }
 * }</pre>
 */
public final class RealClaude {

  public static final String VERSION = "2.1.328";

  /** Overrides the cache folder that {@code .ci/install-agent-clis} installs into. */
  public static final String CACHE_VARIABLE = "INTERCOM_AGENT_CLI_CACHE";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path executable;
  private final Path home;
  private final Path workDir;
  private final Map<String, String> environment;

  private RealClaude(Path executable, Path home, Path workDir, Map<String, String> environment) {
    this.executable = executable;
    this.home = home;
    this.workDir = workDir;
    this.environment = environment;
  }

  /** The cache folder of the agent CLIs: {@value #CACHE_VARIABLE}, or under {@code ~/.cache}. */
  public static Path cacheDir() {
    String override = System.getenv(CACHE_VARIABLE);
    return override != null && !override.isBlank()
        ? Path.of(override)
        : Path.of(System.getProperty("user.home"), ".cache", "ai-intercom", "agent-clis");
  }

  /**
   * The installed {@code claude} binary; fails (never skips) with what to run when it is missing.
   */
  public static Path executable() {
    Path installed = cacheDir().resolve("claude-code-" + VERSION);
    Path claude = installed.resolve("node_modules/.bin/claude");
    if (!Files.isExecutable(claude) || !Files.exists(installed.resolve(".installed"))) {
      throw new IllegalStateException(
          "Claude Code "
              + VERSION
              + " is not installed in "
              + installed
              + ": run .ci/install-agent-clis"
              + (System.getenv(CACHE_VARIABLE) != null
                  ? " with the same " + CACHE_VARIABLE
                  : " (or set " + CACHE_VARIABLE + " to where it is)"));
    }
    return claude;
  }

  /**
   * The CLI set up for an offline run: the model is {@code api}, {@code home} is its HOME (created
   * if needed) and {@code workDir} its working directory.
   */
  public static RealClaude offline(ModelApi api, Path home, Path workDir) {
    try {
      Files.createDirectories(home);
      Files.createDirectories(workDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
    env.put("HOME", home.toString());
    env.put("LANG", "C.UTF-8");
    env.put("TMPDIR", System.getProperty("java.io.tmpdir"));
    env.put("ANTHROPIC_BASE_URL", api.baseUrl());
    env.put("ANTHROPIC_API_KEY", "sk-ant-offline-test");
    // Else it reaches out for telemetry, error reports, updates and the plugin marketplace.
    env.put("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
    env.put("CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL", "1");
    env.put("DISABLE_AUTOUPDATER", "1");
    return new RealClaude(executable(), home, workDir, env);
  }

  public Path home() {
    return home;
  }

  public Path workDir() {
    return workDir;
  }

  /** The environment of its runs; a copy, to extend with {@link #withEnv}. */
  public Map<String, String> environment() {
    return Map.copyOf(environment);
  }

  /** The same set-up with one more environment variable (e.g. {@code IS_SANDBOX=1}). */
  public RealClaude withEnv(String name, String value) {
    Map<String, String> env = new LinkedHashMap<>(environment);
    env.put(name, value);
    return new RealClaude(executable, home, workDir, env);
  }

  /**
   * A process builder for {@code claude ARGS} with this environment and working directory; stdin is
   * the null device (a {@code -p} run with a text prompt reads none), which the caller may change.
   */
  public ProcessBuilder processBuilder(String... args) {
    List<String> command = new ArrayList<>();
    command.add(executable.toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
    builder.environment().clear();
    builder.environment().putAll(environment);
    builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    return builder;
  }

  /**
   * One line of {@code --input-format stream-json} input: a user message with {@code text}. Such a
   * session takes a message a line on stdin, answers each with a {@code result} line, and lives
   * until stdin is closed.
   */
  public static String userMessageLine(String text) {
    ObjectNode line = JSON.createObjectNode().put("type", "user");
    line.putObject("message").put("role", "user").put("content", text);
    return line + "\n";
  }

  /**
   * Writes a settings file to {@code file} with only the product's inbox hook on {@code
   * PostToolUse} (no waiting hook that would read what a test leaves unread); answers the file.
   */
  public static Path postToolUseSettings(Path file) throws IOException {
    String hook = Path.of("scripts", "check-inbox-hook.sh").toAbsolutePath().toString();
    ObjectNode settings = JSON.createObjectNode();
    settings
        .putObject("hooks")
        .putArray("PostToolUse")
        .addObject()
        .putArray("hooks")
        .addObject()
        .put("type", "command")
        .put("command", hook);
    Files.writeString(file, settings.toString());
    return file;
  }

  /**
   * Runs {@code claude ARGS} to its end (killed at {@code timeout}, which fails), with its stdout
   * and stderr captured to files in the HOME.
   */
  public Run run(Duration timeout, String... args) throws IOException, InterruptedException {
    Path out = Files.createTempFile(home, "claude-", ".out");
    Path err = Files.createTempFile(home, "claude-", ".err");
    Process process =
        processBuilder(args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    boolean ended = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!ended) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor();
    }
    Run run =
        new Run(
            ended ? process.exitValue() : -1,
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
    if (!ended) {
      throw new AssertionError("claude did not end within " + timeout.toSeconds() + " s: " + run);
    }
    return run;
  }

  /** What one run printed, and how it ended. */
  public record Run(int exitCode, String stdout, String stderr) {

    /** The stdout lines that are JSON objects ({@code --output-format stream-json}). */
    public List<JsonNode> jsonLines() {
      List<JsonNode> lines = new ArrayList<>();
      for (String line : stdout.split("\n")) {
        if (line.startsWith("{")) {
          try {
            lines.add(JSON.readTree(line));
          } catch (JsonProcessingException e) {
            throw new AssertionError("not a JSON line: " + line, e);
          }
        }
      }
      return lines;
    }

    /** The JSON lines of one {@code type} ({@code system}, {@code assistant}, ...). */
    public List<JsonNode> linesOfType(String type) {
      return jsonLines().stream().filter(line -> type.equals(line.path("type").asText())).toList();
    }

    /** The {@code result} line, or empty. */
    public Optional<JsonNode> result() {
      List<JsonNode> results = linesOfType("result");
      return results.isEmpty() ? Optional.empty() : Optional.of(results.get(results.size() - 1));
    }

    /** The {@code result} line; fails, showing the output, when there is none. */
    public JsonNode resultLine() {
      return result().orElseThrow(() -> new AssertionError("no result line: " + this));
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
    }
  }
}
