package ai.intercom.daemon;

import ai.intercom.protocol.AgentId;
import ai.intercom.registry.Project;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Finds the projects of this machine: walks the configured roots and reports every directory
 * holding one of the marker names ({@code CLAUDE.md}, {@code .git}, ...) as a {@link Project}, with
 * a description taken from its README. Blocking file I/O: run it on a blocking dispatcher.
 *
 * <p>The walk never follows symbolic links, does not enter hidden or excluded directories nor a
 * project (a nested repository belongs to its outer project), and is bounded by {@link #MAX_DEPTH}
 * and {@link #MAX_DIRECTORIES}. What it skipped is said in {@link Result#notes()}, never thrown.
 */
public final class ProjectScanner {

  /** Levels below each root that are searched; a root is level 0. */
  public static final int MAX_DEPTH = 4;

  /** Directories visited in total, over all roots. */
  public static final int MAX_DIRECTORIES = 20_000;

  static final int MAX_DESCRIPTION = 200;
  private static final List<String> DESCRIPTION_FILES =
      List.of("README.md", "CLAUDE.md", "AGENTS.md");
  // a description is the first prose line; a file whose start is not prose is not worth reading
  // whole
  private static final int DESCRIPTION_READ_BYTES = 64 * 1024;

  /** The projects found, sorted by name, and one sentence per thing skipped. */
  public record Result(List<Project> projects, List<String> notes) {
    public Result {
      projects = List.copyOf(projects);
      notes = List.copyOf(notes);
    }
  }

  private final List<String> markers;
  private final Set<String> excludes;
  private final int maxDepth;
  private final int maxDirectories;

  public ProjectScanner(List<String> markers, List<String> excludes) {
    this(markers, excludes, MAX_DEPTH, MAX_DIRECTORIES);
  }

  ProjectScanner(List<String> markers, List<String> excludes, int maxDepth, int maxDirectories) {
    this.markers = markers.stream().filter(m -> m != null && !m.isBlank()).toList();
    this.excludes = Set.copyOf(excludes.stream().filter(Objects::nonNull).toList());
    this.maxDepth = maxDepth;
    this.maxDirectories = maxDirectories;
  }

  /**
   * Where a walk starts: searched {@code depth} levels down. {@code mayBeProject} false: the root
   * itself is never a project (the user's home, which may be a dotfiles repository); {@code
   * required} false: a missing root is no news (one of the usual places).
   */
  public record Root(Path path, int depth, boolean mayBeProject, boolean required) {}

  /** The folders under the user's home where projects usually are, searched when none is set. */
  public static final List<String> USUAL_PLACES = List.of("projects", "src", "code", "work");

  /** The configured scan paths, each searched {@link #MAX_DEPTH} levels down. */
  public static List<Root> roots(List<Path> scanPaths) {
    return scanPaths.stream().map(path -> new Root(path, MAX_DEPTH, true, true)).toList();
  }

  /**
   * Where users keep projects, one level deep: {@code ~/projects}, {@code ~/src}, {@code ~/code},
   * {@code ~/work} and the home itself.
   */
  public static List<Root> usualPlaces(Path home) {
    List<Root> roots = new ArrayList<>();
    USUAL_PLACES.forEach(place -> roots.add(new Root(home.resolve(place), 1, true, false)));
    roots.add(new Root(home, 1, false, false));
    return roots;
  }

  /** Projects under the roots, sorted by name; what it skipped is in the result's notes. */
  public Result scan(List<Path> roots) {
    return scanRoots(roots.stream().map(path -> new Root(path, maxDepth, true, true)).toList());
  }

  /** Projects under the roots, sorted by name; what it skipped is in the result's notes. */
  public Result scanRoots(List<Root> roots) {
    Walk walk = new Walk();
    for (Root root : roots) {
      if (walk.stopped) {
        break;
      }
      walk.root(root);
    }
    List<Project> projects = new ArrayList<>(walk.byName.values());
    projects.sort(Comparator.comparing(Project::name));
    return new Result(projects, walk.notes);
  }

  /** The state of one scan. */
  private final class Walk {
    final Map<String, Project> byName = new HashMap<>();
    final List<String> notes = new ArrayList<>();
    // real paths already visited: overlapping roots must not count or report a directory twice
    final Set<Path> visited = new HashSet<>();
    boolean stopped;

    void root(Root root) {
      Path absolute = root.path().toAbsolutePath().normalize();
      if (!Files.exists(absolute)) {
        if (root.required()) {
          notes.add("scan root " + absolute + " does not exist");
        }
        return;
      }
      if (!Files.isDirectory(absolute)) {
        notes.add("scan root " + absolute + " is not a directory");
        return;
      }
      Path real;
      try {
        // a root is named by the operator, so a link there is meant; below it, links are never
        // followed
        real = absolute.toRealPath();
      } catch (IOException e) {
        notes.add("scan root " + absolute + " skipped: " + reason(e));
        return;
      }
      if (root.mayBeProject()) {
        visit(real, 0, root.depth());
      } else if (visited.add(real) && root.depth() > 0) {
        for (Path child : subdirectories(real)) {
          visit(child, 1, root.depth());
          if (stopped) {
            return;
          }
        }
      }
    }

    void visit(Path dir, int depth, int limit) {
      if (!visited.add(dir)) {
        return;
      }
      if (visited.size() > maxDirectories) {
        stopped = true;
        notes.add(
            "scan stopped early after "
                + maxDirectories
                + " directories, at "
                + dir
                + "; the rest was not searched");
        return;
      }
      if (isProject(dir)) {
        add(dir);
        return;
      }
      if (depth >= limit) {
        return;
      }
      for (Path child : subdirectories(dir)) {
        visit(child, depth + 1, limit);
        if (stopped) {
          return;
        }
      }
    }

    /**
     * The directories to enter below {@code dir}, sorted by name; links, hidden and excluded ones
     * left out.
     */
    List<Path> subdirectories(Path dir) {
      List<Path> children = new ArrayList<>();
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
        for (Path entry : entries) {
          String name = entry.getFileName().toString();
          if (name.startsWith(".") || excludes.contains(name)) {
            continue;
          }
          if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
            children.add(entry);
          }
        }
      } catch (IOException e) {
        notes.add("skipped unreadable directory " + dir + ": " + reason(e));
        return List.of();
      } catch (DirectoryIteratorException e) {
        notes.add("skipped unreadable directory " + dir + ": " + reason(e.getCause()));
        return List.of();
      }
      children.sort(Comparator.comparing(p -> p.getFileName().toString()));
      return children;
    }

    void add(Path dir) {
      Path real;
      try {
        real = dir.toRealPath();
      } catch (IOException e) {
        notes.add("skipped project " + dir + ": " + reason(e));
        return;
      }
      Path fileName = real.getFileName();
      String name = fileName == null ? "" : fileName.toString();
      if (!AgentId.isValidPart(name)) {
        notes.add(
            "skipped project "
                + real
                + ": its name '"
                + name
                + "' is not a valid project name (1-63 letters, digits, '.', '_' or '-', starting with a letter or digit)");
        return;
      }
      Project first = byName.get(name);
      if (first != null) {
        notes.add(
            "skipped project "
                + real
                + ": the name '"
                + name
                + "' is already taken by "
                + first.path());
        return;
      }
      byName.put(name, new Project(name, real.toString(), description(real), List.of(), List.of()));
    }
  }

  private boolean isProject(Path dir) {
    for (String marker : markers) {
      if (Files.exists(dir.resolve(marker), LinkOption.NOFOLLOW_LINKS)) {
        return true;
      }
    }
    return false;
  }

  /** The first prose line of README.md, else CLAUDE.md, else AGENTS.md; "" when none has one. */
  static String description(Path project) {
    for (String file : DESCRIPTION_FILES) {
      Path path = project.resolve(file);
      if (!Files.isRegularFile(path)) {
        continue;
      }
      String line = firstProseLine(path);
      if (!line.isEmpty()) {
        return cut(line);
      }
    }
    return "";
  }

  private static String firstProseLine(Path file) {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(DESCRIPTION_READ_BYTES);
    } catch (IOException e) {
      // the description is a courtesy: an unreadable file just gives none
      return "";
    }
    String text = new String(bytes, StandardCharsets.UTF_8);
    if (bytes.length == DESCRIPTION_READ_BYTES) {
      // the last line may be cut mid-character
      text = text.substring(0, Math.max(0, text.lastIndexOf('\n')));
    }
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    for (String line : text.split("\\R")) {
      String trimmed = line.strip();
      if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
        return trimmed;
      }
    }
    return "";
  }

  private static String cut(String line) {
    if (line.length() <= MAX_DESCRIPTION) {
      return line;
    }
    int end = MAX_DESCRIPTION;
    if (Character.isHighSurrogate(line.charAt(end - 1))) {
      end--;
    }
    return line.substring(0, end).stripTrailing();
  }

  private static String reason(Throwable e) {
    // a FileSystemException's message repeats the path the note already names
    String message = e instanceof FileSystemException fse ? fse.getReason() : e.getMessage();
    String kind = e.getClass().getSimpleName();
    return message == null ? kind : kind + " (" + message + ")";
  }
}
