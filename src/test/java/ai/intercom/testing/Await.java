package ai.intercom.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits for a condition instead of sleeping a fixed time: polls it, and fails the test at the
 * deadline.
 */
public final class Await {

  public static final Duration DEFAULT = Duration.ofSeconds(20);

  private Await() {}

  public static void until(BooleanSupplier condition) throws InterruptedException {
    until(condition, DEFAULT, () -> "condition not met within " + DEFAULT.toSeconds() + " s");
  }

  public static void until(BooleanSupplier condition, Duration within, Supplier<String> what)
      throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, what);
      Thread.sleep(20);
    }
  }
}
