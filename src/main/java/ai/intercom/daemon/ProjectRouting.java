package ai.intercom.daemon;

import ai.intercom.protocol.Refusal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;

/**
 * Where a letter for a project of this machine goes: to the session asked for if it is live and of
 * that project, else to the project's newest interactive session, else (no session) into the
 * project's queue under {@code queued/}, which its next session takes over. Also which projects
 * this machine keeps letters for.
 */
final class ProjectRouting {

  private final String machineId;
  private final Path queueDir;
  private final Set<String> known = new TreeSet<>();

  ProjectRouting(String machineId, Path queueDir) {
    this.machineId = machineId;
    this.queueDir = queueDir;
  }

  /** Knows the project from now on; true if it was new. */
  boolean know(String project) {
    return known.add(project);
  }

  void knowAll(Collection<String> projects) {
    known.addAll(projects);
  }

  /** The known projects, in name order. */
  List<String> projects() {
    return List.copyOf(known);
  }

  /** Succeeds when letters for {@code project} can be kept here; else says which projects can. */
  StatusReply<Done> accepts(String project) {
    if (known.contains(project)) {
      return StatusReply.ack();
    }
    return StatusReply.error(
        Refusal.notFound(
            "machine "
                + machineId
                + " has no project '"
                + project
                + "'"
                + (known.isEmpty() ? "" : " (it has " + String.join(", ", known) + ")")));
  }

  /**
   * The session a letter for {@code project} goes to, or empty for the project's queue; {@code
   * preferredSession} (may be null) wins if it is live and of that project.
   */
  static Optional<LiveSessions.Live> target(
      LiveSessions sessions, String project, String preferredSession) {
    return target(sessions, project, preferredSession, live -> false);
  }

  /**
   * As above, sessions that are {@code stuck} last: a letter goes to the one asked for or the
   * newest that is not, else to the one asked for or the newest all the same.
   */
  static Optional<LiveSessions.Live> target(
      LiveSessions sessions,
      String project,
      String preferredSession,
      java.util.function.Predicate<LiveSessions.Live> stuck) {
    Optional<LiveSessions.Live> preferred =
        Optional.ofNullable(preferredSession)
            .map(sessions::get)
            .filter(live -> live.session().project().equals(project));
    return preferred
        .filter(stuck.negate())
        .or(() -> newestSessionOf(sessions, project, stuck.negate()))
        .or(() -> preferred)
        .or(() -> newestSessionOf(sessions, project, live -> true));
  }

  /**
   * Where a project's letters go when no session was asked for: its newest interactive session. An
   * agent launched for a mission works on that mission alone; it gets letters only in the threads
   * it writes in.
   */
  private static Optional<LiveSessions.Live> newestSessionOf(
      LiveSessions sessions, String project, java.util.function.Predicate<LiveSessions.Live> ok) {
    return sessions.all().stream()
        .filter(
            live ->
                live.session().project().equals(project)
                    && live.session().missionId() == null
                    && ok.test(live))
        .max(Comparator.comparing(live -> live.session().registeredAt()));
  }

  /** Whether the project's queue holds letters on disk (left by an earlier run of the node). */
  boolean hasQueuedFile(String project) {
    try {
      Path file = queueDir.resolve(project + ".jsonl");
      return Files.exists(file) && Files.size(file) > 0;
    } catch (IOException e) {
      return false;
    }
  }
}
