package ai.intercom.bench;

import ai.intercom.app.Node;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.Joins;
import ai.intercom.testing.NodeProcess;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Chat speed. {@code e2e}: an intercom_chat tool call on node A's MCP server (a real stdio process)
 * until node B's waiting hook request returns the text, two real nodes on loopback, approval never.
 * {@code throughput}: chats posted concurrently to one standalone node, then every inbox counted
 * (zero lost). Run with {@code bench/chat [e2e N] [throughput N]}.
 */
public final class ChatBench {

  private static final String POLICY = "defaults:\n  require_approval: never\n";
  private static final long SELF = ProcessHandle.current().pid();

  /**
   * reply (messages in running conversations, the default), chat (each message a new thread) or
   * mixed.
   */
  private static final String MODE = System.getProperty("bench.mode", "reply");

  public static void main(String[] args) throws Exception {
    int e2e = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int throughput = args.length > 1 ? Integer.parseInt(args[1]) : 20000;
    if (e2e > 0) {
      endToEnd(e2e);
    }
    if (throughput > 0) {
      throughput(throughput);
    }
    System.exit(0);
  }

  private static void endToEnd(int messages) throws Exception {
    Path homeA = Files.createTempDirectory("chat-bench-a");
    Path homeB = Files.createTempDirectory("chat-bench-b");
    Files.writeString(homeA.resolve("policies.yml"), POLICY);
    int clusterPort = TestNodes.freePort();
    Node a =
        TestNodes.start(
            homeA,
            "standalone",
            Map.of(
                "INTERCOM_MACHINE_ID",
                "alpha",
                "INTERCOM_CLUSTER_PORT",
                String.valueOf(clusterPort)));
    ApiClient apiA = new ApiClient(a, homeA);
    Joins.admit(apiA.port(), homeA, homeB, "beta");
    Node b =
        TestNodes.start(
            homeB,
            "daemon",
            Map.of("INTERCOM_MACHINE_ID", "beta", "HUB_URL", "http://127.0.0.1:" + apiA.port()),
            Map.of("intercom.hub.cluster-port", clusterPort));
    ApiClient apiB = new ApiClient(b, homeB);
    apiB.register("s-web", "web", SELF);
    Map<String, String> env =
        Map.of(
            "INTERCOM_HOME", homeA.toString(), "INTERCOM_HTTP_PORT", String.valueOf(apiA.port()));
    try (NodeProcess mcp = NodeProcess.start(env, "mcp-server", "--project", "api")) {
      mcp.send(
          "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
              + "\"capabilities\":{},\"clientInfo\":{\"name\":\"bench\",\"version\":\"1\"}}}");
      mcp.nextLine(30);
      mcp.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!apiA.get("/api/agents?filter=machine:beta").json().toString().contains("s-web")
          || apiA.get("/api/sessions").json().path("sessions").isEmpty()) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the nodes did not see each other's sessions");
        }
        Thread.sleep(50);
      }
      HttpClient http = HttpClient.newHttpClient();
      String token = Files.readString(homeB.resolve("local.token")).trim();
      HttpRequest wait =
          HttpRequest.newBuilder(
                  URI.create(
                      "http://127.0.0.1:"
                          + apiB.port()
                          + "/api/inbox/s-web/wait?timeout=10&format=text"))
              .header("Authorization", "Bearer " + token)
              .POST(HttpRequest.BodyPublishers.noBody())
              .build();
      List<Double> millis = new ArrayList<>();
      List<Double> toolAnswers = new ArrayList<>();
      int warmup = Math.min(200, messages);
      for (int i = 0; i < warmup + messages; i++) {
        CompletableFuture<HttpResponse<String>> waiting =
            http.sendAsync(wait, HttpResponse.BodyHandlers.ofString());
        String text = "message " + i + ": is the build green?";
        long start = System.nanoTime();
        mcp.send(
            "{\"jsonrpc\":\"2.0\",\"id\":"
                + (i + 1)
                + ",\"method\":\"tools/call\",\"params\":{\"name\":"
                + "\"intercom_chat\",\"arguments\":{\"to\":\"beta/web\",\"message\":\""
                + text
                + "\"}}}");
        HttpResponse<String> hook = waiting.get(10, TimeUnit.SECONDS);
        double elapsed = (System.nanoTime() - start) / 1e6;
        if (!hook.body().contains(text)) {
          throw new IllegalStateException("B's hook did not get message " + i + ": " + hook.body());
        }
        JsonNode result = JsonFormat.MAPPER.readTree(mcp.nextLine(10));
        double answered = (System.nanoTime() - start) / 1e6;
        if (result.at("/result/isError").asBoolean()) {
          throw new IllegalStateException("tool call failed: " + result);
        }
        if (i >= warmup) {
          millis.add(elapsed);
          toolAnswers.add(answered);
        }
      }
      report(
          "chat end to end (A's tool call -> B's hook text)",
          millis,
          " [target p50 <= 15 ms, p99 <= 60 ms]");
      report("  the same calls, until A's tool result was read", toolAnswers, "");
      List<Double> checks = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        long start = System.nanoTime();
        mcp.send(
            "{\"jsonrpc\":\"2.0\",\"id\":"
                + (100000 + i)
                + ",\"method\":\"tools/call\",\"params\":{\"name\":"
                + "\"intercom_check_inbox\",\"arguments\":{}}}");
        mcp.nextLine(10);
        checks.add((System.nanoTime() - start) / 1e6);
      }
      report("  intercom_check_inbox tool calls (the MCP server's own cost)", checks, "");
    } finally {
      TestNodes.stop(b);
      TestNodes.stop(a);
    }
  }

  private static void throughput(int messages) throws Exception {
    Path home = Files.createTempDirectory("chat-bench");
    Files.writeString(home.resolve("policies.yml"), POLICY);
    Node node = TestNodes.start(home, "standalone", Map.of("INTERCOM_MACHINE_ID", "box"));
    try {
      ApiClient api = new ApiClient(node, home);
      int pairs = Integer.getInteger("bench.pairs", 32);
      for (int p = 0; p < pairs; p++) {
        api.register("s-from-" + p, "from" + p, SELF);
        api.register("s-to-" + p, "to" + p, SELF);
      }
      List<String> threads = new ArrayList<>();
      for (int p = 0; p < pairs; p++) {
        threads.add(api.chat("s-from-" + p, "box/to" + p, "opening").text("thread_id"));
      }
      HttpClient http =
          HttpClient.newBuilder()
              .executor(java.util.concurrent.Executors.newFixedThreadPool(4))
              .build();
      String token = Files.readString(home.resolve("local.token")).trim();
      Semaphore inFlight = new Semaphore(64);
      AtomicInteger delivered = new AtomicInteger();
      AtomicInteger failed = new AtomicInteger();
      List<CompletableFuture<?>> all = new ArrayList<>();
      // a warm-up round, not counted
      for (int i = 0; i < 2000; i++) {
        inFlight.acquire();
        all.add(
            post(http, token, api.port(), i % pairs, threads, "warm-up " + i)
                .whenComplete((r, e) -> inFlight.release()));
      }
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
      all.clear();
      long start = System.nanoTime();
      for (int i = 0; i < messages; i++) {
        inFlight.acquire();
        all.add(
            post(http, token, api.port(), i % pairs, threads, "message " + i)
                .whenComplete(
                    (response, error) -> {
                      inFlight.release();
                      if (error == null
                          && response.statusCode() == 200
                          && response.body().contains("\"delivered\"")) {
                        delivered.incrementAndGet();
                      } else if (failed.incrementAndGet() == 1) {
                        System.out.println(
                            "first failure: "
                                + (error != null
                                    ? error
                                    : response.statusCode() + " " + response.body()));
                      }
                    }));
      }
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
          .exceptionally(e -> null)
          .get(300, TimeUnit.SECONDS);
      double seconds = (System.nanoTime() - start) / 1e9;
      int inInboxes = 0;
      for (int p = 0; p < pairs; p++) {
        while (true) {
          int count = api.inbox("s-to-" + p).size();
          if (count == 0) {
            break;
          }
          inInboxes += count;
        }
      }
      System.out.printf(
          "chat throughput ("
              + MODE
              + "), one standalone node: %d messages in %.2f s = %.0f messages/s"
              + " (64 in flight); %d delivered, %d failed, %d found in the inboxes (incl. %d warm-up and openings)"
              + " [target >= 1000/s, zero lost]%n",
          messages,
          seconds,
          messages / seconds,
          delivered.get(),
          failed.get(),
          inInboxes,
          2000 + pairs);
      if (failed.get() > 0 || inInboxes != messages + 2000 + pairs) {
        System.out.println("LOST OR FAILED MESSAGES");
      }
    } finally {
      TestNodes.stop(node);
    }
  }

  /** Even messages open a new chat, odd ones are replies in the pair's running thread. */
  private static CompletableFuture<HttpResponse<String>> post(
      HttpClient http, String token, int port, int pair, List<String> threads, String text) {
    boolean open = MODE.equals("chat") || (MODE.equals("mixed") && text.hashCode() % 2 == 0);
    String body =
        open
            ? "{\"session_id\":\"s-from-"
                + pair
                + "\",\"to\":\"box/to"
                + pair
                + "\",\"message\":\""
                + text
                + "\"}"
            : "{\"session_id\":\"s-from-"
                + pair
                + "\",\"thread_id\":\""
                + threads.get(pair)
                + "\",\"message\":\""
                + text
                + "\"}";
    return http.sendAsync(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + (open ? "/api/chat" : "/api/reply")))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void report(String name, List<Double> millis, String target) {
    List<Double> sorted = new ArrayList<>(millis);
    Collections.sort(sorted);
    System.out.printf(
        "%s: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms over %d calls%s%n",
        name,
        sorted.get(sorted.size() / 2),
        sorted.get((int) (sorted.size() * 0.9)),
        sorted.get((int) (sorted.size() * 0.99)),
        sorted.get(sorted.size() - 1),
        sorted.size(),
        target);
  }
}
