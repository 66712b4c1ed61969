package ai.intercom.testing;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** Fresh ids of the product's forms for tests that make entities directly. */
public final class TestIds {

  private TestIds() {}

  /** {@code m-20261202-xxxxxx}, random. */
  public static String missionId() {
    byte[] bytes = new byte[3];
    ThreadLocalRandom.current().nextBytes(bytes);
    return "m-20261202-" + HexFormat.of().formatHex(bytes);
  }
}
