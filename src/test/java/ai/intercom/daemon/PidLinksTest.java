package ai.intercom.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.daemon.SessionDesk.LocalSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class PidLinksTest {

  @TempDir Path inbox;

  private static LocalSession session(String id, List<Long> ancestors) {
    return new LocalSession(id, "web", 500, ancestors, Instant.now(), null);
  }

  private PidLinks links() {
    return new PidLinks(inbox.resolve("pid"), LoggerFactory.getLogger(PidLinksTest.class));
  }

  @Test
  void eachAncestorOfASessionNamesItsSession() throws Exception {
    links().link(session("s-1", List.of(400L, 300L)));
    assertEquals("s-1", Files.readString(inbox.resolve("pid/400")));
    assertEquals("s-1", Files.readString(inbox.resolve("pid/300")));
  }

  @Test
  void anEndedSessionRemovesOnlyTheLinksThatStillNameIt() {
    PidLinks links = links();
    LocalSession first = session("s-1", List.of(400L, 300L));
    links.link(first);
    // a new session under the same terminal shares the shell's pid
    links.link(session("s-2", List.of(401L, 300L)));
    links.unlink(first);
    assertFalse(Files.exists(inbox.resolve("pid/400")));
    assertTrue(Files.exists(inbox.resolve("pid/300")));
    assertTrue(Files.exists(inbox.resolve("pid/401")));
  }

  @Test
  void ancestorsArePlausibleWhenFewAndAboveInit() {
    assertTrue(PidLinks.plausible(List.of()));
    assertTrue(PidLinks.plausible(Collections.nCopies(PidLinks.MAX_ANCESTORS, 2L)));
    assertFalse(PidLinks.plausible(Collections.nCopies(PidLinks.MAX_ANCESTORS + 1, 2L)));
    assertFalse(PidLinks.plausible(List.of(400L, 1L)));
    assertFalse(PidLinks.plausible(List.of(0L)));
  }
}
