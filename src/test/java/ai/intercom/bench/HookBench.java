package ai.intercom.bench;

import ai.intercom.app.Node;
import ai.intercom.daemon.Letter;
import ai.intercom.daemon.SessionDesk;
import ai.intercom.testing.TestNodes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * scripts/check-inbox-hook.sh as Claude Code runs it: a whole process per call, the event JSON on
 * stdin. Nothing pending (the common case), then with one message each time. Run with {@code
 * bench/hook}.
 */
public final class HookBench {

  private static final String EVENT =
      "{\"session_id\":\"c1\",\"transcript_path\":\"/tmp/t.jsonl\",\"cwd\":\"/src/web\","
          + "\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Read\",\"tool_input\":{\"file_path\":\"/src/web/a.ts\"}}";

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    Path home = Files.createTempDirectory("hook-bench");
    Node node = TestNodes.start(home, "standalone", Map.of());
    try {
      int port = TestNodes.http(node).getPort();
      long self = ProcessHandle.current().pid();
      String token = Files.readString(home.resolve("local.token")).trim();
      HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/sessions"))
                  .header("Authorization", "Bearer " + token)
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"session_id\":\"bench\",\"project\":\"web\",\"pid\":"
                              + self
                              + ",\"ancestors\":["
                              + self
                              + "]}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      for (int i = 0; i < 20; i++) {
        run(home, port);
      }
      List<Double> idle = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        idle.add(run(home, port).millis);
      }
      report("hook, nothing pending (whole process)", idle, 5);

      List<Double> withMessage = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        deliver(node, "bench:" + i);
        Result result = run(home, port);
        if (!result.output.contains("hookSpecificOutput")) {
          throw new IllegalStateException("the hook did not print the message: " + result.output);
        }
        withMessage.add(result.millis);
      }
      report("hook, one message (whole process)", withMessage, 30);
    } finally {
      TestNodes.stop(node);
    }
  }

  private record Result(double millis, String output) {}

  private static Result run(Path home, int port) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("bash", "scripts/check-inbox-hook.sh");
    builder.environment().put("INTERCOM_HOME", home.toString());
    builder.environment().put("INTERCOM_HTTP_PORT", String.valueOf(port));
    builder.redirectErrorStream(true);
    long start = System.nanoTime();
    Process process = builder.start();
    process.getOutputStream().write(EVENT.getBytes(StandardCharsets.UTF_8));
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    process.waitFor(10, TimeUnit.SECONDS);
    return new Result((System.nanoTime() - start) / 1e6, output);
  }

  private static void deliver(Node node, String id) throws Exception {
    Letter letter =
        new Letter(
            id,
            "t-0a1b2c3d",
            "m-20261121-abc123",
            "alpha/api",
            "Could you review the login form before I merge it?",
            Instant.now());
    AskPattern.<SessionDesk.Command, SessionDesk.Delivery>ask(
            node.sessionDesk().orElseThrow(),
            r -> new SessionDesk.DeliverToProject("web", letter, "bench", r),
            Duration.ofSeconds(5),
            node.system().scheduler())
        .toCompletableFuture()
        .get(5, TimeUnit.SECONDS);
  }

  private static void report(String name, List<Double> millis, double target) {
    List<Double> sorted = new ArrayList<>(millis);
    Collections.sort(sorted);
    System.out.printf(
        "%s: median %.1f ms, p90 %.1f ms, p99 %.1f ms over %d runs [target median <= %.0f ms]%n",
        name,
        sorted.get(sorted.size() / 2),
        sorted.get((int) (sorted.size() * 0.9)),
        sorted.get((int) (sorted.size() * 0.99)),
        sorted.size(),
        target);
  }
}
