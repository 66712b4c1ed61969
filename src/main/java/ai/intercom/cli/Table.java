package ai.intercom.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Left-aligned text columns for operator tables. */
final class Table {

  /**
   * Prints one row per element of {@code items} (a JSON array from the node), or the sentence
   * {@code none} when it is empty.
   */
  static void print(
      PrintWriter out,
      JsonNode items,
      String none,
      String[] headings,
      Function<JsonNode, String[]> row) {
    if (items.isEmpty()) {
      out.println(none);
      return;
    }
    Table table = new Table(headings);
    items.forEach(item -> table.row(row.apply(item)));
    table.print(out);
  }

  /** How long ago an ISO-8601 instant was: "3m ago"; "-" for none. */
  static String ago(String instant) {
    return instant == null || instant.isBlank()
        ? "-"
        : age(Duration.between(Instant.parse(instant), Instant.now())) + " ago";
  }

  /** A duration in the largest unit that fits: 42s, 5m, 2h10m. */
  static String age(Duration age) {
    long s = Math.max(0, age.toSeconds());
    return s < 60 ? s + "s" : s < 3600 ? s / 60 + "m" : s / 3600 + "h" + (s % 3600) / 60 + "m";
  }

  private final List<String[]> rows = new ArrayList<>();

  Table(String... headings) {
    rows.add(headings);
  }

  Table row(String... cells) {
    rows.add(cells);
    return this;
  }

  void print(PrintWriter out) {
    int columns = rows.get(0).length;
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        line.append(i == columns - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
      }
      out.println(line.toString().stripTrailing());
    }
  }

  /** Cuts a cell to {@code max} characters on one line. */
  static String cut(String text, int max) {
    String flat = text == null ? "" : text.replaceAll("\\s+", " ").trim();
    return flat.length() <= max ? flat : flat.substring(0, max - 1) + "…";
  }
}
