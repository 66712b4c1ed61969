package ai.intercom.mission;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * Where approved missions run: the agent supervisors of the machines. The mission area decides what
 * runs and when; the launcher, which implements this port, runs it.
 */
public interface Runs {

  /**
   * Hands a mission (or a follow-up of it: {@code followUp} and its {@code key}, else null) to the
   * agent supervisor of {@code machine}; completes once it is in that machine's ledger. Fails with
   * a {@link ai.intercom.protocol.Refusal} of code {@code OFFLINE} when the machine is not in the
   * cluster.
   */
  CompletionStage<Done> launch(String machine, String missionId, String followUp, String key);

  /** Ends the run of a mission on {@code machine}, if it has one (an offline machine has none). */
  CompletionStage<Done> stop(String machine, String missionId, String by);
}
