package ai.intercom.mission;

import ai.intercom.protocol.DeliveryState;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Waiting for a message to reach a delivery state at every recipient ({@code wait_for}): the thread
 * is read again on the node's scheduler, more slowly as the wait goes on, so that no thread is held
 * per waiter.
 */
final class ReceiptWaits {

  static final Duration FIRST_LOOK = Duration.ofMillis(50);
  static final Duration SLOWEST_LOOK = Duration.ofSeconds(1);

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Duration timeout;

  ReceiptWaits(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
  }

  /**
   * Message {@code seq} of {@code threadId} once each of its receipts reached {@code state} (or a
   * denial stopped it), or as it is when {@code within} is over.
   */
  CompletionStage<ChatThread.Message> until(
      String threadId, long seq, DeliveryState state, Duration within) {
    CompletableFuture<ChatThread.Message> result = new CompletableFuture<>();
    look(threadId, seq, state, System.nanoTime() + within.toNanos(), FIRST_LOOK, result);
    return result;
  }

  private void look(
      String threadId,
      long seq,
      DeliveryState state,
      long deadline,
      Duration pause,
      CompletableFuture<ChatThread.Message> result) {
    sharding
        .entityRefFor(ChatThread.ENTITY_KEY, threadId)
        .<ChatThread.Message>askWithStatus(r -> new ChatThread.GetMessage(seq, r), timeout)
        .whenComplete(
            (message, error) -> {
              if (error != null) {
                result.completeExceptionally(error);
                return;
              }
              long left = deadline - System.nanoTime();
              if (reached(message, state) || left <= 0) {
                result.complete(message);
                return;
              }
              Duration next = Duration.ofNanos(Math.min(pause.toNanos(), left));
              system
                  .scheduler()
                  .scheduleOnce(
                      next,
                      () ->
                          look(
                              threadId,
                              seq,
                              state,
                              deadline,
                              min(pause.multipliedBy(2), SLOWEST_LOOK),
                              result),
                      system.executionContext());
            });
  }

  static boolean reached(ChatThread.Message message, DeliveryState state) {
    return message.denied() != null
        || message.receipts().stream().allMatch(receipt -> receipt.state().reached(state));
  }

  /** The least advanced state among the receipts: how far the message got to all recipients. */
  static DeliveryState least(ChatThread.Message message) {
    return message.receipts().stream()
        .map(ChatThread.Receipt::state)
        .min(Enum::compareTo)
        .orElse(DeliveryState.READ);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
