package ai.intercom.http;

import static ai.intercom.http.RouteTestKit.MACHINE;
import static ai.intercom.http.RouteTestKit.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.http.RouteTestKit.Answer;
import ai.intercom.mission.Mission;
import ai.intercom.testing.TestIds;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mission routes as {@code intercom_status}, {@code intercom_history}, {@code ai-intercom
 * missions} and {@code ai-intercom stop} use them, against real Mission and ChatThread entities.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MissionRoutesTest {

  @TempDir static Path home;
  private RouteTestKit node;

  @BeforeAll
  void start() throws Exception {
    node = RouteTestKit.start(home, Map.of());
  }

  @AfterAll
  void stop() {
    node.close();
  }

  /** A chat mission the gate let through (running), made directly on its entity. */
  private String runningMission(String prompt) throws Exception {
    String id = TestIds.missionId();
    node.sharding()
        .entityRefFor(Mission.ENTITY_KEY, id)
        .<Mission.Summary>askWithStatus(
            r ->
                new Mission.Create(
                    MACHINE + "/api",
                    MACHINE + "/web",
                    Mission.Kind.CHAT,
                    prompt,
                    null,
                    "policy: test",
                    null,
                    r),
            WAIT)
        .toCompletableFuture()
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    return id;
  }

  private void complete(String id, String result) throws Exception {
    node.sharding()
        .entityRefFor(Mission.ENTITY_KEY, id)
        .<Mission.Summary>askWithStatus(
            r -> new Mission.Complete(result, null, null, null, r), WAIT)
        .toCompletableFuture()
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void aMalformedMissionIdIsABadRequest() {
    String sentence = node.get("/api/missions/not-a-mission").error(400, "invalid");
    assertTrue(sentence.contains("not-a-mission"), sentence);
    node.get("/api/missions/not-a-mission?wait=5").error(400, "invalid");
    node.get("/api/missions/not-a-mission/history").error(400, "invalid");
    node.post("/api/missions/not-a-mission/stop", "").error(400, "invalid");
    node.post("/api/missions/m-2026-0a1b2c/follow-up", Map.of("message", "more"))
        .error(400, "invalid");
  }

  @Test
  void anUnknownMissionIsNotFound() {
    String id = TestIds.missionId();
    String sentence = node.get("/api/missions/" + id).error(404, "not_found");
    assertTrue(sentence.contains(id), sentence);
    node.get("/api/missions/" + id + "/history").error(404, "not_found");
    node.get("/api/missions/" + id + "?wait=1").error(404, "not_found");
    node.post("/api/missions/" + id + "/stop", "").error(404, "not_found");
  }

  @Test
  void aCreatedMissionAnswersItsStatus() throws Exception {
    String id = runningMission("Is the schema migrated?");
    Answer status = node.get("/api/missions/" + id);
    assertEquals(200, status.status(), status.toString());
    assertEquals("running", status.text("status"));
    assertEquals(id, status.text("mission_id"));
    assertEquals("chat", status.text("kind"));
    assertEquals(MACHINE + "/api", status.text("from"));
    assertEquals(MACHINE + "/web", status.text("to"));
    assertEquals("Is the schema migrated?", status.text("prompt"));
    assertTrue(status.json().has("created_at"), status.toString());
    assertTrue(!status.json().has("result"), "no result before it is finished: " + status);
  }

  @Test
  void aChatsMissionShowsItsThreadAndHistory() {
    node.register("s-asking", "asking");
    node.register("s-answering", "answering");
    Answer sent =
        node.post(
            "/api/chat",
            Map.of("session_id", "s-asking", "to", MACHINE + "/answering", "message", "First?"));
    assertEquals("delivered", sent.text("status"), sent.toString());
    node.post(
        "/api/reply",
        Map.of(
            "session_id", "s-answering", "thread_id", sent.text("thread_id"), "message", "Yes."));

    Answer status = node.get("/api/missions/" + sent.text("mission_id"));
    assertEquals(sent.text("thread_id"), status.text("thread_id"), status.toString());
    assertEquals(2, status.json().path("messages").asInt(), status.toString());

    Answer history = node.get("/api/missions/" + sent.text("mission_id") + "/history?limit=1");
    assertEquals(200, history.status(), history.toString());
    assertEquals(2, history.json().path("total").asInt(), history.toString());
    JsonNode lines = history.json().path("messages");
    assertEquals(1, lines.size(), "the last line only: " + history);
    assertEquals("Yes.", lines.get(0).path("text").asText());
    assertEquals(MACHINE + "/answering", lines.get(0).path("from").asText());
    node.get("/api/missions/" + sent.text("mission_id") + "/history?limit=0").error(400, "invalid");
  }

  @Test
  void stoppingAMissionTwiceRefusesTheSecond() throws Exception {
    String id = runningMission("Count to a million.");
    Answer stopped = node.post("/api/missions/" + id + "/stop", Map.of("by", "operator"));
    assertEquals(200, stopped.status(), stopped.toString());
    assertEquals("stopped", stopped.text("status"));
    assertEquals(id, stopped.text("mission_id"));
    assertEquals("stopped", node.get("/api/missions/" + id).text("status"));

    String again = node.post("/api/missions/" + id + "/stop", "").error(409, "conflict");
    assertTrue(again.contains("stopped"), again);
    assertEquals("stopped", node.get("/api/missions/" + id).text("status"));
  }

  @Test
  void aWaitingStatusAnswersOnceTheMissionIsFinished() throws Exception {
    String unfinished = runningMission("Think forever.");
    long asked = System.nanoTime();
    Answer timeIsUp = node.get("/api/missions/" + unfinished + "?wait=1");
    assertEquals("running", timeIsUp.text("status"), timeIsUp.toString());
    assertTrue(
        System.nanoTime() - asked >= TimeUnit.SECONDS.toNanos(1),
        "a running mission is answered when the wait is over");

    String id = runningMission("Compute the answer.");
    CompletableFuture<Answer> waited =
        CompletableFuture.supplyAsync(() -> node.get("/api/missions/" + id + "?wait=10"));
    complete(id, "42");
    Answer status = waited.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals("completed", status.text("status"), status.toString());
    assertEquals("42", status.text("result"));

    node.get("/api/missions/" + id + "?wait=soon").error(400, "invalid");
    node.get("/api/missions/" + id + "?wait=" + (SessionRoutes.MAX_WAIT.toSeconds() + 1))
        .error(400, "invalid");
  }

  @Test
  void theMissionListShowsTheLatestMissions() throws Exception {
    String older = runningMission("Older.");
    String newer = runningMission("Newer.");
    Answer listed = node.get("/api/missions?limit=50");
    assertEquals(200, listed.status(), listed.toString());
    var ids = listed.json().path("missions").findValuesAsText("mission_id");
    assertTrue(ids.contains(older) && ids.contains(newer), listed.toString());
    assertTrue(ids.indexOf(newer) < ids.indexOf(older), "newest first: " + ids);
    node.get("/api/missions?limit=0").error(400, "invalid");
  }
}
