package ai.intercom.app;

import ai.intercom.cli.ApprovalCommands;
import ai.intercom.cli.DirectoryCommands;
import ai.intercom.cli.InboxCommands;
import ai.intercom.cli.MachineCommands;
import ai.intercom.cli.MissionCommands;
import ai.intercom.cli.PolicyCommand;
import ai.intercom.config.Version;
import ai.intercom.install.SetupCommands;
import ai.intercom.mcp.McpServerCommand;
import ai.intercom.protocol.NodeRole;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ai-intercom} command line: parses it and hands over to the chosen command. */
@Command(
    name = "ai-intercom",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    description =
        "Agents on several machines find each other, chat and delegate work, overseen by a human.",
    synopsisSubcommandLabel = "COMMAND",
    commandListHeading = "%nCommands:%n",
    footer = {
      "",
      "Environment: INTERCOM_HOME (default ~/.config/ai-intercom), INTERCOM_MACHINE_ID,",
      "INTERCOM_HTTP_PORT, INTERCOM_CLUSTER_PORT, HUB_URL, ... (see README).",
      "Run 'ai-intercom COMMAND --help' for a command's options."
    })
public final class Main implements Runnable {

  /** Logger of failures told to the operator in one line; it writes only to the log file. */
  static final String FAILURES = "ai.intercom.failure";

  static final String COMMON_POOL_PARALLELISM =
      "java.util.concurrent.ForkJoinPool.common.parallelism";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // Pekko's CompletionStages run their callbacks on the common pool; below two
    // threads the JDK starts a new thread for every callback instead (2-core machines)
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
      System.setProperty(
          COMMON_POOL_PARALLELISM,
          String.valueOf(Math.max(2, Runtime.getRuntime().availableProcessors())));
    }
    // A node's start skips building the command-line model: picocli's classes
    // predate class-data sharing and cost ~150 ms to load and verify.
    // So does the MCP server, which an agent waits for.
    Callable<Integer> fast = NodeCommand.parseExact(args);
    if (fast == null) {
      fast = McpServerCommand.parseExact(args);
    }
    System.exit(fast != null ? runDirectly(fast) : commandLine().execute(args));
  }

  private static int runDirectly(Callable<Integer> command) {
    try {
      return command.call();
    } catch (Exception e) {
      LoggerFactory.getLogger(FAILURES).error("the command failed", e);
      System.err.println("ai-intercom: error: " + oneLine(e));
      return 1;
    }
  }

  static CommandLine commandLine() {
    CommandLine line = new CommandLine(new Main());
    for (NodeRole role : NodeRole.values()) {
      CommandLine node = new CommandLine(new NodeCommand(role));
      node.getCommandSpec().usageMessage().description(NodeCommand.describe(role));
      line.addSubcommand(role.id(), node);
    }
    line.addSubcommand(new ApprovalCommands.ListApprovals());
    line.addSubcommand(new ApprovalCommands.Approve());
    line.addSubcommand(new ApprovalCommands.Deny());
    line.addSubcommand(new PolicyCommand());
    line.addSubcommand(new McpServerCommand());
    line.addSubcommand(new InboxCommands.Check());
    line.addSubcommand(new InboxCommands.Wait());
    line.addSubcommand(new DirectoryCommands.Agents());
    line.addSubcommand(new DirectoryCommands.Machines());
    line.addSubcommand(new DirectoryCommands.Missions());
    line.addSubcommand(new MachineCommands.Join());
    line.addSubcommand(new DirectoryCommands.Feedback());
    line.addSubcommand(new MissionCommands.Status());
    line.addSubcommand(new MissionCommands.Stop());
    line.addSubcommand(new SetupCommands.Setup());
    line.addSubcommand(new SetupCommands.Completion());
    line.setExecutionExceptionHandler(Main::onFailure);
    line.setParameterExceptionHandler(Main::onBadArguments);
    return line;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed");
  }

  /**
   * Failures of a command: one line on stderr, exit 1; a node's log file also gets the stack trace.
   */
  private static int onFailure(Exception e, CommandLine line, CommandLine.ParseResult parsed) {
    LoggerFactory.getLogger(FAILURES).error("{} failed", line.getCommandSpec().qualifiedName(), e);
    line.getErr().println("ai-intercom: error: " + oneLine(e));
    return 1;
  }

  private static int onBadArguments(CommandLine.ParameterException e, String[] args) {
    PrintWriter err = e.getCommandLine().getErr();
    err.println("ai-intercom: " + e.getMessage());
    err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
    return 2;
  }

  static String oneLine(Throwable e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return message.replace('\n', ' ').trim();
  }

  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"ai-intercom " + Version.current()};
    }
  }
}
