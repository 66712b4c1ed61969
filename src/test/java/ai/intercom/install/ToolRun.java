package ai.intercom.install;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A command of the set-up tests run to its end in the checkout, with exactly {@code environment},
 * stdin the null device and stdout and stderr together; a command that cannot start exits 127.
 */
record ToolRun(int exit, String output) {

  static final Path CHECKOUT = Path.of("").toAbsolutePath();

  static ToolRun of(List<String> command, Map<String, String> environment) throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(CHECKOUT.toFile())
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    builder.environment().clear();
    builder.environment().putAll(environment);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      return new ToolRun(127, command.get(0) + ": " + e.getMessage());
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(180, TimeUnit.SECONDS), "ends: " + command);
    return new ToolRun(process.exitValue(), output);
  }
}
