package ai.intercom.approval;

import ai.intercom.mission.Mission;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/**
 * What the gate does with a decision: approve or deny the mission, and for a chat message deliver
 * it (or tell its sender it was denied). The gate retries until the returned stage completes; a
 * {@link StatusReply.ErrorMessage} ends the retries unless it says the mission or thread does not
 * exist yet ({@link #isMissing}), which the gate waits for a while.
 */
@FunctionalInterface
public interface Settlement {

  CompletionStage<Done> settle(ApprovalGate.Release release);

  /** An error that may go away: the entity was not created yet. */
  static boolean isMissing(String error) {
    return error != null && (error.startsWith("no mission") || error.startsWith("no thread"));
  }

  /** Settles on the mission only: approve or deny it. */
  static Settlement onMissions(ActorSystem<?> system, Duration timeout) {
    return release ->
        ClusterSharding.get(system)
            .entityRefFor(Mission.ENTITY_KEY, release.missionId())
            .<Mission.State>askWithStatus(
                replyTo ->
                    release.approved()
                        ? new Mission.Approve(release.by(), replyTo)
                        : new Mission.Deny(release.by(), release.reason(), replyTo),
                timeout)
            .thenApply(state -> Done.getInstance());
  }
}
