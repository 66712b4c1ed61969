package ai.intercom.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.config.StartupException;
import ai.intercom.config.Version;
import ai.intercom.mission.ChatThread;
import ai.intercom.mission.Mission;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.protocol.MissionStatus;
import ai.intercom.registry.Machine;
import ai.intercom.registry.Project;
import ai.intercom.registry.Session;
import ai.intercom.testing.TestIds;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StandaloneNodeTest {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path home;

  private static <C, R> R ask(
      Node node, EntityTypeKey<C> key, String id, Function<ActorRef<StatusReply<R>>, C> command)
      throws Exception {
    return ClusterSharding.get(node.system())
        .entityRefFor(key, id)
        .<R>askWithStatus(command::apply, Duration.ofSeconds(10))
        .toCompletableFuture()
        .get(15, TimeUnit.SECONDS);
  }

  private static HttpResponse<String> get(Node node, String path, String token) throws Exception {
    var address = TestNodes.http(node);
    var request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + path)).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void healthAnswersWithoutATokenAndEverythingElseNeedsTheLocalToken() throws Exception {
    Node node = TestNodes.start(home, "standalone", Map.of("INTERCOM_MACHINE_ID", "alpha"));
    try {
      HttpResponse<String> health = get(node, "/api/health", null);
      assertEquals(200, health.statusCode());
      JsonNode body = JsonFormat.MAPPER.readTree(health.body());
      assertEquals("ok", body.get("status").asText());
      assertEquals("alpha", body.get("machine_id").asText());
      assertEquals(
          List.of("daemon", "hub"),
          List.of(body.get("roles").get(0).asText(), body.get("roles").get(1).asText()));
      assertEquals("up", body.get("member_status").asText());
      assertEquals(Version.current(), body.get("version").asText());

      Path tokenFile = home.resolve("local.token");
      assertEquals(
          "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
      String token = Files.readString(tokenFile).trim();
      assertEquals(64, token.length());

      for (String wrong : new String[] {null, "", "not-the-token", token + "x"}) {
        HttpResponse<String> denied = get(node, "/api/cluster", wrong);
        assertEquals(401, denied.statusCode(), "token " + wrong);
        assertTrue(
            JsonFormat.MAPPER.readTree(denied.body()).get("error").asText().contains("local token"),
            denied.body());
      }
      HttpResponse<String> cluster = get(node, "/api/cluster", token);
      assertEquals(200, cluster.statusCode());
      assertEquals(
          "up",
          JsonFormat.MAPPER.readTree(cluster.body()).get("members").get(0).get("status").asText());

      HttpResponse<String> missing = get(node, "/api/nothing-here", token);
      assertEquals(404, missing.statusCode());
      assertTrue(JsonFormat.MAPPER.readTree(missing.body()).has("error"), missing.body());
    } finally {
      TestNodes.stop(node);
    }
  }

  @Test
  void aSecondNodeOnTheSameHomeIsRefused() {
    Node first = TestNodes.start(home, "standalone", Map.of());
    try {
      StartupException refused =
          org.junit.jupiter.api.Assertions.assertThrows(
              StartupException.class, () -> TestNodes.start(home, "hub", Map.of()));
      assertEquals(
          "another node is running on INTERCOM_HOME "
              + home
              + " (pid "
              + ProcessHandle.current().pid()
              + "); stop it or use another INTERCOM_HOME",
          refused.getMessage());
    } finally {
      TestNodes.stop(first);
    }
    TestNodes.stop(TestNodes.start(home, "standalone", Map.of()));
  }

  @Test
  void entitiesWrittenBeforeARestartAreReadBackAfterIt() throws Exception {
    String missionId = TestIds.missionId();
    String threadId = ChatThread.newId();
    String sessionId = "sess-" + System.nanoTime();

    Node first = TestNodes.start(home, "standalone", Map.of());
    Machine.State machine;
    Mission.State mission;
    ChatThread.State thread;
    Session.State session;
    try {
      Machine.State registered =
          ask(
              first,
              Machine.ENTITY_KEY,
              "alpha",
              r ->
                  new Machine.Register(
                      "Alpha",
                      "laptop",
                      List.of(new Project("api", "/src/api", "", List.of(), List.of())),
                      r));
      machine =
          ask(
              first,
              Machine.ENTITY_KEY,
              "alpha",
              r -> new Machine.UpdateProject("api", "REST backend", List.of("python"), null, r));
      Mission.Summary created =
          ask(
              first,
              Mission.ENTITY_KEY,
              missionId,
              r -> new Mission.Create("alpha/api", "beta/web", Mission.Kind.CHAT, "hello", r));
      Mission.Summary approved =
          ask(first, Mission.ENTITY_KEY, missionId, r -> new Mission.Approve("human", r));
      assertEquals(MissionStatus.APPROVED, approved.status());
      mission = ask(first, Mission.ENTITY_KEY, missionId, Mission.Get::new);
      ChatThread.State opened =
          ask(
              first,
              ChatThread.ENTITY_KEY,
              threadId,
              r -> new ChatThread.Create(missionId, List.of("alpha/api", "beta/web"), r));
      ChatThread.Message hello =
          ask(
                  first,
                  ChatThread.ENTITY_KEY,
                  threadId,
                  (ActorRef<StatusReply<ChatThread.Posted>> r) ->
                      new ChatThread.Append("alpha/api", "s-a", "hello", r))
              .message();
      ChatThread.Message hiBack =
          ask(
                  first,
                  ChatThread.ENTITY_KEY,
                  threadId,
                  (ActorRef<StatusReply<ChatThread.Posted>> r) ->
                      new ChatThread.Append("beta/web", "s-b", "hi back", r))
              .message();
      assertEquals(List.of(1L, 2L), List.of(hello.seq(), hiBack.seq()));
      assertEquals(MissionStatus.PENDING_APPROVAL, created.status());
      assertEquals(2, opened.participants().size());
      assertEquals(1, registered.projects().size());
      thread = ask(first, ChatThread.ENTITY_KEY, threadId, ChatThread.Get::new);
      session =
          ask(
              first,
              Session.ENTITY_KEY,
              sessionId,
              r -> new Session.Register("alpha", "api", 4242, r));
    } finally {
      TestNodes.stop(first);
    }

    Node second = TestNodes.start(home, "standalone", Map.of());
    try {
      assertEquals(machine, ask(second, Machine.ENTITY_KEY, "alpha", Machine.Get::new));
      assertEquals(mission, ask(second, Mission.ENTITY_KEY, missionId, Mission.Get::new));
      assertEquals(thread, ask(second, ChatThread.ENTITY_KEY, threadId, ChatThread.Get::new));
      assertEquals(
          List.of("hello", "hi back"),
          thread.messages().stream().map(ChatThread.Message::text).toList());
      assertEquals(session, ask(second, Session.ENTITY_KEY, sessionId, Session.Get::new));

      // the tags feed read-side queries over the same SQLite journal
      JdbcReadJournal journal =
          PersistenceQuery.get(second.system())
              .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
      List<EventEnvelope> missionEvents =
          journal
              .currentEventsByTag(Mission.TAG, Offset.noOffset())
              .runWith(Sink.seq(), second.system())
              .toCompletableFuture()
              .get(15, TimeUnit.SECONDS);
      assertEquals(
          List.of(Mission.Created.class, Mission.Approved.class),
          missionEvents.stream().map(e -> e.event().getClass()).toList());
    } finally {
      TestNodes.stop(second);
    }
    assertTrue(Files.size(home.resolve("data/intercom.db")) > 0);
  }
}
