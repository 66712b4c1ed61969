package ai.intercom.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The machines' tokens {@code ict_<machine>_<hex>}, made on the hub from a key of its own ({@code
 * ca/token.key}, 0600) and the serial of the certificate the machine was admitted with: the hub
 * keeps no token anywhere (its journal holds only each token's hash), can tell every machine's
 * token again when it needs it, and a machine admitted again gets a new one.
 */
public final class MachineTokens {

  private static final Pattern TOKEN =
      Pattern.compile("ict_([A-Za-z0-9][A-Za-z0-9._-]{0,62})_([0-9a-f]{64})");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] key;

  private MachineTokens(byte[] key) {
    this.key = key;
  }

  /** The tokens of the hub whose key is {@code file}, made there on first use. */
  public static MachineTokens openOrCreate(Path file) throws IOException {
    if (Files.isRegularFile(file)) {
      return new MachineTokens(HexFormat.of().parseHex(Files.readString(file).trim()));
    }
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    PrivateFiles.writeSecret(
        file, HexFormat.of().formatHex(key).getBytes(StandardCharsets.US_ASCII));
    return new MachineTokens(key);
  }

  /** The token of {@code machineId} admitted with the certificate {@code serial}. */
  public String tokenFor(String machineId, String serial) {
    return "ict_" + machineId + "_" + RequestSignature.hmacHex(key, machineId + "\n" + serial);
  }

  /** What the hub keeps of a token. */
  public static String hash(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The machine a well-formed token names. */
  public static Optional<String> machineOf(String token) {
    Matcher m = TOKEN.matcher(token == null ? "" : token.trim());
    return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /** Reads a machine's token from {@code file} (the home's {@code machine.token}). */
  public static Optional<String> read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    String token = Files.readString(file, StandardCharsets.US_ASCII).trim();
    return machineOf(token).map(machine -> token);
  }

  static Mac mac(byte[] key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
