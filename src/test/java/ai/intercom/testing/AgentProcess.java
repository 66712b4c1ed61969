package ai.intercom.testing;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A process of its own for the agent sessions a test registers, so that the test's own process
 * stays the operator: the node refuses operator actions to agents by what the kernel says about the
 * caller, and an agent registered under the test's own pid would make the test an agent.
 */
public final class AgentProcess {

  private static Process agent;

  private AgentProcess() {}

  /** The pid of a process that lives as long as this JVM. */
  public static synchronized long pid() {
    if (agent == null || !agent.isAlive()) {
      try {
        agent = new ProcessBuilder("sleep", "86400").start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Process started = agent;
      Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly));
    }
    return agent.pid();
  }
}
