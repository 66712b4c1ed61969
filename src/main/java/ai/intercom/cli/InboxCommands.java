package ai.intercom.cli;

import ai.intercom.client.NodeClient;
import ai.intercom.config.ConfigLoader;
import ai.intercom.config.Settings;
import ai.intercom.protocol.Ids;
import ai.intercom.protocol.JsonFormat;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code check-inbox} and {@code wait-inbox}: this session's messages, for hooks and for people.
 * The session is found like the hook scripts find it: through the processes above this one (the
 * agent is also the parent of the session's MCP server), unless {@code --session} or
 * INTERCOM_SESSION_ID names it.
 */
public final class InboxCommands {

  private InboxCommands() {}

  abstract static class SessionCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--session",
        paramLabel = "ID",
        description =
            "The session (default: INTERCOM_SESSION_ID, else the session of the agent above this process).")
    String session;

    Settings settings() {
      return Settings.from(ConfigLoader.fromEnvironment().loadForClient());
    }

    /** The session id, or empty when this process belongs to no registered session. */
    Optional<String> session(Settings settings) {
      String named = session != null ? session : System.getenv("INTERCOM_SESSION_ID");
      if (named != null) {
        if (!Ids.isSessionId(named)) {
          throw new ParameterException(spec.commandLine(), "'" + named + "' is not a session id");
        }
        return Optional.of(named);
      }
      Path links = settings.inboxDir().resolve("pid");
      Optional<ProcessHandle> process = ProcessHandle.current().parent();
      for (int depth = 0; depth < 32 && process.isPresent(); depth++) {
        Path link = links.resolve(Long.toString(process.get().pid()));
        try {
          if (Files.isRegularFile(link)) {
            return Optional.of(Files.readString(link, StandardCharsets.UTF_8).trim());
          }
        } catch (IOException e) {
          return Optional.empty();
        }
        process = process.get().parent();
      }
      return Optional.empty();
    }
  }

  @Command(
      name = "check-inbox",
      mixinStandardHelpOptions = true,
      description = {
        "Prints this session's new messages and marks them delivered.",
        "--format hook prints Claude Code's hook output, or nothing when there is nothing new or no node."
      })
  public static final class Check extends SessionCommand {
    @Option(
        names = "--format",
        paramLabel = "FORMAT",
        defaultValue = "json",
        description = "json (default) or hook.")
    String format;

    @Option(
        names = "--event",
        paramLabel = "EVENT",
        defaultValue = "PostToolUse",
        description =
            "The hook event for --format hook: PostToolUse (default), UserPromptSubmit or SessionStart.")
    String event;

    @Override
    public Integer call() throws JsonProcessingException {
      if (!format.equals("json") && !format.equals("hook")) {
        throw new ParameterException(spec.commandLine(), "--format must be json or hook");
      }
      boolean hook = format.equals("hook");
      Settings settings = settings();
      Optional<String> id = session(settings);
      if (id.isEmpty()) {
        if (hook) {
          return 0;
        }
        throw new NodeClient.NodeException(
            "this process belongs to no registered session (run it from the agent's hooks, or pass --session)");
      }
      JsonNode answer;
      try {
        answer =
            new NodeClient(settings)
                .post(
                    "/api/inbox/" + id.get() + "/check?format=" + format + "&event=" + event, null);
      } catch (NodeClient.NodeException e) {
        if (hook) {
          return 0;
        }
        throw e;
      }
      if (!answer.isNull() && !answer.isMissingNode()) {
        spec.commandLine().getOut().println(JsonFormat.MAPPER.writeValueAsString(answer));
      }
      return 0;
    }
  }

  @Command(
      name = "wait-inbox",
      mixinStandardHelpOptions = true,
      description = {
        "Waits for a message to this session (for a Stop or SessionStart hook with asyncRewake).",
        "Exit 2 with the message on stderr when one arrives (this wakes an idle Claude Code);",
        "exit 0 at the timeout or when no node runs."
      })
  public static final class Wait extends SessionCommand {
    @Option(
        names = "--timeout",
        paramLabel = "SECONDS",
        defaultValue = "3000",
        description = "How long to wait, in seconds (default 3000).")
    long timeout;

    @Override
    public Integer call() {
      if (timeout < 0) {
        throw new ParameterException(spec.commandLine(), "--timeout must be 0 or more seconds");
      }
      Settings settings = settings();
      Optional<String> id = session(settings);
      if (id.isEmpty()) {
        return 0;
      }
      NodeClient node =
          new NodeClient(settings, settings.hub().listen().port(), Duration.ofSeconds(130));
      Instant deadline = Instant.now().plusSeconds(timeout);
      do {
        long seconds =
            Math.min(100, Math.max(0, Duration.between(Instant.now(), deadline).toSeconds()));
        JsonNode answer;
        try {
          answer = node.post("/api/inbox/" + id.get() + "/wait?timeout=" + seconds, null);
        } catch (NodeClient.NodeException e) {
          return 0;
        }
        if (answer.path("status").asText().equals("message")) {
          spec.commandLine().getErr().println(answer.path("text").asText());
          spec.commandLine().getErr().flush();
          return 2;
        }
      } while (Instant.now().isBefore(deadline));
      return 0;
    }
  }
}
