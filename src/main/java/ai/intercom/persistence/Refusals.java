package ai.intercom.persistence;

import java.util.concurrent.CompletionException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * Answers a command that its entity cannot take in its current state, and tells such answers apart.
 */
public final class Refusals {

  private Refusals() {}

  /**
   * Replies {@link StatusReply#error(String)} to any command's reply reference, whatever its
   * success type, so that one fallback handler covers them all.
   */
  @SuppressWarnings("unchecked")
  public static <E, S> ReplyEffect<E, S> refuse(
      EffectFactories<E, S> effect, ActorRef<? extends StatusReply<?>> replyTo, String reason) {
    ActorRef<StatusReply<Object>> to = (ActorRef<StatusReply<Object>>) (ActorRef<?>) replyTo;
    return effect.reply(to, StatusReply.error(reason));
  }

  /**
   * What failed an ask or a stage built on it: the refusal ({@link StatusReply.ErrorMessage}) or
   * error inside the {@link CompletionException} wrappers.
   */
  public static Throwable cause(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /**
   * Whether an ask failed because the entity refused the command (rather than a timeout or a
   * crash).
   */
  public static boolean isRefusal(Throwable failure) {
    return cause(failure) instanceof StatusReply.ErrorMessage;
  }

  /** {@code SomeCommand} -> {@code "some command"}, for refusal sentences. */
  public static String describe(Object command) {
    return command.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase();
  }
}
