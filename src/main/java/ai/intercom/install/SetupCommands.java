package ai.intercom.install;

import ai.intercom.config.ConfigLoader;
import java.io.Console;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Setting a machine up: the hub's Telegram settings, the Claude Code integration, the shell's
 * completion. {@code scripts/install.sh} runs them; each can be run alone.
 */
public final class SetupCommands {

  private SetupCommands() {}

  @Command(
      name = "setup",
      mixinStandardHelpOptions = true,
      description = "Sets this machine up: the hub's Telegram bot, the Claude Code integration.",
      subcommands = {Hub.class, Claude.class})
  public static final class Setup implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "say what to set up: hub or claude");
    }
  }

  @Command(
      name = "claude",
      mixinStandardHelpOptions = true,
      description = {
        "Adds the intercom MCP server to Claude Code for this user (claude mcp add -s user) and"
            + " merges the hooks of deploy/claude-hooks.json into ~/.claude/settings.json, beside"
            + " your own settings and hooks. Running it again changes nothing.",
        "What it added is kept in $INTERCOM_HOME/installed.json; --uninstall takes out exactly"
            + " that."
      })
  static final class Claude implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--uninstall", description = "Take out what an earlier run added.")
    boolean uninstall;

    @Option(names = "--check", description = "Only check that it can be done; change nothing.")
    boolean check;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      ConfigLoader loader = ConfigLoader.fromEnvironment();
      ClaudeIntegration claude =
          new ClaudeIntegration(
              checkout(), loader.userHome(), loader.home(), onPath("claude"), out::println);
      if (check) {
        claude.check();
      } else if (uninstall) {
        claude.uninstall();
      } else {
        claude.install();
      }
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "hub",
      mixinStandardHelpOptions = true,
      description = {
        "Makes this machine the network's hub: keeps its address and the operator's Telegram"
            + " bot (token, supergroup, owner) in $INTERCOM_HOME/hub.conf (mode 0600).",
        "Each value comes from its option or variable (TELEGRAM_BOT_TOKEN, TELEGRAM_SUPERGROUP_ID,"
            + " TELEGRAM_OWNER_ID), else it is asked for on the terminal. The token is never an"
            + " option: it would show in the process list."
      })
  static final class Hub implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--supergroup-id",
        paramLabel = "ID",
        description = "The supergroup's id, -100... (default: TELEGRAM_SUPERGROUP_ID).")
    String supergroupId;

    @Option(
        names = "--owner-id",
        paramLabel = "ID",
        description = "Your Telegram user id; more, comma-separated (default: TELEGRAM_OWNER_ID).")
    String ownerId;

    @Option(
        names = "--address",
        paramLabel = "IP",
        description =
            "The address the machines reach the hub at (default: this machine's Tailscale"
                + " address, tailscale ip -4).")
    String address;

    /** This machine's Tailscale IPv4 address, if it has one. */
    private static Optional<String> tailscaleAddress() {
      Optional<Path> tailscale = onPath("tailscale");
      if (tailscale.isPresent()) {
        try {
          Process ip =
              new ProcessBuilder(tailscale.get().toString(), "ip", "-4")
                  .redirectError(ProcessBuilder.Redirect.DISCARD)
                  .start();
          String first = new String(ip.getInputStream().readAllBytes()).strip().split("\\s+")[0];
          if (ip.waitFor(10, TimeUnit.SECONDS) && ip.exitValue() == 0 && !first.isEmpty()) {
            return Optional.of(first);
          }
        } catch (IOException e) {
          // said below
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return Optional.empty();
    }

    @Override
    public Integer call() {
      Console console = System.console();
      String token = TOKEN.value(null, console);
      String group = GROUP.value(supergroupId, console);
      String owners = OWNER.value(ownerId, console);
      PrintWriter out = spec.commandLine().getOut();
      Optional<String> found = address != null ? Optional.of(address) : tailscaleAddress();
      String said =
          new HubSetup(ConfigLoader.fromEnvironment())
              .write(
                  found.orElse("127.0.0.1"),
                  token,
                  group,
                  Arrays.stream(owners.split(",")).map(String::trim).toList());
      if (found.isEmpty()) {
        out.println(
            "hub: no Tailscale address here (tailscale ip -4): the hub is reached at 127.0.0.1, by"
                + " this machine only; give --address IP for the others");
      }
      out.println(said);
      out.flush();
      return 0;
    }

    static final Asked TOKEN =
        new Asked("the bot token (from @BotFather)", "TELEGRAM_BOT_TOKEN", true);
    static final Asked GROUP =
        new Asked("the supergroup id (-100...)", "TELEGRAM_SUPERGROUP_ID", false);
    static final Asked OWNER = new Asked("your Telegram user id", "TELEGRAM_OWNER_ID", false);

    /** A value taken from its option, else its variable, else asked on the terminal. */
    record Asked(String what, String variable, boolean secret) {
      String value(String option, Console console) {
        String given = option != null ? option : System.getenv(variable);
        if (given != null && !given.isBlank()) {
          return given.trim();
        }
        if (console == null) {
          throw new InstallException(
              what + " is needed: set " + variable + " (there is no terminal to ask on)");
        }
        String prompt = Character.toUpperCase(what.charAt(0)) + what.substring(1) + ": ";
        char[] typed = secret ? console.readPassword("%s", prompt) : null;
        String read =
            secret
                ? (typed == null ? "" : new String(typed))
                : Optional.ofNullable(console.readLine("%s", prompt)).orElse("");
        if (read.isBlank()) {
          throw new InstallException(what + " is needed");
        }
        return read.trim();
      }
    }
  }

  @Command(
      name = "completion",
      mixinStandardHelpOptions = true,
      description = {
        "Prints the shell completion script of ai-intercom, for bash and zsh:",
        "  bash: ai-intercom completion > ~/.local/share/bash-completion/completions/ai-intercom",
        "  zsh:  source <(ai-intercom completion)   (in ~/.zshrc; scripts/install.sh does both)"
      })
  public static final class Completion implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      CommandLine root = spec.root().commandLine();
      PrintWriter out = spec.commandLine().getOut();
      out.print(AutoComplete.bash(root.getCommandName(), root));
      out.flush();
      return 0;
    }
  }

  /** The checkout this command runs from, as {@code scripts/ai-intercom} tells it. */
  static Path checkout() {
    String script = System.getenv("INTERCOM_SCRIPT");
    if (script == null || script.isBlank()) {
      throw new InstallException(
          "run it through scripts/ai-intercom of your checkout (INTERCOM_SCRIPT is not set)");
    }
    Path checkout = Path.of(script).toAbsolutePath().normalize().getParent().getParent();
    if (!Files.isRegularFile(checkout.resolve("deploy").resolve("claude-hooks.json"))) {
      throw new InstallException(checkout + " is not an AI-Intercom checkout (no deploy/)");
    }
    return checkout;
  }

  /** {@code name} on PATH, if it is there and can be run. */
  static Optional<Path> onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    return Arrays.stream(path.split(File.pathSeparator))
        .filter(dir -> !dir.isBlank())
        .map(dir -> Path.of(dir, name))
        .filter(Files::isExecutable)
        .filter(Files::isRegularFile)
        .findFirst();
  }
}
