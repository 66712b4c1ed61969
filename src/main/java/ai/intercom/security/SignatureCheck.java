package ai.intercom.security;

import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The receiving side of {@link RequestSignature}: a request is let in when its timestamp is within
 * the window of now (either way), its signature is the one its machine's token gives, and its nonce
 * was not seen before. Nonces are kept until their request's timestamp leaves the window, then
 * forgotten: a replay after that fails on its timestamp.
 */
public final class SignatureCheck {

  /** Nonces held at most; past this, signed requests are refused until the window moves on. */
  static final int MAX_NONCES = 200_000;

  private final Duration window;
  private final Clock clock;
  private final Map<String, Long> nonces = new ConcurrentHashMap<>();
  private final AtomicLong lastSweep = new AtomicLong();

  public SignatureCheck(Duration window, Clock clock) {
    this.window = window;
    this.clock = clock;
  }

  /** What is wrong with the headers before any token is looked up; empty if nothing. */
  public Optional<String> precheck(
      String machine, String timestamp, String nonce, String signature) {
    if (machine == null || timestamp == null || nonce == null || signature == null) {
      return Optional.of(
          "unsigned request: "
              + RequestSignature.MACHINE
              + ", "
              + RequestSignature.TIMESTAMP
              + ", "
              + RequestSignature.NONCE
              + " and "
              + RequestSignature.SIGNATURE
              + " are required");
    }
    if (!nonce.matches("[0-9a-f]{16,64}")) {
      return Optional.of("malformed nonce");
    }
    long ts;
    try {
      ts = Long.parseLong(timestamp);
    } catch (NumberFormatException e) {
      return Optional.of("malformed timestamp");
    }
    long skew = Math.abs(clock.instant().getEpochSecond() - ts);
    if (skew > window.toSeconds()) {
      return Optional.of(
          "timestamp "
              + skew
              + " s away from the hub's clock (more than "
              + window.toSeconds()
              + " s)");
    }
    return Optional.empty();
  }

  /**
   * Checks the signature with the machine's token, then takes the nonce (only a rightly signed
   * request can use one up); empty if the request is let in, else why not.
   */
  public Optional<String> verify(
      String token,
      String machine,
      String method,
      String pathAndQuery,
      String timestamp,
      String nonce,
      String signature,
      byte[] body) {
    Optional<String> early = precheck(machine, timestamp, nonce, signature);
    if (early.isPresent()) {
      return early;
    }
    String expected =
        RequestSignature.signature(token, method, pathAndQuery, timestamp, nonce, body);
    if (!RequestSignature.same(expected, signature)) {
      return Optional.of("bad signature");
    }
    long now = clock.millis();
    forgetExpired(now);
    if (nonces.size() >= MAX_NONCES) {
      return Optional.of("too many signed requests in the last " + window.toSeconds() + " s");
    }
    long keepUntil = (Long.parseLong(timestamp) + window.toSeconds()) * 1000;
    if (nonces.putIfAbsent(machine + "/" + nonce, keepUntil) != null) {
      return Optional.of("replayed request (nonce seen before)");
    }
    return Optional.empty();
  }

  /** Nonces held now (for tests and the bench). */
  int held() {
    lastSweep.set(0);
    forgetExpired(clock.millis());
    return nonces.size();
  }

  private void forgetExpired(long now) {
    long last = lastSweep.get();
    if (now - last < 1000 && nonces.size() < MAX_NONCES) {
      return;
    }
    if (!lastSweep.compareAndSet(last, now)) {
      return;
    }
    for (Iterator<Long> it = nonces.values().iterator(); it.hasNext(); ) {
      if (it.next() < now) {
        it.remove();
      }
    }
  }
}
