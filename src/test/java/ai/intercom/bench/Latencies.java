package ai.intercom.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** How the benches print a list of latencies: p50, p90 and max, and how many. */
final class Latencies {

  private Latencies() {}

  static void print(String what, List<Double> millis) {
    List<Double> sorted = new ArrayList<>(millis);
    Collections.sort(sorted);
    System.out.printf(
        "%s: p50 %.0f ms, p90 %.0f ms, max %.0f ms over %d%n",
        what,
        sorted.get(sorted.size() / 2),
        sorted.get((int) Math.ceil(sorted.size() * 0.9) - 1),
        sorted.get(sorted.size() - 1),
        sorted.size());
  }
}
