package ai.intercom.bench;

import ai.intercom.app.Node;
import ai.intercom.approval.ApprovalGate;
import ai.intercom.approval.ApprovalRequest;
import ai.intercom.approval.Grants;
import ai.intercom.approval.MessageType;
import ai.intercom.approval.Policy;
import ai.intercom.approval.PolicyFile;
import ai.intercom.testing.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Approval gate decisions for a message that only the last of 100 rules matches (a {@code never}
 * rule): the policy evaluation alone, then the whole round trip through the gate singleton of a
 * running node. Run with {@code bench/gate}.
 */
public final class GateBench {

  public static void main(String[] args) throws Exception {
    String yaml = policyWithRules(100);
    Policy policy = PolicyFile.load(write(yaml));
    ApprovalRequest request =
        new ApprovalRequest(
            "laptop/api",
            "buildbox/web",
            MessageType.ASK,
            "m-20261121-abcdef",
            "Could you check the status of the nightly build and tell me which tests failed?");
    if (!(policy.decide(request, Grants.none()) instanceof Policy.Verdict.Pass)) {
      throw new IllegalStateException("the bench policy should let the request pass");
    }

    Grants grants = Grants.none();
    int[] passed = {0};
    measure(
        "policy evaluation, 100 rules, never rule last",
        Duration.ofSeconds(2),
        Duration.ofSeconds(5),
        () -> {
          if (policy.decide(request, grants) instanceof Policy.Verdict.Pass) {
            passed[0]++;
          }
        });
    if (passed[0] == 0) {
      throw new IllegalStateException("no evaluation passed");
    }

    Path home = Files.createTempDirectory("gate-bench");
    Files.writeString(home.resolve("policies.yml"), yaml);
    Node node = TestNodes.start(home, "standalone", Map.of());
    try {
      gateRoundTrips(node, request, 64, Duration.ofSeconds(3));
      gateRoundTrips(node, request, 64, Duration.ofSeconds(5));
    } finally {
      TestNodes.stop(node);
    }
  }

  private static Path write(String yaml) throws Exception {
    Path file = Files.createTempFile("bench-policies", ".yml");
    Files.writeString(file, yaml);
    return file;
  }

  /** 99 rules that miss for different reasons (globs, type, pattern), then the never rule. */
  static String policyWithRules(int count) {
    StringBuilder yaml = new StringBuilder("defaults: {require_approval: once}\nrules:\n");
    for (int i = 1; i < count; i++) {
      switch (i % 3) {
        case 0 ->
            yaml.append("  - {from: 'machine")
                .append(i)
                .append("/*', to: '*', approval: once, label: r")
                .append(i)
                .append("}\n");
        case 1 ->
            yaml.append("  - {from: '*', to: 'box")
                .append(i)
                .append("/*', type: send, approval: session}\n");
        default ->
            yaml.append("  - {from: '*', to: '*', type: chat, message_pattern: 'deploy|release")
                .append(i)
                .append("', approval: mission}\n");
      }
    }
    yaml.append(
        "  - {from: '*', to: '*', type: ask, message_pattern: 'check|status', approval: never, label: read-only}\n");
    return yaml.toString();
  }

  private static void measure(String name, Duration warmup, Duration run, Runnable work) {
    long until = System.nanoTime() + warmup.toNanos();
    while (System.nanoTime() < until) {
      for (int i = 0; i < 1000; i++) {
        work.run();
      }
    }
    long count = 0;
    long start = System.nanoTime();
    until = start + run.toNanos();
    while (System.nanoTime() < until) {
      for (int i = 0; i < 1000; i++) {
        work.run();
      }
      count += 1000;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "%s: %,.0f evaluations/s (%.2f us each) [target >= 50,000/s]%n",
        name, count / seconds, seconds * 1e6 / count);
  }

  private static void gateRoundTrips(Node node, ApprovalRequest request, int inFlight, Duration run)
      throws Exception {
    long start = System.nanoTime();
    long until = start + run.toNanos();
    long done = 0;
    while (System.nanoTime() < until) {
      List<CompletableFuture<ApprovalGate.Admission>> batch = new ArrayList<>(inFlight);
      for (int i = 0; i < inFlight; i++) {
        batch.add(
            AskPattern.<ApprovalGate.Command, ApprovalGate.Admission>ask(
                    node.approvalGate(),
                    r -> new ApprovalGate.Submit(request, r),
                    Duration.ofSeconds(5),
                    node.system().scheduler())
                .toCompletableFuture());
      }
      for (CompletableFuture<ApprovalGate.Admission> admission : batch) {
        if (!(admission.get(5, TimeUnit.SECONDS) instanceof ApprovalGate.Passed)) {
          throw new IllegalStateException("expected the message to pass");
        }
      }
      done += inFlight;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "gate round trip (ask the singleton, %d in flight, %.0f s): %,.0f decisions/s%n",
        inFlight, seconds, done / seconds);
  }
}
