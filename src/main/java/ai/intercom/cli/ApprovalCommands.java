package ai.intercom.cli;

import ai.intercom.client.NodeClient;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code approvals}, {@code approve}, {@code deny}: the approval gate without Telegram. */
public final class ApprovalCommands {

  private ApprovalCommands() {}

  @Command(
      name = "approvals",
      mixinStandardHelpOptions = true,
      description = "Lists the messages waiting for the operator's approval.")
  public static final class ListApprovals extends ClientCommand {
    @Override
    int run(NodeClient node, PrintWriter out) {
      Table.print(
          out,
          node.get("/api/approvals").path("approvals"),
          "no pending approvals",
          new String[] {"ID", "AGE", "FROM -> TO", "TYPE", "PREVIEW", "RULE"},
          approval ->
              new String[] {
                approval.path("id").asText(),
                Table.age(
                    Duration.between(
                        Instant.parse(approval.path("created_at").asText()), Instant.now())),
                approval.at("/request/from").asText()
                    + " -> "
                    + approval.at("/request/to").asText(),
                approval.at("/request/type").asText().toLowerCase(Locale.ROOT),
                Table.cut(approval.at("/request/message").asText(), 48),
                approval.path("rule").asText()
              });
      return 0;
    }
  }

  /** The id and the decider shared by approve and deny. */
  abstract static class Decision extends ClientCommand {
    @Parameters(paramLabel = "ID", description = "The approval id (see 'ai-intercom approvals').")
    String id;

    @Option(
        names = "--by",
        paramLabel = "NAME",
        description = "Who decides, for the record (default: operator).")
    String by;

    int decide(NodeClient node, PrintWriter out, String verb, String key, String value) {
      Map<String, String> body = new LinkedHashMap<>();
      body.put(key, value);
      body.put("by", by);
      return printDecision(node.post("/api/approvals/" + idSegment(id) + "/" + verb, body), out);
    }
  }

  @Command(
      name = "approve",
      mixinStandardHelpOptions = true,
      description =
          "Approves a pending message; --level also lets similar ones through from then on.")
  public static final class Approve extends Decision {
    @Option(
        names = "--level",
        paramLabel = "LEVEL",
        description =
            "once (this message), mission (the rest of its mission), session (this agent pair until"
                + " the hub restarts) or always (this agent pair for good). Default: what the matching rule asks.")
    String level;

    @Override
    int run(NodeClient node, PrintWriter out) {
      return decide(node, out, "approve", "level", level);
    }
  }

  @Command(
      name = "deny",
      mixinStandardHelpOptions = true,
      description = "Denies a pending message; its sender is told why.")
  public static final class Deny extends Decision {
    @Option(names = "--reason", paramLabel = "TEXT", description = "Told to the sender.")
    String reason;

    @Override
    int run(NodeClient node, PrintWriter out) {
      return decide(node, out, "deny", "reason", reason);
    }
  }

  static int printDecision(JsonNode decision, PrintWriter out) {
    out.println(decision.path("approval_id").asText() + ": " + decision.path("sentence").asText());
    JsonNode also = decision.path("also_released");
    if (also.size() > 0) {
      StringBuilder ids = new StringBuilder();
      also.forEach(id -> ids.append(ids.length() == 0 ? "" : ", ").append(id.asText()));
      out.println("also released by the same grant: " + ids);
    }
    return 0;
  }
}
