package ai.intercom.cli;

import ai.intercom.client.NodeClient;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code status} and {@code stop}: one mission, for an operator. */
public final class MissionCommands {

  private MissionCommands() {}

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Shows a mission: its state, latest progress, and result or reason.")
  public static final class Status extends ClientCommand {
    @Parameters(
        paramLabel = "MISSION",
        description = "The mission id, like m-20260101-0a1b2c (see 'ai-intercom missions').")
    String id;

    @Override
    int run(NodeClient node, PrintWriter out) {
      JsonNode mission = node.get("/api/missions/" + idSegment(id));
      out.println(
          mission.path("mission_id").asText()
              + " ("
              + mission.path("kind").asText()
              + ") "
              + mission.path("from").asText()
              + " -> "
              + mission.path("to").asText()
              + ": "
              + mission.path("status").asText());
      mission.path("progress").forEach(line -> out.println("  " + line.asText()));
      mission.path("receipts").forEach(receipt -> out.println(receiptLine(receipt)));
      for (String field : new String[] {"result", "reason"}) {
        if (mission.hasNonNull(field)) {
          out.println(field + ": " + mission.path(field).asText());
        }
      }
      if (mission.hasNonNull("cost_usd")) {
        out.printf(
            "cost: $%.4f, %d s%n",
            mission.path("cost_usd").asDouble(), mission.path("duration_ms").asLong() / 1000);
      }
      return 0;
    }
  }

  /** {@code delivery to a/b: injected (PostToolUse at ...), session s1}. */
  static String receiptLine(JsonNode receipt) {
    StringBuilder line =
        new StringBuilder("delivery to ")
            .append(receipt.path("agent").asText())
            .append(": ")
            .append(receipt.path("state").asText());
    if (receipt.hasNonNull("hook_event")) {
      line.append(" (")
          .append(receipt.path("hook_event").asText())
          .append(" hook at ")
          .append(receipt.path("injected_at").asText())
          .append(')');
    }
    if (receipt.hasNonNull("session")) {
      line.append(", session ").append(receipt.path("session").asText());
    }
    return line.append(", since ").append(receipt.path("at").asText()).toString();
  }

  @Command(
      name = "stop",
      mixinStandardHelpOptions = true,
      description =
          "Stops a mission: its agent process and everything it started end (TERM, then KILL).")
  public static final class Stop extends ClientCommand {
    @Parameters(
        paramLabel = "MISSION",
        description = "The mission id, like m-20260101-0a1b2c (see 'ai-intercom missions').")
    String id;

    @Option(
        names = "--by",
        paramLabel = "NAME",
        description = "Who stops it, for the record (default: operator).")
    String by;

    @Override
    int run(NodeClient node, PrintWriter out) {
      Map<String, String> body = new LinkedHashMap<>();
      body.put("by", by == null ? "operator" : by);
      JsonNode stopped = node.post("/api/missions/" + idSegment(id) + "/stop", body);
      out.println(stopped.path("mission_id").asText() + ": " + stopped.path("status").asText());
      return 0;
    }
  }
}
