package ai.intercom.daemon;

import ai.intercom.protocol.JsonFormat;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of one inbox: {@code NAME.jsonl} (one {@link Line} per message, in order), {@code
 * NAME.cursor} (what was already delivered) and {@code NAME.pending}, which exists exactly while
 * something is undelivered, so that a hook can tell "nothing new" without asking the node.
 */
final class InboxFiles {

  private static final Logger log = LoggerFactory.getLogger(InboxFiles.class);
  private static final ObjectMapper JSON = JsonFormat.MAPPER;

  /** A line of the inbox file. */
  record Line(long seq, Letter letter) {}

  /**
   * The delivery cursor: every line up to {@code delivered} reached the agent; {@code cut} lists
   * those whose text a hook had to shorten, still to be read in full through intercom_check_inbox.
   */
  record Cursor(long delivered, Set<Long> cut) {
    Cursor {
      cut = Set.copyOf(cut);
    }
  }

  /**
   * What was on disk at start; {@code seen}: ids of letters compacted away, still recognised when a
   * copy comes again.
   */
  record Loaded(Cursor cursor, List<Line> lines, long lastSeq, List<String> seen) {}

  private final Path jsonl;
  private final Path cursorFile;
  private final Path pendingFile;
  private final Path seenFile;
  private final Path stateFile;

  InboxFiles(Path dir, String name) {
    this.jsonl = dir.resolve(name + ".jsonl");
    this.cursorFile = dir.resolve(name + ".cursor");
    this.pendingFile = dir.resolve(name + ".pending");
    this.seenFile = dir.resolve(name + ".seen");
    this.stateFile = SessionActivity.fileOf(dir, name);
  }

  /**
   * Whether the session's turn is over, as its hooks last said (a queue's, or a session's without
   * hooks, counts as waiting).
   */
  boolean waiting() {
    return SessionActivity.read(stateFile, java.time.Instant.now(), java.time.Duration.ZERO)
        .waiting();
  }

  Path jsonl() {
    return jsonl;
  }

  Loaded load() {
    Cursor cursor = new Cursor(0, Set.of());
    try {
      if (Files.exists(cursorFile)) {
        cursor = JSON.readValue(cursorFile.toFile(), Cursor.class);
      }
    } catch (IOException e) {
      log.warn(
          "{}: unreadable cursor, every line counts as undelivered: {}",
          cursorFile,
          e.getMessage());
    }
    List<Line> lines = new ArrayList<>();
    long lastSeq = cursor.delivered();
    if (Files.exists(jsonl)) {
      try {
        int number = 0;
        for (String text : Files.readAllLines(jsonl, StandardCharsets.UTF_8)) {
          number++;
          if (text.isBlank()) {
            continue;
          }
          try {
            Line line = JSON.readValue(text, Line.class);
            lines.add(line);
            lastSeq = Math.max(lastSeq, line.seq());
          } catch (JsonProcessingException e) {
            // a line cut short by a crash mid-write: the rest of the file is still good
            log.warn("{}:{}: skipped a damaged line", jsonl, number);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    List<String> seen = List.of();
    try {
      if (Files.exists(seenFile)) {
        seen = Files.readAllLines(seenFile, StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      log.warn("{}: unreadable, older letters may be taken again: {}", seenFile, e.getMessage());
    }
    return new Loaded(cursor, lines, lastSeq, seen);
  }

  void append(Line line) {
    try {
      Files.write(
          jsonl,
          (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8),
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND,
          StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void writeCursor(Cursor cursor) {
    try {
      Path tmp = cursorFile.resolveSibling(cursorFile.getFileName() + ".tmp");
      Files.write(
          tmp, JSON.writeValueAsBytes(new Cursor(cursor.delivered(), new TreeSet<>(cursor.cut()))));
      Files.move(
          tmp, cursorFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void markPending(boolean pending) {
    try {
      if (pending) {
        if (!Files.exists(pendingFile)) {
          Files.write(pendingFile, new byte[0]);
        }
      } else {
        Files.deleteIfExists(pendingFile);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  long size() {
    try {
      return Files.exists(jsonl) ? Files.size(jsonl) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Rewrites the file with only {@code keep}: delivered lines do not pile up forever; {@code seen}
   * (the letter ids to recognise later) goes first into {@code NAME.seen}.
   */
  void compact(List<Line> keep, Collection<String> seen) {
    try {
      Path seenTmp = seenFile.resolveSibling(seenFile.getFileName() + ".tmp");
      Files.write(seenTmp, seen, StandardCharsets.UTF_8);
      Files.move(
          seenTmp, seenFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      Path tmp = jsonl.resolveSibling(jsonl.getFileName() + ".tmp");
      StringBuilder text = new StringBuilder();
      for (Line line : keep) {
        text.append(JSON.writeValueAsString(line)).append('\n');
      }
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, jsonl, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Removes every file of the inbox (a queue that was handed over). */
  void delete() {
    try {
      Files.deleteIfExists(jsonl);
      Files.deleteIfExists(cursorFile);
      Files.deleteIfExists(pendingFile);
      Files.deleteIfExists(seenFile);
      Files.deleteIfExists(stateFile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
