package ai.intercom.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The README against the product: every configuration key and environment variable, every MCP tool
 * and every command is documented, and every {@code ai-intercom} command line in its shell blocks
 * is one the real command line accepts (the commands and options exist, the values parse).
 */
class ReadmeTest {

  static final Path CHECKOUT = Path.of("").toAbsolutePath();

  private static String readme() throws IOException {
    return Files.readString(CHECKOUT.resolve("README.md"));
  }

  @Test
  void everyKeyOfTheReferenceConfigurationIsInTheConfigurationReference() throws IOException {
    Config reference =
        ConfigFactory.parseResources(getClass().getClassLoader(), "intercom-reference.conf");
    String readme = readme();
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, ?> entry : reference.getConfig("intercom").entrySet()) {
      String key = "intercom." + entry.getKey();
      if (!key.startsWith("intercom.blocking-io-dispatcher.")
          && !readme.contains("`" + key + "`")) {
        missing.add(key);
      }
    }
    assertTrue(missing.isEmpty(), "keys not in the README's configuration reference: " + missing);
  }

  @Test
  void everyVariableAndToolIsDocumented() throws IOException {
    String readme = readme();
    List<String> missing = new ArrayList<>();
    Matcher variable =
        Pattern.compile("\"((?:INTERCOM|TELEGRAM|HUB)_[A-Z_]+)\"")
            .matcher(
                Files.readString(
                    CHECKOUT.resolve("src/main/java/ai/intercom/config/ConfigLoader.java")));
    while (variable.find()) {
      if (!readme.contains("| `" + variable.group(1) + "` |")) {
        missing.add(variable.group(1));
      }
    }
    Matcher tool =
        Pattern.compile("\"(intercom_[a-z_]+)\"")
            .matcher(
                Files.readString(CHECKOUT.resolve("src/main/java/ai/intercom/mcp/Tools.java")));
    while (tool.find()) {
      if (!readme.contains("| `" + tool.group(1))) {
        missing.add(tool.group(1));
      }
    }
    assertTrue(missing.isEmpty(), "not in the README's tables: " + missing);
  }

  @Test
  void everyCommandIsInTheTableAndEveryCommandLineOfTheReadmeParses() throws IOException {
    String readme = readme();
    CommandLine root = Main.commandLine();
    List<String> missing = new ArrayList<>();
    walk(
        root,
        command -> {
          String name = command.getCommandSpec().qualifiedName();
          if (!readme.contains("`" + name)) {
            missing.add(name);
          }
        });
    assertTrue(missing.isEmpty(), "commands not in the README: " + missing);

    TreeSet<String> refused = new TreeSet<>();
    int lines = 0;
    Matcher block = Pattern.compile("```(?:sh|bash)\n(.*?)```", Pattern.DOTALL).matcher(readme);
    while (block.find()) {
      for (String line : block.group(1).split("\n")) {
        String command = line.replaceFirst("\\s+#.*$", "").strip();
        Matcher call = Pattern.compile("^(?:scripts/)?ai-intercom (.*)$").matcher(command);
        if (!call.matches() || command.contains("$(")) {
          continue;
        }
        lines++;
        String[] args = call.group(1).strip().split("\\s+");
        try {
          Main.commandLine().parseArgs(args);
        } catch (CommandLine.ParameterException e) {
          refused.add(command + " -> " + e.getMessage());
        }
      }
    }
    assertTrue(lines >= 5, "the README's command lines were found: " + lines);
    assertTrue(refused.isEmpty(), "README command lines the CLI refuses: " + refused);
  }

  private static void walk(CommandLine command, java.util.function.Consumer<CommandLine> visit) {
    visit.accept(command);
    command.getSubcommands().values().forEach(sub -> walk(sub, visit));
  }
}
