package ai.intercom.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PathRulesTest {

  @TempDir Path dir;

  @Test
  void aProjectInsideAnAllowedDirectoryRunsAtItsRealPath() throws Exception {
    Path allowed = Files.createDirectories(dir.resolve("work"));
    Path project = Files.createDirectories(allowed.resolve("api"));
    Path viaLink = Files.createSymbolicLink(dir.resolve("work-link"), allowed);

    assertEquals(project.toRealPath(), PathRules.resolve(project, List.of(allowed), "m"));
    assertEquals(
        project.toRealPath(), PathRules.resolve(viaLink.resolve("api"), List.of(allowed), "m"));
    // an allowed directory named through a link allows what it points to
    assertEquals(project.toRealPath(), PathRules.resolve(project, List.of(viaLink), "m"));
    assertEquals(project.toRealPath(), PathRules.resolve(project, List.of(), "m"));
  }

  @Test
  void aLinkOrDotDotLeadingOutIsRefusedSayingWhere() throws Exception {
    Path allowed = Files.createDirectories(dir.resolve("work"));
    Path secret = Files.createDirectories(dir.resolve("secret"));
    Path link = Files.createSymbolicLink(allowed.resolve("innocent"), secret);

    var viaLink =
        assertThrows(
            IllegalArgumentException.class, () -> PathRules.resolve(link, List.of(allowed), "box"));
    assertTrue(
        viaLink.getMessage().contains(secret.toRealPath() + " (from " + link + ")"),
        viaLink.getMessage());
    assertTrue(
        viaLink.getMessage().contains("outside intercom.agent-launcher.allowed-paths"),
        viaLink.getMessage());

    var dotDot =
        assertThrows(
            IllegalArgumentException.class,
            () -> PathRules.resolve(allowed.resolve("../secret"), List.of(allowed), "box"));
    assertTrue(dotDot.getMessage().contains("outside"), dotDot.getMessage());
    // a sibling whose name starts like the allowed directory is not inside it
    Path sibling = Files.createDirectories(dir.resolve("work-other"));
    assertThrows(
        IllegalArgumentException.class, () -> PathRules.resolve(sibling, List.of(allowed), "box"));
  }

  @Test
  void aMissingPathOrAFileIsRefused() throws Exception {
    var missing =
        assertThrows(
            IllegalArgumentException.class,
            () -> PathRules.resolve(dir.resolve("gone"), List.of(), "box"));
    assertTrue(missing.getMessage().contains("does not exist on box"));
    Path file = Files.writeString(dir.resolve("file"), "x");
    assertThrows(IllegalArgumentException.class, () -> PathRules.resolve(file, List.of(), "box"));
    // an allowed directory that does not exist allows nothing
    Path project = Files.createDirectories(dir.resolve("p"));
    assertThrows(
        IllegalArgumentException.class,
        () -> PathRules.resolve(project, List.of(dir.resolve("nope")), "b"));
  }
}
