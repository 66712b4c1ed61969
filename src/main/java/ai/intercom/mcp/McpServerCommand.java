package ai.intercom.mcp;

import ai.intercom.client.NodeClient;
import ai.intercom.config.ConfigLoader;
import ai.intercom.config.Settings;
import ai.intercom.config.Version;
import ai.intercom.protocol.AgentId;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ai-intercom mcp-server}: the stdio MCP server an agent starts, one per agent session, a
 * thin client of this machine's node. stdout carries only JSON-RPC; logs go to stderr.
 */
@Command(
    name = "mcp-server",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the stdio MCP server of one agent session (started by the agent, e.g. in .mcp.json).",
      "It registers the session with the local node and speaks JSON-RPC on stdin/stdout."
    })
public final class McpServerCommand implements Callable<Integer> {

  /** Read timeout of calls that wait on the node: one wait (100 s) and its margin. */
  static final Duration LONGEST_WAIT = Duration.ofSeconds(130);

  @Option(
      names = "--project",
      paramLabel = "NAME",
      description = "The project this agent works on (default: the name of the current directory).")
  String project;

  /**
   * The command for exactly {@code mcp-server [--project NAME]}, else null (then picocli parses,
   * with help and errors).
   */
  public static McpServerCommand parseExact(String[] args) {
    if (args.length == 0 || !args[0].equals("mcp-server")) {
      return null;
    }
    McpServerCommand command = new McpServerCommand();
    if (args.length == 1) {
      return command;
    }
    if (args.length == 2 && args[1].startsWith("--project=")) {
      command.project = args[1].substring("--project=".length());
      return command;
    }
    if (args.length == 3 && args[1].equals("--project")) {
      command.project = args[2];
      return command;
    }
    return null;
  }

  @Override
  public Integer call() throws InterruptedException {
    Settings settings = Settings.from(ConfigLoader.fromEnvironment().loadForClient());
    String name = project != null ? project : Path.of("").toAbsolutePath().getFileName().toString();
    if (!AgentId.isValidPart(name)) {
      throw new IllegalArgumentException(
          "project name '"
              + name
              + "' must be 1-63 letters, digits, '.', '_' or '-' (use --project)");
    }
    Optional<String> missionId =
        Optional.ofNullable(System.getenv("INTERCOM_MISSION_ID")).filter(id -> !id.isBlank());
    AgentSession session =
        new AgentSession(
            new NodeClient(settings),
            new NodeClient(settings, settings.hub().listen().port(), LONGEST_WAIT),
            name,
            missionId);
    // registered once the server answers: the agent waits for the handshake, not for this
    Thread registration =
        new Thread(
            () -> {
              try {
                session.ensureRegistered();
              } catch (NodeClient.NodeException e) {
                // the tools say so, and register once the node is there
                LoggerFactory.getLogger(McpServerCommand.class)
                    .warn("not registered yet: {}", e.getMessage());
              }
            },
            "mcp-register");
    registration.setDaemon(true);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    session.unregister();
                  } catch (RuntimeException e) {
                    // the node is gone too; it notices the dead agent by itself
                  }
                },
                "mcp-unregister"));

    McpJsonMapper mapper = new JacksonMcpJsonMapper(new ObjectMapper());
    Tools tools = new Tools(session, mapper, missionId);
    McpServer.sync(
            new StdioServerTransportProvider(
                mapper, new GuardedStdin(System.in, () -> System.exit(0)), System.out))
        .serverInfo("ai-intercom", Version.current())
        .capabilities(ServerCapabilities.builder().tools(false).build())
        .jsonSchemaValidator(new LazySchemaValidator())
        .tools(tools.all())
        .build();
    registration.start();
    // serves until stdin ends (then GuardedStdin ends the process) or a signal comes
    new CountDownLatch(1).await();
    return 0;
  }
}
