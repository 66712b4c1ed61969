package ai.intercom.approval;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * What the gate does with a decision: approve or deny the mission, and for a chat message deliver
 * it (or tell its sender it was denied). The gate retries until the returned stage completes; a
 * {@link ai.intercom.protocol.Refusal} ends the retries, unless its code is {@code NOT_FOUND} (the
 * mission or thread does not exist yet), which the gate waits for a while.
 */
@FunctionalInterface
public interface Settlement {

  CompletionStage<Done> settle(ApprovalGate.Release release);
}
