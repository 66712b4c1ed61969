package ai.intercom.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.approval.ApprovalGate;
import ai.intercom.approval.PolicyFile;
import ai.intercom.cluster.MachineServices;
import ai.intercom.config.ConfigLoader;
import ai.intercom.config.IntercomHome;
import ai.intercom.config.Settings;
import ai.intercom.daemon.Inbox;
import ai.intercom.daemon.Mailbag;
import ai.intercom.daemon.SessionDesk;
import ai.intercom.directory.Directory;
import ai.intercom.launcher.MachineRuns;
import ai.intercom.launcher.SupervisorRuns;
import ai.intercom.mission.ChatThread;
import ai.intercom.mission.Courier;
import ai.intercom.mission.Mission;
import ai.intercom.mission.MissionIds;
import ai.intercom.mission.PermissionPrompts;
import ai.intercom.mission.Router;
import ai.intercom.mission.ThreadReceipts;
import ai.intercom.persistence.SqliteJournalSchema;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.registry.Machine;
import ai.intercom.registry.MachineIndex;
import ai.intercom.registry.Session;
import ai.intercom.security.LocalToken;
import ai.intercom.testing.AgentProcess;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.apache.pekko.http.javadsl.server.RouteResult;
import org.apache.pekko.http.javadsl.testkit.RouteTest;
import org.apache.pekko.http.javadsl.testkit.TestRoute;
import org.apache.pekko.http.javadsl.testkit.TestRouteResult;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SystemMaterializer;
import org.junit.jupiter.api.Assertions;
import scala.concurrent.Future;
import scala.concurrent.duration.FiniteDuration;

/**
 * One standalone node inside this JVM for route tests: the real actors behind the API (session
 * desk, router, courier, approval gate, the sharded entities on a SQLite journal) in an {@link
 * ActorTestKit} that is a cluster of one, and the whole {@link ApiRoutes} run by the Pekko HTTP
 * route testkit: no node process, no HTTP socket.
 *
 * <p>The testkit's {@code JUnitRouteTest} is JUnit 4; this kit implements its JUnit-agnostic {@link
 * RouteTest} with JUnit Jupiter assertions instead.
 */
final class RouteTestKit extends RouteTest implements AutoCloseable {

  static final String MACHINE = "route-test";

  /** A process that runs, for session registrations: this JVM. */
  static final long SELF = ProcessHandle.current().pid();

  /** The agents' process: not this one, which is the operator. */
  static final long AGENT = AgentProcess.pid();

  static final Duration WAIT = Duration.ofSeconds(15);

  /**
   * Lets messages through, but holds those that mention a deploy for the operator (the packaged
   * default holds everything).
   */
  static final String POLICY =
      """
      defaults:
        require_approval: never
      rules:
        - from: "*"
          to: "*"
          message_pattern: "deploy"
          approval: once
          label: "Deploys"
      """;

  private final Path home;
  private final ActorTestKit testKit;
  private final LocalToken token = LocalToken.generate();
  private final TestRoute api;

  /** A node on {@code home} with {@link #POLICY} and configuration {@code overrides}. */
  static RouteTestKit start(Path home, Map<String, Object> overrides) throws Exception {
    return new RouteTestKit(home, overrides);
  }

  private RouteTestKit(Path home, Map<String, Object> overrides) throws Exception {
    this.home = home;
    Files.writeString(home.resolve("policies.yml"), POLICY);
    Map<String, Object> settingsOverrides = new HashMap<>(overrides);
    settingsOverrides.put("intercom.mode", "standalone");
    settingsOverrides.put("intercom.discovery.enabled", false);
    Config loaded =
        new ConfigLoader(
                Map.of(
                    "INTERCOM_HOME",
                    home.toString(),
                    "INTERCOM_MACHINE_ID",
                    MACHINE,
                    "INTERCOM_HTTP_PORT",
                    "0",
                    "INTERCOM_CLUSTER_PORT",
                    "0"))
            .load(settingsOverrides);
    Settings settings = Settings.from(loaded);
    Config config =
        loaded.withValue(
            "pekko.cluster.roles", ConfigValueFactory.fromIterable(settings.mode().clusterRoles()));
    IntercomHome.prepare(settings);
    SqliteJournalSchema.ensure(settings.journalFile());

    testKit = ActorTestKit.create("route-test", config);
    ActorSystem<Void> system = testKit.system();
    try {
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));

