package ai.intercom.cli;

import ai.intercom.client.NodeClient;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.protocol.MissionStatus;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
      description = {
        "Without a mission: the network at a glance (machines online or not, sessions and their"
            + " state, running missions with their latest step, approvals waiting).",
        "With one: its state, progress, deliveries, and result or reason."
      })
  public static final class Status extends ClientCommand {
    @Parameters(
        paramLabel = "MISSION",
        arity = "0..1",
        description = "The mission id, like m-20260101-0a1b2c (see 'ai-intercom missions').")
    String id;

    /** Running missions shown with their latest step; the rest are counted. */
    static final int RUNNING_SHOWN = 20;

    @Override
    int run(NodeClient node, PrintWriter out) {
      if (id == null) {
        overview(node, out);
        return 0;
      }
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

  /** The network at a glance, one section each, from the node's tables. */
  static void overview(NodeClient node, PrintWriter out) {
    JsonNode machines = node.get("/api/machines").path("machines");
    int online = 0;
    for (JsonNode machine : machines) {
      online += machine.path("online").asBoolean() ? 1 : 0;
    }
    out.println("Machines: " + online + " of " + machines.size() + " online");
    Table.print(
        out,
        machines,
        "  (none)",
        new String[] {"  MACHINE", "ONLINE", "JOIN", "PROJECTS", "SESSIONS", "LAST SEEN"},
        machine ->
            new String[] {
              "  " + machine.path("machine_id").asText(),
              machine.path("online").asBoolean() ? "yes" : "no",
              machine.path("join_status").asText(),
              machine.path("projects").asText(),
              machine.path("sessions").asText(),
              Table.ago(machine.path("last_seen").asText(null))
            });

    List<JsonNode> sessions = new ArrayList<>();
    node.get("/api/agents?filter=all")
        .path("agents")
        .forEach(
            agent ->
                agent
                    .path("sessions")
                    .forEach(
                        session -> {
                          if (!session.hasNonNull("ended_at")) {
                            ObjectNode row = session.deepCopy();
                            row.put("agent", agent.path("agent").asText());
                            sessions.add(row);
                          }
                        }));
    out.println();
    out.println("Sessions: " + sessions.size());
    Table.print(
        out,
        JsonFormat.MAPPER.valueToTree(sessions),
        "  (none)",
        new String[] {"  AGENT", "SESSION", "STATE", "SINCE", "MISSION"},
        session ->
            new String[] {
              "  " + session.path("agent").asText(),
              session.path("session_id").asText(),
              session.path("status").asText(),
              Table.ago(session.path("since").asText(null)),
              session.path("mission_id").isTextual() ? session.path("mission_id").asText() : ""
            });

    List<JsonNode> running = new ArrayList<>();
    node.get("/api/missions?limit=200")
        .path("missions")
        .forEach(
            mission -> {
              if (mission.path("status").asText().equals(MissionStatus.RUNNING.wire())) {
                running.add(mission);
              }
            });
    out.println();
    out.println("Missions running: " + running.size());
    for (JsonNode mission : running.subList(0, Math.min(Status.RUNNING_SHOWN, running.size()))) {
      JsonNode whole =
          node.get(
              "/api/missions/"
                  + URLEncoder.encode(mission.path("mission_id").asText(), StandardCharsets.UTF_8));
      JsonNode progress = whole.path("progress");
      out.println(
          "  "
              + mission.path("mission_id").asText()
              + " "
              + mission.path("from").asText()
              + " -> "
              + mission.path("to").asText()
              + ": "
              + mission.path("status").asText()
              + (progress.isEmpty()
                  ? ""
                  : ", latest: " + Table.cut(progress.get(progress.size() - 1).asText(), 70)));
    }
    if (running.size() > Status.RUNNING_SHOWN) {
      out.println(
          "  ... and " + (running.size() - Status.RUNNING_SHOWN) + " more (ai-intercom missions)");
    }

    JsonNode approvals = node.get("/api/approvals").path("approvals");
    out.println();
    out.println("Approvals waiting: " + approvals.size());
    for (JsonNode approval : approvals) {
      out.println(
          "  "
              + approval.path("id").asText()
              + " "
              + approval.at("/request/from").asText()
              + " -> "
              + approval.at("/request/to").asText()
              + ": "
              + Table.cut(approval.at("/request/message").asText(), 60)
              + "  (ai-intercom approve|deny "
              + approval.path("id").asText()
              + ")");
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
