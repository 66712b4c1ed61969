package ai.intercom.cli;

import ai.intercom.client.HubDiscovery;
import ai.intercom.client.JoinClient;
import ai.intercom.client.NodeClient;
import ai.intercom.config.ConfigLoader;
import ai.intercom.config.Settings;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Admission of machines: {@code join} on a new machine, and on the hub {@code machines approve |
 * deny | revoke}.
 */
public final class MachineCommands {

  private MachineCommands() {}

  @Command(
      name = "join",
      mixinStandardHelpOptions = true,
      description = {
        "Asks the hub to admit this machine to the network, waits for the operator's decision and"
            + " keeps the token and cluster certificate it gets in $INTERCOM_HOME.",
        "Exit 0 once admitted (or a member already), 1 when denied or refused, 3 when still"
            + " waiting after --wait (run it again to go on waiting)."
      })
  public static final class Join implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--hub-url",
        paramLabel = "URL",
        description =
            "The hub's HTTP address, e.g. http://100.64.0.1:7700 (default: HUB_URL, else the hub"
                + " found among the Tailscale peers).")
    String hubUrl;

    @Option(
        names = "--hub-port",
        paramLabel = "PORT",
        defaultValue = "7700",
        description = "The HTTP port asked on each Tailscale peer (default: ${DEFAULT-VALUE}).")
    int hubPort;

    @Option(
        names = "--wait",
        paramLabel = "SECONDS",
        defaultValue = "600",
        description = "How long to wait for the operator (default: ${DEFAULT-VALUE}).")
    long waitSeconds;

    @Override
    public Integer call() throws Exception {
      Settings settings = Settings.from(ConfigLoader.fromEnvironment().loadForClient());
      PrintWriter out = spec.commandLine().getOut();
      String url = hubUrl != null ? hubUrl : settings.hub().url();
      if (url == null || url.isBlank()) {
        if (hubPort < 1 || hubPort > 65535) {
          throw new picocli.CommandLine.ParameterException(
              spec.commandLine(), "--hub-port must be 1-65535");
        }
        try {
          url =
              new HubDiscovery(List.of("tailscale"), hubPort)
                  .find(
                      line -> {
                        out.println(line);
                        out.flush();
                      });
        } catch (HubDiscovery.NotFound e) {
          spec.commandLine().getErr().println("ai-intercom: error: " + e.getMessage());
          return 1;
        }
      }
      if (!url.matches("https?://[^/\\s]+/?")) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(), "--hub-url '" + url + "' is not a URL like http://100.64.0.1:7700");
      }
      if (waitSeconds < 0) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--wait must be >= 0");
      }
      JoinClient.Outcome outcome;
      try {
        outcome =
            new JoinClient(settings, url, Duration.ofSeconds(1))
                .join(
                    Duration.ofSeconds(waitSeconds),
                    line -> {
                      out.println(line);
                      out.flush();
                    });
      } catch (JoinClient.JoinException e) {
        spec.commandLine().getErr().println("ai-intercom: error: " + e.getMessage());
        return 1;
      }
      switch (outcome.status()) {
        case "member" ->
            out.println(
                "machine "
                    + outcome.machineId()
                    + " is a member of the network at "
                    + outcome.hubUrl());
        case "approved" ->
            out.println(
                "admitted: machine "
                    + outcome.machineId()
                    + " holds its token and certificate; start its node with 'ai-intercom daemon'");
        default -> {
          out.println(
              "still waiting for the operator; run 'ai-intercom join' again to go on waiting");
          return 3;
        }
      }
      return 0;
    }
  }

  /** One decision on a machine, by the operator on the hub. */
  abstract static class Decision extends ClientCommand {
    @Parameters(index = "0", paramLabel = "MACHINE", description = "The machine id.")
    String machine;

    abstract String verb();

    Map<String, Object> body() {
      return Map.of();
    }

    @Override
    int run(NodeClient node, PrintWriter out) {
      JsonNode done = node.post("/api/machines/" + idSegment(machine) + "/" + verb(), body());
      out.println(
          "machine "
              + done.path("machine_id").asText()
              + " is "
              + done.path("join_status").asText()
              + (done.path("reason").asText("").isBlank()
                  ? ""
                  : ": " + done.path("reason").asText()));
      return 0;
    }
  }

  abstract static class WithReason extends Decision {
    @Option(names = "--reason", paramLabel = "TEXT", description = "Why, told to the machine.")
    String reason;

    @Override
    Map<String, Object> body() {
      return reason == null ? Map.of() : Map.of("reason", reason);
    }
  }

  @Command(
      name = "approve",
      mixinStandardHelpOptions = true,
      description = "Admits a machine that asked to join: it gets its token and certificate.")
  static final class Approve extends Decision {
    @Override
    String verb() {
      return "approve";
    }
  }

  @Command(
      name = "deny",
      mixinStandardHelpOptions = true,
      description = "Turns down a machine's join request.")
  static final class Deny extends WithReason {
    @Override
    String verb() {
      return "deny";
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description =
          "Takes a machine out of the network: its node is downed, its token and certificate stop"
              + " working at once.")
  static final class Revoke extends WithReason {
    @Override
    String verb() {
      return "revoke";
    }
  }
}
