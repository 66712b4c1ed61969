package ai.intercom.bench;

import ai.intercom.app.Node;
import ai.intercom.mission.Mission;
import ai.intercom.protocol.MissionStatus;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.ApiClient.Answer;
import ai.intercom.testing.FakeClaude;
import ai.intercom.testing.TestNodes;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Agent launches through one standalone node. Overhead: from the start_agent request (the policy
 * approves at once) until a tiny agent script runs, and from the mission's approval until then.
 * Relay: a fake claude printing N tool-use events as fast as it can, from its start until the
 * mission holds its result, with the node's CPU time. Run with {@code bench/launch}.
 */
public final class LaunchBench {

  public static void main(String[] args) throws Exception {
    int launches = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int events = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    int relayRuns = args.length > 2 ? Integer.parseInt(args[2]) : 5;

    Path home = Files.createTempDirectory("launch-bench");
    Path projects = Files.createDirectories(home.resolve("projects"));
    Files.createDirectories(projects.resolve("web/.git"));
    Files.writeString(
        home.resolve("policies.yml"), "defaults:\n  require_approval: never\nrules: []\n");
    Path starts = home.resolve("starts.log");
    Path script = home.resolve("tiny-agent");
    // the first thing the agent does is note the time; then it answers like claude
    Files.writeString(
        script,
        """
        #!/bin/sh
        date +%s%N >> "$BENCH_STARTS"
        echo '{"type":"result","subtype":"success","is_error":false,"result":"ok","session_id":"s-1"}'
        """);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    FakeClaude claude = FakeClaude.install(home.resolve("bin"));

    Map<String, Object> config = new HashMap<>();
    config.put(
        "intercom.agent-launcher.environment",
        Map.of("BENCH_STARTS", starts.toString(), "FAKE_AGENT_LOG", claude.log().toString()));
    config.put("intercom.agent-launcher.commands", Map.of("tiny", script.toString()));
    config.put("intercom.agent-launcher.permission-relay", false);
    Node node =
        TestNodes.start(
            home,
            "standalone",
            Map.of(
                "INTERCOM_SCAN_PATHS",
                projects.toString(),
                "INTERCOM_AGENT_COMMAND",
                claude.executable().toString()),
            config);
    try {
      ApiClient api = new ApiClient(node, home);
      api.register("s-bench", "api", ProcessHandle.current().pid());
      while (!api.get("/api/agents").json().toString().contains("/web")) {
        Thread.sleep(50);
      }
      overhead(node, api, starts, 10);
      overhead(node, api, starts, launches);
      for (int run = 0; run < relayRuns + 1; run++) {
        relay(node, api, claude, events, run == 0);
      }
    } finally {
      TestNodes.stop(node);
    }
  }

  private static void overhead(Node node, ApiClient api, Path starts, int count) throws Exception {
    List<Double> fromRequest = new ArrayList<>();
    List<Double> fromApproval = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int before = Files.exists(starts) ? Files.readAllLines(starts).size() : 0;
      long requestedNanos = epochNanos();
      Answer started = start(api, "tiny", "launch " + i);
      String id = started.text("mission_id");
      Mission.State mission = await(node, id, Duration.ofSeconds(30));
      if (mission.status() != MissionStatus.COMPLETED) {
        throw new IllegalStateException(
            "launch " + id + " ended " + mission.status() + ": " + mission.reason());
      }
      long startedNanos = Long.parseLong(Files.readAllLines(starts).get(before).trim());
      long approvedNanos =
          mission.createdAt().getEpochSecond() * 1_000_000_000L + mission.createdAt().getNano();
      fromRequest.add((startedNanos - requestedNanos) / 1e6);
      fromApproval.add((startedNanos - approvedNanos) / 1e6);
    }
    System.out.printf(
        "launch overhead over %d launches: request -> agent running p50 %.1f ms p90 %.1f;"
            + " mission approved -> agent running p50 %.1f ms p90 %.1f%n",
        count,
        pct(fromRequest, 50),
        pct(fromRequest, 90),
        pct(fromApproval, 50),
        pct(fromApproval, 90));
  }

  private static void relay(Node node, ApiClient api, FakeClaude claude, int events, boolean warmUp)
      throws Exception {
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpuBefore = os.getProcessCpuTime();
    Answer started = start(api, null, "mode:success events:" + events + " relay");
    String id = started.text("mission_id");
    Mission.State mission = await(node, id, Duration.ofSeconds(120));
    long endNanos = epochNanos();
    long cpu = os.getProcessCpuTime() - cpuBefore;
    if (mission.status() != MissionStatus.COMPLETED) {
      throw new IllegalStateException(
          "relay " + id + " ended " + mission.status() + ": " + mission.reason());
    }
    long startedNanos = claude.startOf(id).path("started_ns").asLong();
    double ms = (endNanos - startedNanos) / 1e6;
    if (!warmUp) {
      System.out.printf(
          "relay of %d events: agent start -> result in the mission %.0f ms (%.0f events/s),"
              + " node CPU %.0f ms, transcript %d entries, last progress '%s'%n",
          events,
          ms,
          events / (ms / 1000),
          cpu / 1e6,
          mission.transcript().size(),
          mission.latestProgress());
    }
  }

  private static Answer start(ApiClient api, String command, String prompt) {
    Map<String, Object> body = new HashMap<>();
    body.put("session_id", "s-bench");
    body.put("machine", "test-standalone");
    body.put("project", "web");
    body.put("mission", prompt);
    if (command != null) {
      body.put("agent_command", command);
    }
    Answer answer = api.post("/api/start_agent", body);
    if (answer.status() != 200) {
      throw new IllegalStateException("start_agent: " + answer);
    }
    return answer;
  }

  /** The mission once finished, polled every 2 ms in-process. */
  private static Mission.State await(Node node, String id, Duration within) throws Exception {
    var mission = ClusterSharding.get(node.system()).entityRefFor(Mission.ENTITY_KEY, id);
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      Mission.State state =
          mission
              .<Mission.State>askWithStatus(Mission.Get::new, Duration.ofSeconds(5))
              .toCompletableFuture()
              .get();
      if (state.status().isFinished()) {
        return state;
      }
      Thread.sleep(2);
    }
    throw new IllegalStateException("mission " + id + " did not finish within " + within);
  }

  private static long epochNanos() {
    var now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  private static double pct(List<Double> values, int percentile) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(
        Math.min(sorted.size() - 1, (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1));
  }
}
