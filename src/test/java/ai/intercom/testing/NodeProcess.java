package ai.intercom.testing;

import ai.intercom.app.Main;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code ai-intercom} run as a real child process (same classpath as the tests), with its output
 * collected line by line.
 */
public final class NodeProcess implements AutoCloseable {

  private final Process process;
  private final BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
  private final List<String> stderr = java.util.Collections.synchronizedList(new ArrayList<>());
  private final List<Thread> pumps;
  private final long startedAt;

  private NodeProcess(Process process, long startedAt) {
    this.process = process;
    this.startedAt = startedAt;
    this.pumps =
        List.of(
            pump(
                new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)),
                stdout),
            pump(
                new BufferedReader(
                    new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8)),
                stderr));
  }

  public static NodeProcess start(Map<String, String> env, String... args) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xshare:auto",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
    command.addAll(List.of(args));
    return start(command, env);
  }

  /**
   * Runs {@code scripts/ai-intercom} as a user does: the packaged jar with its class-data archive
   * (both built beforehand, e.g. by {@code scripts/ai-intercom --version}).
   */
  public static NodeProcess launch(Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of("scripts/ai-intercom").toString()));
    command.addAll(List.of(args));
    return start(command, env);
  }

  private static NodeProcess start(List<String> command, Map<String, String> env)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command);
    builder
        .environment()
        .keySet()
        .removeIf(
            k -> k.startsWith("INTERCOM_") || k.startsWith("TELEGRAM_") || k.equals("HUB_URL"));
    builder.environment().putAll(env);
    // a node looks for projects under $HOME when it has no scan paths: the test's home, not ours
    if (env.containsKey("INTERCOM_HOME") && !env.containsKey("HOME")) {
      builder.environment().put("HOME", env.get("INTERCOM_HOME"));
    }
    long startedAt = System.currentTimeMillis();
    return new NodeProcess(builder.start(), startedAt);
  }

  /** When the process was started, in epoch milliseconds. */
  public long startedAt() {
    return startedAt;
  }

  private static Thread pump(BufferedReader reader, java.util.Collection<String> lines) {
    Thread pump =
        new Thread(
            () -> {
              try (reader) {
                String line;
                while ((line = reader.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // the process ended
              }
            });
    pump.setDaemon(true);
    pump.start();
    return pump;
  }

  /** The next stdout line, waiting at most {@code seconds}; null when none came. */
  public String nextLine(long seconds) throws InterruptedException {
    return stdout.poll(seconds, TimeUnit.SECONDS);
  }

  /** Waits for the exit and for the last of its output; -1 if it did not exit in time. */
  public int awaitExit(long seconds) throws InterruptedException {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      return -1;
    }
    for (Thread pump : pumps) {
      pump.join(TimeUnit.SECONDS.toMillis(5));
    }
    return process.exitValue();
  }

  /** Writes one line to the process's stdin. */
  public void send(String line) throws IOException {
    process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
    process.getOutputStream().flush();
  }

  /** Ends the process's stdin, as an agent that quits. */
  public void closeStdin() throws IOException {
    process.getOutputStream().close();
  }

  /** Sends SIGKILL, as a crash, and waits until the process is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Sends SIGTERM. */
  public void terminate() {
    process.destroy();
  }

  /** What the process wrote to stderr so far (all of it after {@link #awaitExit}). */
  public List<String> stderr() {
    synchronized (stderr) {
      return List.copyOf(stderr);
    }
  }

  public List<String> stdout() {
    return List.copyOf(stdout);
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
