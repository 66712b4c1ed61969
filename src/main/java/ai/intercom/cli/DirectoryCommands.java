package ai.intercom.cli;

import ai.intercom.client.NodeClient;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code agents}, {@code machines}, {@code missions}, {@code feedback}: tables for an operator. */
public final class DirectoryCommands {

  private DirectoryCommands() {}

  @Command(
      name = "agents",
      mixinStandardHelpOptions = true,
      description =
          "Lists the agents (machine/project) of the network, online or not, with their running sessions.")
  public static final class Agents extends ClientCommand {
    @Option(
        names = "--filter",
        paramLabel = "FILTER",
        defaultValue = "all",
        description = "all (default), online, or machine:<id>.")
    String filter;

    @Override
    int run(NodeClient node, PrintWriter out) {
      Table.print(
          out,
          node.get("/api/agents?filter=" + URLEncoder.encode(filter, StandardCharsets.UTF_8))
              .path("agents"),
          "no agents (set INTERCOM_SCAN_PATHS for discovery, or start an agent with the MCP server)",
          new String[] {"AGENT", "ONLINE", "SESSIONS", "DESCRIPTION"},
          agent ->
              new String[] {
                agent.path("agent").asText(),
                agent.path("online").asBoolean() ? "yes" : "no",
                sessions(agent.path("sessions")),
                Table.cut(agent.path("description").asText(), 60)
              });
      return 0;
    }
  }

  /** {@code 2: idle, working; 1 gone}: the running sessions' states, and those gone lately. */
  static String sessions(com.fasterxml.jackson.databind.JsonNode sessions) {
    java.util.List<String> running = new java.util.ArrayList<>();
    int gone = 0;
    for (var session : sessions) {
      if (session.hasNonNull("ended_at")) {
        gone++;
      } else {
        running.add(session.path("status").asText());
      }
    }
    String text = running.size() + (running.isEmpty() ? "" : ": " + String.join(", ", running));
    return gone == 0 ? text : text + "; " + gone + " gone";
  }

  @Command(
      name = "machines",
      mixinStandardHelpOptions = true,
      description =
          "Lists the machines of the network: online or not, projects, sessions, last seen."
              + " On the hub: approve, deny or revoke a machine.",
      subcommands = {
        MachineCommands.Approve.class,
        MachineCommands.Deny.class,
        MachineCommands.Revoke.class
      })
  public static final class Machines extends ClientCommand {
    @Override
    int run(NodeClient node, PrintWriter out) {
      Table.print(
          out,
          node.get("/api/machines").path("machines"),
          "no machines registered yet",
          new String[] {
            "MACHINE", "STATUS", "ONLINE", "PROJECTS", "SESSIONS", "LAST SEEN", "DESCRIPTION"
          },
          machine ->
              new String[] {
                machine.path("machine_id").asText(),
                machine.path("join_status").asText(),
                machine.path("online").asBoolean() ? "yes" : "no",
                machine.path("projects").asText(),
                machine.path("sessions").asText(),
                Table.ago(machine.path("last_seen").asText(null)),
                Table.cut(machine.path("description").asText(), 40)
              });
      return 0;
    }
  }

  @Command(
      name = "missions",
      mixinStandardHelpOptions = true,
      description = "Lists the missions with the latest changes (run it on the hub node).")
  public static final class Missions extends ClientCommand {
    @Option(
        names = "--limit",
        paramLabel = "N",
        defaultValue = "20",
        description = "How many (default 20).")
    int limit;

    @Override
    int run(NodeClient node, PrintWriter out) {
      Table.print(
          out,
          node.get("/api/missions?limit=" + limit).path("missions"),
          "no missions yet",
          new String[] {"MISSION", "STATUS", "KIND", "FROM -> TO", "UPDATED", "PROMPT"},
          mission ->
              new String[] {
                mission.path("mission_id").asText(),
                mission.path("status").asText(),
                mission.path("kind").asText(),
                mission.path("from").asText() + " -> " + mission.path("to").asText(),
                Table.ago(mission.path("updated_at").asText(null)),
                Table.cut(mission.path("prompt").asText(), 48)
              });
      return 0;
    }
  }

  @Command(
      name = "feedback",
      mixinStandardHelpOptions = true,
      description = "Lists what agents reported with intercom_report_feedback, oldest first.")
  public static final class Feedback extends ClientCommand {
    @Override
    int run(NodeClient node, PrintWriter out) {
      Table.print(
          out,
          node.get("/api/feedback").path("feedback"),
          "no feedback reported",
          new String[] {"WHEN", "FROM", "TYPE", "DESCRIPTION"},
          report ->
              new String[] {
                Table.ago(report.path("at").asText(null)),
                report.path("agent").asText(),
                report.path("type").asText(),
                Table.cut(report.path("description").asText(), 80)
              });
      return 0;
    }
  }
}
