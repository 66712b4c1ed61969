package ai.intercom.testing;

import ai.intercom.app.Node;
import ai.intercom.protocol.JsonFormat;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A node's HTTP API as the MCP server and the CLI use it: loopback, local token, JSON. */
public final class ApiClient {

  public record Answer(int status, JsonNode json) {
    public String text(String field) {
      return json.path(field).asText();
    }

    public String error() {
      return json.path("error").asText();
    }
  }

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final int port;
  private final String token;

  public ApiClient(Node node, Path home) {
    this(TestNodes.http(node).getPort(), home);
  }

  /**
   * The node listening on {@code port} whose home is {@code home} (a node running as its own
   * process).
   */
  public ApiClient(int port, Path home) {
    this.port = port;
    try {
      this.token = Files.readString(home.resolve("local.token")).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  public Answer get(String path) {
    return call("GET", path, null);
  }

  public Answer post(String path, Object body) {
    try {
      return call(
          "POST",
          path,
          body instanceof String text ? text : JsonFormat.MAPPER.writeValueAsString(body));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Answer call(String method, String path, String body) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build();
    try {
      HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      JsonNode json =
          response.body().isBlank()
              ? JsonFormat.MAPPER.nullNode()
              : JsonFormat.MAPPER.readTree(response.body());
      return new Answer(response.statusCode(), json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Registers an agent session of {@code project} whose agent is process {@code pid}. */
  public Answer register(String session, String project, long pid) {
    return post(
        "/api/sessions",
        Map.of("session_id", session, "project", project, "pid", pid, "ancestors", List.of(pid)));
  }

  public Answer chat(String session, String to, String message) {
    return post("/api/chat", Map.of("session_id", session, "to", to, "message", message));
  }

  public Answer reply(String session, String threadId, String message) {
    return post(
        "/api/reply", Map.of("session_id", session, "thread_id", threadId, "message", message));
  }

  /** The unread messages of a session, marked read. */
  public JsonNode inbox(String session) {
    Answer answer = post("/api/inbox/" + session + "/check", "");
    if (answer.status() != 200) {
      throw new IllegalStateException("inbox check: " + answer);
    }
    return answer.json().path("messages");
  }

  /** A mission as {@code GET /api/missions/ID} shows it. */
  public JsonNode mission(String missionId) {
    return get("/api/missions/" + missionId).json();
  }

  /**
   * A mission once it is finished (completed, failed, stopped, interrupted), within {@code wait}.
   */
  public JsonNode finishedMission(String missionId, Duration wait) throws InterruptedException {
    Await.until(
        () ->
            List.of("completed", "failed", "stopped", "interrupted")
                .contains(mission(missionId).path("status").asText()),
        wait,
        () -> "mission " + missionId + " still " + mission(missionId));
    return mission(missionId);
  }

  /** A mission's whole history, as JSON text. */
  public String missionHistory(String missionId) {
    return get("/api/missions/" + missionId + "/history?limit=1000").json().toString();
  }

  /** The pending approval of a mission (its permission prompt), once the gate holds one. */
  public JsonNode pendingApprovalOf(String missionId, Duration wait) throws InterruptedException {
    JsonNode[] found = new JsonNode[1];
    Await.until(
        () -> {
          for (JsonNode approval : get("/api/approvals").json().path("approvals")) {
            if (approval.at("/request/mission_id").asText().equals(missionId)) {
              found[0] = approval;
              return true;
            }
          }
          return false;
        },
        wait,
        () -> "no pending approval for " + missionId + ": " + mission(missionId));
    return found[0];
  }
}