      // wired as the node's guardian wires a standalone node, without discovery or agent runs
      MachineServices<SessionDesk.Command> desks =
          new MachineServices<>(
              system, settings.askTimeout(), SessionDesk.Command.class, SessionDesk.KEY_PREFIX);
      Courier courier =
          new Courier(
              system,
              settings.askTimeout(),
              desks,
              new SupervisorRuns(system, settings.askTimeout()));
      ActorRef<ApprovalGate.Command> gate =
          ApprovalGate.init(
              system,
              new AtomicReference<>(PolicyFile.load(settings.policiesFile())),
              settings.policiesFile(),
              settings.approvalTimeout(),
              courier);
      Router router =
          new Router(system, gate, courier, settings.maxMessageBytes(), settings.askTimeout());
      Machine.init(system);
      MachineIndex.init(system);
      Mission.init(system);
      MissionIds.init(system);
      ChatThread.init(system);
      Mailbag.init(system);
      Session.init(system);
      MachineRuns.init(system);
      PermissionPrompts permissions =
          new PermissionPrompts(system, gate, settings.askTimeout(), settings.approvalTimeout());
      ActorRef<SessionDesk.Command> desk =
          testKit.spawn(
              SessionDesk.create(
                  settings.inboxDir(),
                  settings.machine().id(),
                  settings.inbox().compactBytes(),
                  settings.inbox().livenessInterval(),
                  settings.inbox().stuckAfter(),
                  SessionDesk::processAlive,
                  new ThreadReceipts(system)),
              "session-desk",
              Inbox.DISPATCHER);

      TestProbe<Object> probe = testKit.createTestProbe();
      probe.awaitAssert(
          WAIT,
          () -> {
            assertEquals(MemberStatus.up(), cluster.selfMember().status());
            return null;
          });
      SessionDesk.announce(system, MACHINE, desk);
      awaitListed(desk);

