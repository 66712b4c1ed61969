package ai.intercom.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a machine signs its requests to another machine: HMAC-SHA256, keyed with its token, over the
 * method, the path with its query, a timestamp (Unix seconds), a nonce and the SHA-256 of the body,
 * one per line. The headers carry the machine, the timestamp, the nonce and the signature.
 */
public final class RequestSignature {

  public static final String MACHINE = "X-Intercom-Machine";
  public static final String TIMESTAMP = "X-Intercom-Timestamp";
  public static final String NONCE = "X-Intercom-Nonce";
  public static final String SIGNATURE = "X-Intercom-Signature";

  private static final SecureRandom RANDOM = new SecureRandom();

  private RequestSignature() {}

  /** The headers of a request signed now by the holder of {@code token}. */
  public static Map<String, String> sign(
      String token, String method, String pathAndQuery, byte[] body, Instant now) {
    String machine =
        MachineTokens.machineOf(token)
            .orElseThrow(
                () -> new IllegalArgumentException("not a machine token (ict_<machine>_<hex>)"));
    byte[] nonce = new byte[16];
    RANDOM.nextBytes(nonce);
    String ts = Long.toString(now.getEpochSecond());
    String n = HexFormat.of().formatHex(nonce);
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put(MACHINE, machine);
    headers.put(TIMESTAMP, ts);
    headers.put(NONCE, n);
    headers.put(SIGNATURE, signature(token, method, pathAndQuery, ts, n, body));
    return headers;
  }

  /** The signature of a request as its headers and body give it. */
  public static String signature(
      String token,
      String method,
      String pathAndQuery,
      String timestamp,
      String nonce,
      byte[] body) {
    return hmacHex(
        token.getBytes(StandardCharsets.UTF_8),
        method.toUpperCase(java.util.Locale.ROOT)
            + "\n"
            + pathAndQuery
            + "\n"
            + timestamp
            + "\n"
            + nonce
            + "\n"
            + sha256Hex(body));
  }

  /** Whether two signatures are the same, in time that does not depend on where they differ. */
  public static boolean same(String expected, String presented) {
    return presented != null
        && MessageDigest.isEqual(
            expected.getBytes(StandardCharsets.US_ASCII),
            presented.getBytes(StandardCharsets.US_ASCII));
  }

  static String hmacHex(byte[] key, String text) {
    return HexFormat.of()
        .formatHex(MachineTokens.mac(key).doFinal(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static String sha256Hex(byte[] body) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(body == null ? new byte[0] : body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
