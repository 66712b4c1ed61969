package ai.intercom.cli;

import ai.intercom.client.NodeClient;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code policy show|reload}: the approval policy in force. */
@Command(
    name = "policy",
    mixinStandardHelpOptions = true,
    description = "Shows or reloads the approval policy ($INTERCOM_HOME/policies.yml).",
    subcommands = {PolicyCommand.Show.class, PolicyCommand.Reload.class})
public final class PolicyCommand implements Runnable {

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "say 'policy show' or 'policy reload'");
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Prints the effective rules, in order, and the runtime grants.")
  static final class Show extends ClientCommand {
    @Override
    int run(NodeClient node, PrintWriter out) {
      print(node.get("/api/policy"), out);
      return 0;
    }
  }

  @Command(
      name = "reload",
      mixinStandardHelpOptions = true,
      description =
          "Re-reads policies.yml; pending approvals and grants are kept. A broken file is refused.")
  static final class Reload extends ClientCommand {
    @Override
    int run(NodeClient node, PrintWriter out) {
      JsonNode view = node.post("/api/policy/reload", null);
      out.println(
          "reloaded " + view.path("source").asText() + ": " + view.path("rules").size() + " rules");
      print(view, out);
      return 0;
    }
  }

  static void print(JsonNode view, PrintWriter out) {
    out.println("policy: " + view.path("source").asText());
    out.println("default: " + view.path("default_approval").asText());
    JsonNode rules = view.path("rules");
    if (rules.isEmpty()) {
      out.println("rules: none");
    } else {
      Table table = new Table("#", "FROM", "TO", "TYPE", "MESSAGE PATTERN", "APPROVAL", "LABEL");
      for (JsonNode rule : rules) {
        table.row(
            rule.path("number").asText(),
            rule.path("from").asText(),
            rule.path("to").asText(),
            rule.path("type").asText(),
            rule.path("message_pattern").asText("*"),
            rule.path("approval").asText(),
            rule.path("label").asText(""));
      }
      table.print(out);
    }
    out.println(
        "grants: always "
            + list(view.path("always_grants"))
            + "; session "
            + list(view.path("session_grants"))
            + "; missions "
            + list(view.path("mission_grants")));
  }

  private static String list(JsonNode values) {
    if (values.isEmpty()) {
      return "none";
    }
    StringBuilder text = new StringBuilder();
    values.forEach(v -> text.append(text.length() == 0 ? "" : ", ").append(v.asText()));
    return text.toString();
  }
}
