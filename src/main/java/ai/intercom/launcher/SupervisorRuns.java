package ai.intercom.launcher;

import ai.intercom.cluster.MachineServices;
import ai.intercom.mission.Runs;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/** Runs missions on the agent supervisors of the machines, found through the receptionist. */
public final class SupervisorRuns implements Runs {

  private final ActorSystem<?> system;
  private final Duration timeout;
  private final MachineServices<AgentSupervisor.Command> supervisors;

  public SupervisorRuns(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.timeout = timeout;
    this.supervisors =
        new MachineServices<>(
            system, timeout, AgentSupervisor.Command.class, AgentSupervisor.KEY_PREFIX);
  }

  @Override
  public CompletionStage<Done> launch(
      String machine, String missionId, String followUp, String key) {
    return supervisors
        .require(machine)
        .thenCompose(
            supervisor ->
                AskPattern.<AgentSupervisor.Command, Done>ask(
                    supervisor,
                    r -> new AgentSupervisor.Launch(missionId, followUp, key, r),
                    timeout,
                    system.scheduler()));
  }

  @Override
  public CompletionStage<Done> stop(String machine, String missionId, String by) {
    return supervisors
        .of(machine)
        .thenApply(
            supervisor -> {
              supervisor.ifPresent(s -> s.tell(new AgentSupervisor.StopRun(missionId, by)));
              return Done.getInstance();
            });
  }
}
