package ai.intercom.mcp;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of the stdio pipe, made safe for the MCP SDK's transport: it stops for good on
 * any line that is not a JSON-RPC message (even a blank one), so such lines are dropped here; and
 * at end of input it closes at once, losing replies still in flight, so the end is held back a
 * moment and the process then exits.
 */
final class GuardedStdin extends InputStream {

  private static final Logger log = LoggerFactory.getLogger(GuardedStdin.class);
  static final long EOF_GRACE_MILLIS = 500;
  static final long EXIT_AFTER_EOF_MILLIS = 2000;

  private final BufferedReader lines;
  private final Runnable onEnd;
  private InputStream current = InputStream.nullInputStream();
  private boolean ended;

  GuardedStdin(InputStream in, Runnable onEnd) {
    this.lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    this.onEnd = onEnd;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    while (true) {
      int n = current.read(buffer, offset, length);
      if (n > 0) {
        return n;
      }
      if (ended || !nextLine()) {
        return -1;
      }
    }
  }

  private boolean nextLine() throws IOException {
    while (true) {
      String line = lines.readLine();
      if (line == null) {
        ended = true;
        end();
        return false;
      }
      String trimmed = line.strip();
      if (trimmed.startsWith("{") && trimmed.endsWith("}") && trimmed.contains("\"jsonrpc\"")) {
        current = new ByteArrayInputStream((trimmed + "\n").getBytes(StandardCharsets.UTF_8));
        return true;
      }
      if (!trimmed.isEmpty()) {
        log.warn(
            "ignored a line on stdin that is not a JSON-RPC message: {}",
            trimmed.length() > 80 ? trimmed.substring(0, 80) + "…" : trimmed);
      }
    }
  }

  /** Replies still being written get a moment; then the process ends, as the agent is gone. */
  private void end() {
    Thread exit =
        new Thread(
            () -> {
              sleep(EXIT_AFTER_EOF_MILLIS);
              onEnd.run();
            },
            "mcp-stdin-closed");
    exit.setDaemon(true);
    exit.start();
    sleep(EOF_GRACE_MILLIS);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
