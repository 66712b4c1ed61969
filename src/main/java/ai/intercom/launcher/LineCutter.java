package ai.intercom.launcher;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;

/**
 * Cuts the output of one process, read from a pipe in chunks, into UTF-8 lines. It tolerates
 * anything: invalid UTF-8 becomes U+FFFD, a line longer than the limit keeps only its first {@code
 * maxLineBytes} bytes, and memory stays bounded by about that limit however long a line runs. Not
 * thread-safe: one cutter per process output.
 */
public final class LineCutter {

  /**
   * One line, without its {@code \n} or {@code \r\n}.
   *
   * @param text the line, or its first {@code maxLineBytes} bytes when truncated
   * @param truncated the line was longer than the limit, or the stream ended before its newline
   * @param bytes the full length of the line in bytes, terminator excluded
   */
  public record Line(String text, boolean truncated, long bytes) {}

  private static final byte NEWLINE = '\n';
  private static final byte CARRIAGE_RETURN = '\r';

  private final int maxLineBytes;
  private final CharsetDecoder decoder =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPLACE)
          .onUnmappableCharacter(CodingErrorAction.REPLACE);

  /** The start of the current line, compacted, at most {@code maxLineBytes} bytes. */
  private ByteString pending = ByteString.emptyByteString();

  /** How many bytes the current line has had so far, kept or not. */
  private long pendingBytes;

  private byte lastByte;

  /** A cutter that keeps at most {@code maxLineBytes} bytes of each line. */
  public LineCutter(int maxLineBytes) {
    if (maxLineBytes < 1) {
      throw new IllegalArgumentException("maxLineBytes must be positive, was " + maxLineBytes);
    }
    this.maxLineBytes = maxLineBytes;
  }

  /** The lines this chunk completes, in order; blank lines are left out. */
  public List<Line> feed(ByteString chunk) {
    List<Line> lines = new ArrayList<>();
    int from = 0;
    int newline = chunk.indexOf(NEWLINE, from);
    while (newline >= 0) {
      addIfShown(lines, complete(chunk.slice(from, newline)));
      from = newline + 1;
      newline = chunk.indexOf(NEWLINE, from);
    }
    if (from < chunk.size()) {
      keep(chunk.slice(from, chunk.size()));
    }
    return lines;
  }

  /** At the end of the stream: the line the process did not finish, flagged truncated, if any. */
  public List<Line> finish() {
    List<Line> lines = new ArrayList<>();
    if (pendingBytes > 0) {
      Line last = complete(ByteString.emptyByteString());
      addIfShown(lines, new Line(last.text(), true, last.bytes()));
    }
    return lines;
  }

  private static void addIfShown(List<Line> lines, Line line) {
    if (!line.text().isBlank()) {
      lines.add(line);
    }
  }

  /** Holds the start of an unfinished line until the next chunk, counting what does not fit. */
  private void keep(ByteString part) {
    int room = maxLineBytes - pending.size();
    if (room > 0) {
      // compact the part: a slice would keep the whole chunk it came from alive
      pending = pending.concat(part.take(room).compact());
    }
    pendingBytes += part.size();
    lastByte = part.apply(part.size() - 1);
  }

  /** Ends the current line with {@code tail}, its last part, and starts a new one. */
  private Line complete(ByteString tail) {
    long total = pendingBytes + tail.size();
    byte last = tail.isEmpty() ? lastByte : tail.apply(tail.size() - 1);
    if (total > 0 && last == CARRIAGE_RETURN) {
      total--;
    }
    int kept = (int) Math.min(total, maxLineBytes);
    ByteString content = pending.isEmpty() ? tail.take(kept) : pending.concat(tail).take(kept);
    boolean truncated = total > maxLineBytes;
    if (truncated) {
      content = content.take(charBoundary(content));
    }
    pending = ByteString.emptyByteString();
    pendingBytes = 0;
    return new Line(decode(content), truncated, total);
  }

  /** Where to cut {@code bytes} so that no UTF-8 character is split at the end. */
  private static int charBoundary(ByteString bytes) {
    int end = bytes.size();
    int start = end;
    while (start > 0 && end - start < 3 && (bytes.apply(start - 1) & 0xC0) == 0x80) {
      start--;
    }
    if (start == 0) {
      return end;
    }
    int lead = bytes.apply(start - 1) & 0xFF;
    int length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    int have = end - start + 1;
    return have < length ? start - 1 : end;
  }

  private String decode(ByteString bytes) {
    try {
      return decoder.decode(bytes.asByteBuffer()).toString();
    } catch (CharacterCodingException e) {
      // cannot happen with REPLACE; keep going rather than lose the stream
      return bytes.decodeString(StandardCharsets.UTF_8);
    }
  }
}
