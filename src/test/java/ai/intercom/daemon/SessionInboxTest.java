package ai.intercom.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.protocol.DeliveryStatus;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions, inboxes and the hook scripts on a real node: registration over HTTP, letters through
 * the session desk, and the hooks run as real child processes of this JVM, which the sessions name
 * as their ancestor.
 */
class SessionInboxTest {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final long SELF = ProcessHandle.current().pid();

  @TempDir Path home;
  private Node node;
  private int port;
  private String token;

  @BeforeEach
  void start() throws IOException {
    node =
        TestNodes.start(
            home, "standalone", Map.of(), Map.of("intercom.inbox.liveness-interval", "200ms"));
    port = TestNodes.http(node).getPort();
    token = Files.readString(home.resolve("local.token")).trim();
  }

  @AfterEach
  void stop() {
    TestNodes.stop(node);
  }

  private HttpResponse<String> call(String method, String path, String body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Authorization", "Bearer " + token)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> register(
      String session, String project, long pid, List<Long> ancestors) throws Exception {
    return call(
        "POST",
        "/api/sessions",
        JsonFormat.MAPPER.writeValueAsString(
            Map.of("session_id", session, "project", project, "pid", pid, "ancestors", ancestors)));
  }

  private SessionDesk.Delivery deliver(
      String project, String letterId, String text, String preferred) throws Exception {
    ActorRef<SessionDesk.Command> desk = node.sessionDesk().orElseThrow();
    Letter letter =
        new Letter(letterId, "t-0a1b2c3d", "m-20261121-abc123", "alpha/api", text, Instant.now());
    return AskPattern.<SessionDesk.Command, SessionDesk.Delivery>ask(
            desk,
            r -> new SessionDesk.DeliverToProject(project, letter, preferred, r),
            WAIT,
            node.system().scheduler())
        .toCompletableFuture()
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private JsonNode inbox(String session) throws Exception {
    HttpResponse<String> response = call("POST", "/api/inbox/" + session + "/check", null);
    assertEquals(200, response.statusCode(), response.body());
    return JsonFormat.MAPPER.readTree(response.body());
  }

  private record Run(int exit, String out, String err) {}

  private Run hook(String script, String stdin, Map<String, String> env) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("bash", Path.of("scripts", script).toString());
    builder.environment().put("INTERCOM_HOME", home.toString());
    builder.environment().put("INTERCOM_HTTP_PORT", String.valueOf(port));
    builder.environment().putAll(env);
    Process process = builder.start();
    process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    process.getOutputStream().close();
    assertTrue(process.waitFor(40, TimeUnit.SECONDS), script + " did not end");
    return new Run(
        process.exitValue(),
        new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  private static final String POST_TOOL_USE =
      "{\"session_id\":\"claude-1\",\"cwd\":\"/src/api\",\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Bash\"}";

  @Test
  void theHookInjectsNewMessagesOnceAndIsSilentOtherwise() throws Exception {
    assertEquals(200, register("s-one", "web", SELF, List.of(SELF)).statusCode());
    Run quiet = hook("check-inbox-hook.sh", POST_TOOL_USE, Map.of());
    assertEquals(new Run(0, "", ""), quiet);

    assertEquals(
        new SessionDesk.Delivery(DeliveryStatus.DELIVERED, "s-one"),
        deliver("web", "t:1", "Is the API frozen?", null));
    Run told = hook("check-inbox-hook.sh", POST_TOOL_USE, Map.of());
    assertEquals(0, told.exit(), told.err());
    JsonNode output = JsonFormat.MAPPER.readTree(told.out()).get("hookSpecificOutput");
    assertEquals("PostToolUse", output.get("hookEventName").asText());
    String context = output.get("additionalContext").asText();
    assertTrue(context.contains("From alpha/api (thread t-0a1b2c3d"), context);
    assertTrue(context.contains("Is the API frozen?"), context);
    assertTrue(context.contains("intercom_reply(thread_id=\"t-0a1b2c3d\""), context);

    assertEquals(
        new Run(0, "", ""),
        hook("check-inbox-hook.sh", POST_TOOL_USE, Map.of()),
        "shown once only");
  }

  @Test
  void aLongMessageIsCutForTheHookAndReadableInFull() throws Exception {
    register("s-one", "web", SELF, List.of(SELF));
    String longText = "0123456789".repeat(1_500);
    deliver("web", "t:1", longText, null);
    Run told =
        hook(
            "check-inbox-hook.sh",
            "{\"hook_event_name\":\"UserPromptSubmit\",\"prompt\":\"go on\"}",
            Map.of());
    String context =
        JsonFormat.MAPPER
            .readTree(told.out())
            .get("hookSpecificOutput")
            .get("additionalContext")
            .asText();
    assertTrue(context.length() < HookText.LIMIT, "length " + context.length());
    assertTrue(context.contains("intercom_check_inbox()"), context);
    JsonNode full = inbox("s-one");
    assertEquals(1, full.get("count").asInt());
    assertEquals(longText, full.get("messages").get(0).get("message").asText());
  }

  @Test
  void garbageOrANodeThatIsDownKeepsTheHookSilent() throws Exception {
    register("s-one", "web", SELF, List.of(SELF));
    deliver("web", "t:1", "pending", null);
    assertEquals(
        new Run(0, "", ""), hook("check-inbox-hook.sh", "not json at all \u0000\u0001", Map.of()));
    assertEquals(
        new Run(0, "", ""),
        hook(
            "check-inbox-hook.sh",
            POST_TOOL_USE,
            Map.of("INTERCOM_HTTP_PORT", String.valueOf(TestNodes.freePort()))));
    assertEquals(
        1, inbox("s-one").get("count").asInt(), "nothing was consumed by the failed hooks");
  }

  @Test
  void lettersForAProjectWithoutASessionWaitInItsQueue() throws Exception {
    assertEquals(
        new SessionDesk.Delivery(DeliveryStatus.QUEUED, null),
        deliver("docs", "t:1", "for whoever comes", null));
    register("s-docs", "docs", SELF, List.of(SELF));
    JsonNode messages = awaitMessages("s-docs", 1);
    assertEquals("for whoever comes", messages.get(0).get("message").asText());
  }

  @Test
  void aDeadSessionsUnreadLettersGoBackToItsProject() throws Exception {
    Process agent = new ProcessBuilder("sleep", "60").start();
    try {
      register("s-dying", "api", agent.pid(), List.of(agent.pid()));
      assertEquals("s-dying", deliver("api", "t:1", "unread when it died", null).sessionId());
      agent.destroy();
      agent.waitFor(5, TimeUnit.SECONDS);
      awaitSessionCount(0);
      register("s-next", "api", SELF, List.of(SELF));
      assertEquals(
          "unread when it died", awaitMessages("s-next", 1).get(0).get("message").asText());
    } finally {
      agent.destroyForcibly();
    }
  }

  @Test
  void twoSessionsOfOneProjectKeepTheirOwnLetters() throws Exception {
    Process agentA = new ProcessBuilder("sleep", "60").start();
    try {
      register("s-a", "api", agentA.pid(), List.of(agentA.pid()));
      register("s-b", "api", SELF, List.of(SELF));
      deliver("api", "t:1", "for a", "s-a");
      deliver("api", "t:2", "for the newest", null);
      assertEquals("for the newest", inbox("s-b").get("messages").get(0).get("message").asText());
      assertEquals(0, inbox("s-b").get("count").asInt(), "s-b read its only letter");
      assertEquals("for a", inbox("s-a").get("messages").get(0).get("message").asText());
    } finally {
      agentA.destroyForcibly();
    }
  }

  @Test
  void theWaitHookExitsTwoWithTheMessageWhenOneArrives() throws Exception {
    register("s-idle", "web", SELF, List.of(SELF));
    var waiting =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                return hook(
                    "wait-inbox-hook.sh",
                    "{\"hook_event_name\":\"Stop\"}",
                    Map.of("INTERCOM_WAIT_SECONDS", "30"));
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    Thread.sleep(500);
    assertFalse(waiting.isDone());
    deliver("web", "t:1", "wake up, the build is green", null);
    Run woke = waiting.get(30, TimeUnit.SECONDS);
    assertEquals(2, woke.exit());
    assertTrue(woke.err().contains("wake up, the build is green"), woke.err());
    assertEquals(0, inbox("s-idle").get("count").asInt());
  }

  @Test
  void theInboxCommandsFindTheirSessionThroughTheirAncestors() throws Exception {
    register("s-cli", "web", SELF, List.of(SELF));
    Map<String, String> env =
        Map.of("INTERCOM_HOME", home.toString(), "INTERCOM_HTTP_PORT", String.valueOf(port));
    try (var quiet =
        ai.intercom.testing.NodeProcess.start(env, "check-inbox", "--format", "hook")) {
      assertEquals(0, quiet.awaitExit(30));
      assertEquals(List.of(), quiet.stdout());
    }
    try (var timeout = ai.intercom.testing.NodeProcess.start(env, "wait-inbox", "--timeout", "1")) {
      assertEquals(0, timeout.awaitExit(30), timeout.stderr().toString());
    }
    deliver("web", "t:1", "first", null);
    try (var hook =
        ai.intercom.testing.NodeProcess.start(
            env, "check-inbox", "--format", "hook", "--event", "SessionStart")) {
      assertEquals(0, hook.awaitExit(30), hook.stderr().toString());
      JsonNode output = JsonFormat.MAPPER.readTree(hook.stdout().get(0)).get("hookSpecificOutput");
      assertEquals("SessionStart", output.get("hookEventName").asText());
      assertTrue(output.get("additionalContext").asText().contains("first"));
    }
    deliver("web", "t:2", "second", null);
    try (var waiting =
        ai.intercom.testing.NodeProcess.start(env, "wait-inbox", "--timeout", "20")) {
      assertEquals(2, waiting.awaitExit(30));
      assertTrue(
          String.join("\n", waiting.stderr()).contains("second"), waiting.stderr().toString());
    }
    deliver("web", "t:3", "third", null);
    try (var json =
        ai.intercom.testing.NodeProcess.start(env, "check-inbox", "--session", "s-cli")) {
      assertEquals(0, json.awaitExit(30), json.stderr().toString());
      JsonNode body = JsonFormat.MAPPER.readTree(json.stdout().get(0));
      assertEquals(1, body.get("count").asInt());
      assertEquals("third", body.get("messages").get(0).get("message").asText());
    }
    try (var stranger =
        ai.intercom.testing.NodeProcess.start(env, "check-inbox", "--session", "../../x")) {
      assertEquals(2, stranger.awaitExit(30));
    }
  }

  @Test
  void badRegistrationsAndUnknownSessionsAreRefused() throws Exception {
    assertRefused(register("../etc", "web", SELF, List.of()), 400, "session id '../etc'");
    assertRefused(register("s-1", "a/b", SELF, List.of()), 400, "project name 'a/b'");
    assertRefused(register("s-1", "web", 999_999_999L, List.of()), 400, "no process 999999999");
    assertRefused(call("POST", "/api/sessions", "{\"session_id\": "), 400, "malformed JSON");
    assertRefused(
        call(
            "POST",
            "/api/sessions",
            "{\"session_id\":\"s\",\"project\":\"p\",\"pid\":1,\"extra\":1}"),
        400,
        "malformed JSON");
    assertRefused(call("POST", "/api/inbox/s-nobody/check", null), 404, "no session s-nobody");
    assertRefused(
        call("POST", "/api/inbox/s-nobody/check?format=xml", null), 400, "format must be");
    assertRefused(call("DELETE", "/api/sessions/s-nobody", null), 404, "no session s-nobody");
    assertEquals(
        0,
        JsonFormat.MAPPER
            .readTree(call("GET", "/api/sessions", null).body())
            .get("sessions")
            .size());
  }

  private static void assertRefused(HttpResponse<String> response, int status, String text)
      throws Exception {
    assertEquals(status, response.statusCode(), response.body());
    assertTrue(
        JsonFormat.MAPPER.readTree(response.body()).get("error").asText().contains(text),
        response.body());
  }

  private JsonNode awaitMessages(String session, int count) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode result = inbox(session);
      if (result.get("count").asInt() == count) {
        return result.get("messages");
      }
      assertEquals(0, result.get("count").asInt(), "letters arrive together");
      Thread.sleep(50);
    }
    throw new AssertionError("no " + count + " letters for " + session);
  }

  private void awaitSessionCount(int count) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (JsonFormat.MAPPER
            .readTree(call("GET", "/api/sessions", null).body())
            .get("sessions")
            .size()
        != count) {
      assertTrue(System.nanoTime() < deadline, "sessions never became " + count);
      Thread.sleep(50);
    }
  }
}
