package ai.intercom.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.intercom.registry.Project;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProjectScannerTest {

  private static final List<String> MARKERS = List.of("CLAUDE.md", ".git", "AGENTS.md");
  private static final List<String> EXCLUDES =
      List.of("node_modules", ".venv", "backup", "__pycache__");

  @TempDir Path tmp;

  private final ProjectScanner scanner = new ProjectScanner(MARKERS, EXCLUDES);

  private static Path dir(Path base, String relative) throws IOException {
    return Files.createDirectories(base.resolve(relative));
  }

  /** A directory made a project by a {@code CLAUDE.md}. */
  private static Path project(Path base, String relative) throws IOException {
    Path dir = dir(base, relative);
    Files.writeString(dir.resolve("CLAUDE.md"), "# Guide\n");
    return dir;
  }

  private static List<String> names(ProjectScanner.Result result) {
    return result.projects().stream().map(Project::name).toList();
  }

  private static boolean noted(ProjectScanner.Result result, String... parts) {
    return result.notes().stream().anyMatch(n -> List.of(parts).stream().allMatch(n::contains));
  }

  private static String description(ProjectScanner.Result result, String name) {
    return result.projects().stream()
        .filter(p -> p.name().equals(name))
        .findFirst()
        .orElseThrow()
        .description();
  }

  @Test
  void everyKindOfMarkerMakesAProject() throws IOException {
    Files.writeString(dir(tmp, "claude").resolve("CLAUDE.md"), "");
    Files.writeString(dir(tmp, "agents").resolve("AGENTS.md"), "");
    dir(tmp, "gitdir/.git");
    // a worktree or submodule has a .git file, not a directory
    Files.writeString(dir(tmp, "gitfile").resolve(".git"), "gitdir: ../elsewhere\n");
    dir(tmp, "plain/src");

    ProjectScanner.Result result = scanner.scan(List.of(tmp));

    assertEquals(List.of("agents", "claude", "gitdir", "gitfile"), names(result));
    assertEquals(List.of(), result.notes());
  }

  @Test
  void aRootCanItselfBeAProject() throws IOException {
    Path root = project(tmp, "solo");
    project(root, "inner");

    ProjectScanner.Result result = scanner.scan(List.of(root));

    assertEquals(List.of("solo"), names(result));
  }

  @Test
  void projectsCarryTheirRealPathAndNoProfile() throws IOException {
    Path real = project(tmp, "real/api");
    Path link = Files.createSymbolicLink(tmp.resolve("via-link"), tmp.resolve("real"));

    // a root given through a link is followed, and the project reports where it really is
    Project api = scanner.scan(List.of(link)).projects().get(0);

    assertEquals(new Project("api", real.toRealPath().toString(), "", List.of(), List.of()), api);
  }

  @Test
  void excludedDirectoriesAreNotEntered() throws IOException {
    project(tmp, "node_modules/pkg");
    project(tmp, "web/node_modules/lib");
    project(tmp, "backup");
    project(tmp, "src/__pycache__/cached");
    project(tmp, "web-app");

    assertEquals(List.of("web-app"), names(scanner.scan(List.of(tmp))));
  }

  @Test
  void exclusionMatchesTheWholeDirectoryName() throws IOException {
    project(tmp, "backups");
    project(tmp, "old-backup");

    assertEquals(List.of("backups", "old-backup"), names(scanner.scan(List.of(tmp))));
  }

  @Test
  void hiddenDirectoriesAreNotEntered() throws IOException {
    project(tmp, ".cache/tool");
    project(tmp, ".config");
    dir(tmp, "code/.hidden/repo/.git");
    project(tmp, "code/shown");

    assertEquals(List.of("shown"), names(scanner.scan(List.of(tmp))));
  }

  @Test
  void symlinkLoopsAreNotFollowed() throws IOException {
    Path root = dir(tmp, "root");
    Files.createSymbolicLink(dir(root, "a").resolve("up"), root);
    Files.createSymbolicLink(dir(root, "a/b").resolve("self"), root.resolve("a/b"));
    Files.createSymbolicLink(root.resolve("ping"), root.resolve("pong"));
    Files.createSymbolicLink(root.resolve("pong"), root.resolve("ping"));
    project(root, "a/b/api");

    ProjectScanner.Result result =
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> scanner.scan(List.of(root)));

    assertEquals(List.of("api"), names(result));
    assertEquals(List.of(), result.notes());
  }

  @Test
  void linksToProjectsOutsideTheRootAreNotFollowed() throws IOException {
    Path outside = dir(tmp, "outside");
    Path elsewhere = project(outside, "elsewhere");
    Path root = dir(tmp, "root");
    Files.createSymbolicLink(root.resolve("linked-project"), elsewhere);
    Files.createSymbolicLink(root.resolve("linked-parent"), outside);

    ProjectScanner.Result result = scanner.scan(List.of(root));

    assertEquals(List.of(), result.projects());
  }

  @Test
  void nestedProjectsAreNotReported() throws IOException {
    Path outer = dir(tmp, "outer");
    dir(outer, ".git");
    dir(outer, "vendor/lib/.git");
    project(outer, "packages/sub");

    assertEquals(List.of("outer"), names(scanner.scan(List.of(tmp))));
  }

  @Test
  void projectsAreFoundDownToFourLevelsBelowTheRoot() throws IOException {
    project(tmp, "a/b/c/deep");
    project(tmp, "a/b/c/d/too-deep");
    project(tmp, "x/y/z/w/v/u/deeper");

    ProjectScanner.Result result = scanner.scan(List.of(tmp));

    assertEquals(4, ProjectScanner.MAX_DEPTH);
    assertEquals(List.of("deep"), names(result));
  }

  @Test
  void theDirectoryBoundStopsTheScanWithANote() throws IOException {
    ProjectScanner small = new ProjectScanner(MARKERS, EXCLUDES, ProjectScanner.MAX_DEPTH, 4);
    Path root = dir(tmp, "root");
    project(root, "a");
    project(root, "b");
    project(root, "c");
    project(root, "d");
    Path second = project(tmp, "second-root");

    // root, a, b and c are the four visited; d and the second root are not
    ProjectScanner.Result result = small.scan(List.of(root, second));

    assertEquals(List.of("a", "b", "c"), names(result));
    assertTrue(
        noted(result, "stopped early", root.toRealPath().resolve("d").toString()),
        result.notes().toString());
  }

  @Test
  void anInvalidProjectNameIsSkippedWithANote() throws IOException {
    Path spaced = project(tmp, "my project");
    Path tooLong = project(tmp, "p".repeat(64));
    project(tmp, "fine.name_1-2");

    ProjectScanner.Result result = scanner.scan(List.of(tmp));

    assertEquals(List.of("fine.name_1-2"), names(result));
    assertTrue(
        noted(result, spaced.toRealPath().toString(), "not a valid project name"),
        result.notes().toString());
    assertTrue(
        noted(result, tooLong.toRealPath().toString(), "not a valid project name"),
        result.notes().toString());
  }

  @Test
  void aDuplicateNameKeepsTheFirstFoundAndNotesTheOther() throws IOException {
    Path firstRoot = dir(tmp, "z-first");
    Path secondRoot = dir(tmp, "a-second");
    Path winner = project(firstRoot, "m/api");
    Path laterInSameRoot = project(firstRoot, "n/api");
    Path inLaterRoot = project(secondRoot, "api");

    ProjectScanner.Result result = scanner.scan(List.of(firstRoot, secondRoot));

    assertEquals(1, result.projects().size());
    assertEquals(winner.toRealPath().toString(), result.projects().get(0).path());
    assertTrue(
        noted(
            result,
            laterInSameRoot.toRealPath().toString(),
            "already taken by " + winner.toRealPath()),
        result.notes().toString());
    assertTrue(
        noted(result, inLaterRoot.toRealPath().toString(), "already taken"),
        result.notes().toString());
  }

  @Test
  void overlappingRootsReportAProjectOnce() throws IOException {
    Path inner = dir(tmp, "code");
    project(inner, "api");

    ProjectScanner.Result result = scanner.scan(List.of(tmp, inner, tmp));

    assertEquals(List.of("api"), names(result));
    assertEquals(List.of(), result.notes());
  }

  @Test
  void theDescriptionIsTheFirstProseLineOfTheReadme() throws IOException {
    Path api = project(tmp, "api");
    Files.writeString(
        api.resolve("README.md"),
        "\uFEFF# API\n\n## Overview\n   \n  Serves the public REST API.  \nMore.\n");
    Files.writeString(api.resolve("CLAUDE.md"), "Not this one.\n");

    assertEquals("Serves the public REST API.", description(scanner.scan(List.of(tmp)), "api"));
  }

  @Test
  void theDescriptionFallsBackToClaudeMdThenAgentsMd() throws IOException {
    Path headingsOnly = project(tmp, "headings-only");
    Files.writeString(headingsOnly.resolve("README.md"), "# Title\n\n## Section\n");
    Files.writeString(headingsOnly.resolve("CLAUDE.md"), "# Notes\r\nFrom the agent guide.\r\n");
    Path agents = dir(tmp, "agents");
    Files.writeString(agents.resolve("AGENTS.md"), "# Agents\nFrom AGENTS.md.\n");
    Path none = dir(tmp, "none/.git");

    ProjectScanner.Result result = scanner.scan(List.of(tmp));

    assertEquals("From the agent guide.", description(result, "headings-only"));
    assertEquals("From AGENTS.md.", description(result, "agents"));
    assertEquals("", description(result, none.getParent().getFileName().toString()));
  }

  @Test
  void aLongDescriptionIsCutTo200Characters() throws IOException {
    Path api = project(tmp, "api");
    Files.writeString(
        api.resolve("README.md"), "# API\n" + "d".repeat(150) + "e".repeat(150) + "\n");

    assertEquals("d".repeat(150) + "e".repeat(50), description(scanner.scan(List.of(tmp)), "api"));
  }

  @Test
  void aMissingRootIsNotedAndTheOthersAreStillScanned() throws IOException {
    Path missing = tmp.resolve("gone");
    Path file = Files.writeString(tmp.resolve("file.txt"), "");
    Path root = dir(tmp, "root");
    project(root, "api");

    ProjectScanner.Result result = scanner.scan(List.of(missing, file, root));

    assertEquals(List.of("api"), names(result));
    assertTrue(noted(result, missing.toString(), "does not exist"), result.notes().toString());
    assertTrue(noted(result, file.toString(), "not a directory"), result.notes().toString());
  }

  @Test
  void anUnreadableDirectoryIsSkippedWithANote() throws IOException {
    Path locked = dir(tmp, "locked");
    project(locked, "hidden-inside");
    project(tmp, "open");
    Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
    try {
      assumeFalse(Files.isReadable(locked), "permissions are not enforced for this user (root?)");

      ProjectScanner.Result result = scanner.scan(List.of(tmp));

      assertEquals(List.of("open"), names(result));
      assertTrue(noted(result, "unreadable", locked.toString()), result.notes().toString());
    } finally {
      Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
    }
  }

  @Test
  void projectsAreSortedByNameWhateverTheirPlace() throws IOException {
    Path second = dir(tmp, "second");
    Path first = dir(tmp, "first");
    project(first, "zeta");
    project(first, "b/mu");
    project(second, "alpha");
    project(second, "a/b/c/beta");

    ProjectScanner.Result result = scanner.scan(List.of(second, first));

    assertEquals(List.of("alpha", "beta", "mu", "zeta"), names(result));
  }

  @Test
  void theScannerUsesTheMarkersAndExclusionsItIsGiven() throws IOException {
    Files.writeString(dir(tmp, "service").resolve("pom.xml"), "");
    Files.writeString(dir(tmp, "vendor/lib").resolve("pom.xml"), "");
    project(tmp, "claude-only");

    ProjectScanner.Result result =
        new ProjectScanner(List.of("pom.xml"), List.of("vendor")).scan(List.of(tmp));

    assertEquals(List.of("service"), names(result));
  }

  @Test
  void withoutScanPathsItLooksOneLevelDeepWhereUsersKeepProjects() throws IOException {
    Path home = dir(tmp, "home");
    dir(home, ".git"); // a dotfiles repository: the home is not a project
    project(home, "projects/shop");
    project(home, "projects/deeper/than-one-level");
    dir(home, "src/web/.git");
    project(home, "notes");
    project(home, "Downloads/unpacked");

    ProjectScanner.Result found = scanner.scanRoots(ProjectScanner.usualPlaces(home));

    assertEquals(List.of("notes", "shop", "web"), names(found));
    assertEquals(List.of(), found.notes(), "missing usual places (code, work) are no news");
  }
}
