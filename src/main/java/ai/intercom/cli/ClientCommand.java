package ai.intercom.cli;

import ai.intercom.client.NodeClient;
import ai.intercom.config.ConfigLoader;
import ai.intercom.config.Settings;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** A command that talks to the running local node. */
abstract class ClientCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public final Integer call() {
    Settings settings = Settings.from(ConfigLoader.fromEnvironment().loadForClient());
    return run(new NodeClient(settings), spec.commandLine().getOut());
  }

  abstract int run(NodeClient node, PrintWriter out);

  /** An id typed by the operator, checked before it goes into a URL. */
  String idSegment(String id) {
    if (id == null || !id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
      throw new ParameterException(
          spec.commandLine(), "'" + id + "' is not an id (letters, digits, '.', '_', '-')");
    }
    return id;
  }
}
