package ai.intercom.http;

import static ai.intercom.http.RouteTestKit.MACHINE;
import static ai.intercom.http.RouteTestKit.SELF;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.http.RouteTestKit.Answer;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session routes as agents' MCP servers and hooks use them ({@code /api/sessions}, {@code
 * /api/inbox/{id}/check}), and the local token in front of the whole API.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SessionRoutesTest {

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

  @Test
  void aRegisteredSessionIsListedWithItsProject() {
    Answer registered =
        node.post(
            "/api/sessions",
            Map.of(
                "session_id", "s-listed", "project", "api", "pid", SELF, "ancestors", List.of()));
    assertEquals(200, registered.status(), registered.toString());
    assertEquals("registered", registered.text("status"));
    assertEquals("s-listed", registered.json().path("session").path("session_id").asText());
    assertEquals("api", registered.json().path("session").path("project").asText());

    Answer listed = node.get("/api/sessions");
    assertEquals(200, listed.status(), listed.toString());
    assertTrue(
        listed.json().path("sessions").findValuesAsText("session_id").contains("s-listed"),
        listed.toString());
  }

  @Test
  void aSessionIdOrProjectThatCannotBeAFileNameIsRefused() {
    String badId =
        node.post("/api/sessions", Map.of("session_id", "../etc", "project", "api", "pid", SELF))
            .error(400, "invalid");
    assertTrue(badId.contains("../etc"), badId);
    String badProject =
        node.post("/api/sessions", Map.of("session_id", "s-ok", "project", "a/b", "pid", SELF))
            .error(400, "invalid");
    assertTrue(badProject.contains("a/b"), badProject);
    node.post(
            "/api/sessions",
            Map.of(
                "session_id", "s-ok", "project", "api", "pid", SELF, "mission_id", "m-not-an-id"))
        .error(400, "invalid");
    node.post("/api/sessions", Map.of("session_id", "s-ok", "project", "api"))
        .error(400, "invalid");

    Answer listed = node.get("/api/sessions");
    assertTrue(
        !listed.json().path("sessions").findValuesAsText("session_id").contains("s-ok"),
        "nothing of a refused registration is kept: " + listed);
  }

  @Test
  void malformedJsonIsABadRequestWithAJsonError() {
    String malformed = node.post("/api/sessions", "{\"session_id\": ").error(400, "invalid");
    assertTrue(malformed.startsWith("malformed JSON body"), malformed);
    String unknownField =
        node.post(
                "/api/sessions",
                Map.of("session_id", "s-x", "project", "api", "pid", SELF, "colour", "red"))
            .error(400, "invalid");
    assertTrue(unknownField.contains("colour"), unknownField);
  }

  @Test
  void anInboxShowsEachMessageOnce() {
    node.register("s-reader", "reader");
    node.register("s-writer", "writer");
    assertEquals(0, node.inbox("s-reader").size(), "a new session's inbox is empty");
    Answer nothing = node.post("/api/inbox/s-reader/check?format=hook&event=PostToolUse", "");
    assertEquals(204, nothing.status(), "a hook prints nothing when nothing is new: " + nothing);

    Answer sent =
        node.post(
            "/api/chat",
            Map.of("session_id", "s-writer", "to", MACHINE + "/reader", "message", "Lunch at 1?"));
    assertEquals("delivered", sent.text("status"), sent.toString());

    JsonNode messages = node.inbox("s-reader");
    assertEquals(1, messages.size(), messages.toString());
    assertEquals(MACHINE + "/writer", messages.get(0).path("from").asText());
    assertEquals("Lunch at 1?", messages.get(0).path("message").asText());
    assertEquals(sent.text("thread_id"), messages.get(0).path("thread_id").asText());
    assertEquals(0, node.inbox("s-reader").size(), "a message is shown once");
  }

  @Test
  void aHookSeesTheNewMessageAsAdditionalContext() {
    node.register("s-hooked", "hooked");
    node.register("s-poster", "poster");
    Answer sent =
        node.post(
            "/api/chat",
            Map.of(
                "session_id", "s-poster", "to", MACHINE + "/hooked", "message", "Tests are red."));
    assertEquals("delivered", sent.text("status"), sent.toString());
    Answer hook = node.post("/api/inbox/s-hooked/check?format=hook&event=UserPromptSubmit", "");
    assertEquals(200, hook.status(), hook.toString());
    JsonNode output = hook.json().path("hookSpecificOutput");
    assertEquals("UserPromptSubmit", output.path("hookEventName").asText(), hook.toString());
    assertTrue(output.path("additionalContext").asText().contains("Tests are red."), hook.body());
    assertEquals(0, node.inbox("s-hooked").size(), "what a hook showed is delivered");
  }

  @Test
  void checkParametersOutsideTheirValuesAreRefused() {
    node.register("s-params", "params");
    node.post("/api/inbox/s-params/check?format=xml", "").error(400, "invalid");
    node.post("/api/inbox/s-params/check?format=hook&event=Sometimes", "").error(400, "invalid");
  }

  @Test
  void anUnregisteredSessionIsGone() {
    node.register("s-leaving", "leaving");
    Answer gone = node.delete("/api/sessions/s-leaving?reason=done");
    assertEquals(200, gone.status(), gone.toString());
    assertEquals("unregistered", gone.text("status"));
    assertEquals("s-leaving", gone.text("session_id"));

    node.post("/api/inbox/s-leaving/check", "").error(404, "no_session");
    node.delete("/api/sessions/s-leaving").error(404, "no_session");
    assertTrue(
        !node.get("/api/sessions")
            .json()
            .path("sessions")
            .findValuesAsText("session_id")
            .contains("s-leaving"));
  }

  @Test
  void anUnknownSessionIsNotFound() {
    String sentence = node.post("/api/inbox/s-nobody/check", "").error(404, "no_session");
    assertTrue(sentence.contains("s-nobody"), sentence);
    node.post("/api/inbox/s-nobody/wait?timeout=0", "").error(404, "no_session");
    node.delete("/api/sessions/s-nobody").error(404, "no_session");
  }

  @Test
  void everyRouteButHealthNeedsTheLocalToken() {
    assertEquals(200, node.run(HttpRequest.GET("/api/health")).statusCode());
    List<HttpRequest> guarded =
        List.of(
            HttpRequest.GET("/api/sessions"),
            HttpRequest.POST("/api/sessions")
                .withEntity(
                    ContentTypes.APPLICATION_JSON,
                    RouteTestKit.json(
                        Map.of("session_id", "s-sneaky", "project", "api", "pid", SELF))),
            HttpRequest.POST("/api/inbox/s-nobody/check"),
            HttpRequest.DELETE("/api/sessions/s-nobody"),
            HttpRequest.POST("/api/chat"),
            HttpRequest.GET("/api/missions/m-20261202-000000"),
            HttpRequest.POST("/api/missions/m-20261202-000000/stop"),
            HttpRequest.GET("/api/approvals"),
            HttpRequest.GET("/api/cluster"),
            HttpRequest.GET("/api/no-such-route"));
    for (HttpRequest request : guarded) {
      Answer missing = Answer.of(node.run(request));
      assertTrue(missing.error(401, null).contains("missing local token"), missing.toString());
      node.run(request).assertHeaderKindExists("WWW-Authenticate");
      Answer wrong = Answer.of(node.run(request.addHeader(Authorization.oauth2("not-the-token"))));
      assertTrue(wrong.error(401, null).contains("wrong local token"), wrong.toString());
    }
    assertTrue(
        !node.get("/api/sessions")
            .json()
            .path("sessions")
            .findValuesAsText("session_id")
            .contains("s-sneaky"),
        "a request without the token changes nothing");
  }
}