      api =
          testRoute(
              new ApiRoutes(
                      system,
                      settings,
                      token,
                      gate,
                      Optional.of(desk),
                      Optional.empty(),
                      router,
                      permissions,
                      new Directory(system, settings.askTimeout()),
                      Optional.empty(),
                      Optional.empty())
                  .route());
    } catch (Exception | AssertionError e) {
      testKit.shutdownTestKit();
      throw e;
    }
  }

  /** Until the courier can find this machine's desk, as a node is ready only then. */
  private void awaitListed(ActorRef<SessionDesk.Command> desk) {
    TestProbe<Receptionist.Listing> listings = testKit.createTestProbe();
    listings.awaitAssert(
        WAIT,
        () -> {
          testKit
              .system()
              .receptionist()
              .tell(Receptionist.find(SessionDesk.keyFor(MACHINE), listings.getRef()));
          Receptionist.Listing listing = listings.receiveMessage(Duration.ofSeconds(1));
          assertTrue(listing.getServiceInstances(SessionDesk.keyFor(MACHINE)).contains(desk));
          return null;
        });
  }

  /**
   * A real loopback connection this JVM holds, given as the requests' remote address: the node asks
   * the kernel who holds it (this test, the operator), as for a request that came over TCP.
   */
  private final ServerSocket listener = bound();

  private final Socket caller = connected(listener);

  private static ServerSocket bound() {
    try {
      return new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Socket connected(ServerSocket listener) {
    try {
      return new Socket(listener.getInetAddress(), listener.getLocalPort());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    testKit.shutdownTestKit();
    try {
      caller.close();
      listener.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  ClusterSharding sharding() {
    return ClusterSharding.get(testKit.system());
  }

  /** The answer of the API to a request that carries the local token. */
  Answer call(HttpRequest request) {
    return Answer.of(run(request.addHeader(Authorization.oauth2(token.value()))));
  }

  /** The testkit's result of a request as it is sent (no token added). */
  TestRouteResult run(HttpRequest request) {
    return api.run(
        request.addAttribute(
            AttributeKeys.remoteAddress,
            RemoteAddress.create((InetSocketAddress) caller.getLocalSocketAddress())));
  }

  Answer get(String path) {
    return call(HttpRequest.GET(path));
  }

  Answer delete(String path) {
    return call(HttpRequest.DELETE(path));
  }

  /** A POST of {@code body}: a string as it is (maybe not JSON), anything else as JSON. */
  Answer post(String path, Object body) {
    return call(HttpRequest.POST(path).withEntity(ContentTypes.APPLICATION_JSON, json(body)));
  }

  static String json(Object body) {
    if (body instanceof String text) {
      return text;
    }
    try {
      return JsonFormat.MAPPER.writeValueAsString(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** Registers an agent session of this machine run by this JVM; fails unless it is registered. */
  void register(String sessionId, String project) {
    Answer registered =
        post("/api/sessions", Map.of("session_id", sessionId, "project", project, "pid", AGENT));
    assertEquals(200, registered.status(), registered.toString());
  }

  /** What {@code intercom_check_inbox} shows the session now (and marks as delivered). */
  JsonNode inbox(String sessionId) {
    Answer checked = post("/api/inbox/" + sessionId + "/check", "");
    assertEquals(200, checked.status(), checked.toString());
    return checked.json().path("messages");
  }

  /** Events in the journal of the entities whose persistence ids start with {@code prefix}. */
  long journalRows(String prefix) throws Exception {
    try (var connection =
            DriverManager.getConnection("jdbc:sqlite:" + home.resolve("data/intercom.db"));
        var query =
            connection.prepareStatement(
                "select count(*) from event_journal where persistence_id like ?")) {
      query.setString(1, prefix + "%");
      try (var rows = query.executeQuery()) {
        return rows.getLong(1);
      }
    }
  }

  /** An HTTP answer: its status, content type and body (parsed when it is JSON). */
  record Answer(int status, String contentType, String body, JsonNode json) {

    static Answer of(TestRouteResult result) {
      String body = result.entityString();
      String type = result.contentTypeString();
      JsonNode json = JsonFormat.MAPPER.missingNode();
      if (type.startsWith("application/json")) {
        try {
          json = JsonFormat.MAPPER.readTree(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new AssertionError("the answer says JSON but is not: " + body, e);
        }
      }
      return new Answer(result.statusCode(), type, body, json);
    }

    String text(String field) {
      return json.path(field).asText(null);
    }

    /** A JSON error: its status, refusal code (null: none) and sentence, or the test fails. */
    String error(int expectedStatus, String expectedCode) {
      assertEquals(expectedStatus, status, toString());
      assertTrue(contentType.startsWith("application/json"), toString());
      assertEquals(expectedCode, text("code"), toString());
      String sentence = text("error");
      assertTrue(sentence != null && !sentence.isBlank(), "an error says why: " + this);
      return sentence;
    }

    @Override
    public String toString() {
      return status + " " + body;
    }
  }

  // the RouteTest contract: the system, its materializer, results that assert with JUnit Jupiter

  @Override
  public org.apache.pekko.actor.ActorSystem system() {
    return Adapter.toClassic(testKit.system());
  }

  @Override
  public Materializer materializer() {
    return SystemMaterializer.get(testKit.system()).materializer();
  }

  /** The first request of a node makes its entities: longer than the testkit's 3 s default. */
  @Override
  public FiniteDuration awaitDuration() {
    return FiniteDuration.create(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @Override
  public TestRouteResult createTestRouteResultAsync(
      HttpRequest request, Future<RouteResult> result) {
    return new TestRouteResult(result, awaitDuration(), executionContext(), materializer()) {
      @Override
      public void assertEquals(Object expected, Object actual, String message) {
        Assertions.assertEquals(expected, actual, message + " (request: " + request + ")");
      }

      @Override
      public void assertEquals(int expected, int actual, String message) {
        Assertions.assertEquals(expected, actual, message + " (request: " + request + ")");
      }

      @Override
      public void assertTrue(boolean predicate, String message) {
        Assertions.assertTrue(predicate, message + " (request: " + request + ")");
      }

      @Override
      public void fail(String message) {
        Assertions.fail(message + " (request: " + request + ")");
      }
    };
  }
}
