package ai.intercom.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.daemon.SessionDesk.LocalSession;
import ai.intercom.protocol.Refusal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProjectRoutingTest {

  static final Instant AT = Instant.parse("2026-11-21T10:00:00Z");

  @TempDir Path queueDir;

  private final LiveSessions sessions = new LiveSessions();

  private void live(String id, String project, int secondsAfter, String missionId) {
    sessions.put(
        new LocalSession(id, project, 100, List.of(), AT.plusSeconds(secondsAfter), missionId),
        null);
  }

  private Optional<String> target(String project, String preferred) {
    return ProjectRouting.target(sessions, project, preferred)
        .map(live -> live.session().sessionId());
  }

  @Test
  void aLetterGoesToTheSessionAskedForWhenItIsLiveAndOfTheProject() {
    live("old", "web", 0, null);
    live("new", "web", 10, null);
    live("api-1", "api", 20, null);
    assertEquals(Optional.of("old"), target("web", "old"));
    assertEquals(Optional.of("new"), target("web", "api-1"), "a session of another project");
    assertEquals(Optional.of("new"), target("web", "gone"), "a session that is not live");
    assertEquals(Optional.of("new"), target("web", null));
  }

  @Test
  void anAgentLaunchedForAMissionGetsNoLettersForItsProjectUnlessAskedFor() {
    live("interactive", "web", 0, null);
    live("launched", "web", 10, "m-1");
    assertEquals(Optional.of("interactive"), target("web", null));
    assertEquals(Optional.of("launched"), target("web", "launched"));
  }

  @Test
  void aProjectWithoutASessionGetsItsLettersQueued() {
    live("launched", "web", 10, "m-1");
    assertEquals(Optional.empty(), target("web", null));
    assertEquals(Optional.empty(), target("api", null));
  }

  @Test
  void onlyKnownProjectsAreAcceptedAndARefusalNamesThoseThatAre() {
    ProjectRouting routing = new ProjectRouting("laptop", queueDir);
    StatusReply<Done> none = routing.accepts("web");
    assertEquals("machine laptop has no project 'web'", none.getError().getMessage());
    assertTrue(routing.know("web"));
    assertFalse(routing.know("web"));
    routing.knowAll(List.of("docs", "api"));
    assertTrue(routing.accepts("web").isSuccess());
    StatusReply<Done> refused = routing.accepts("mobile");
    assertEquals(Refusal.Code.NOT_FOUND, ((Refusal) refused.getError()).code());
    assertEquals(
        "machine laptop has no project 'mobile' (it has api, docs, web)",
        refused.getError().getMessage());
    assertEquals(List.of("api", "docs", "web"), routing.projects());
  }

  @Test
  void onlyANonEmptyQueueFileCountsAsQueuedLetters() throws Exception {
    ProjectRouting routing = new ProjectRouting("laptop", queueDir);
    assertFalse(routing.hasQueuedFile("web"));
    Files.writeString(queueDir.resolve("web.jsonl"), "");
    assertFalse(routing.hasQueuedFile("web"));
    Files.writeString(queueDir.resolve("web.jsonl"), "{}\n");
    assertTrue(routing.hasQueuedFile("web"));
  }
}
