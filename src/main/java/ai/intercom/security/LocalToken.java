package ai.intercom.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The secret that local clients (MCP server, hooks, CLI) present to their node's HTTP API. The node
 * writes a fresh one to {@code local.token} (mode 0600) at every start; only processes of the same
 * user can read it.
 */
public final class LocalToken {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] value;

  private LocalToken(String value) {
    this.value = value.getBytes(StandardCharsets.US_ASCII);
  }

  public static LocalToken generate() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return new LocalToken(HexFormat.of().formatHex(bytes));
  }

  /** Writes the token atomically: readers never see a half-written or world-readable file. */
  public void writeTo(Path file) throws IOException {
    PrivateFiles.writeSecret(file, value);
  }

  /** Writes the token readable by {@code group} too (agents run as another user); 0600 if blank. */
  public void writeTo(Path file, String group) throws IOException {
    if (group == null || group.isBlank()) {
      writeTo(file);
    } else {
      PrivateFiles.writeForGroup(file, value, group);
    }
  }

  /** The token a running node wrote, if any. */
  public static Optional<LocalToken> readFrom(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
    return text.isEmpty() ? Optional.empty() : Optional.of(new LocalToken(text));
  }

  /** Constant-time comparison with a presented token. */
  public boolean matches(String presented) {
    if (presented == null) {
      return false;
    }
    return MessageDigest.isEqual(value, presented.getBytes(StandardCharsets.US_ASCII));
  }

  public String value() {
    return new String(value, StandardCharsets.US_ASCII);
  }

  @Override
  public String toString() {
    return "LocalToken(****)";
  }
}
