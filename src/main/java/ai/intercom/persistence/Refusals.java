package ai.intercom.persistence;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/** Answers a command that its entity cannot take in its current state. */
public final class Refusals {

  private Refusals() {}

  /**
   * Replies {@link StatusReply#error(String)} to any command's reply reference,
   * whatever its success type, so that one fallback handler covers them all.
   */
  @SuppressWarnings("unchecked")
  public static <E, S> ReplyEffect<E, S> refuse(
      EffectFactories<E, S> effect, ActorRef<? extends StatusReply<?>> replyTo, String reason) {
    ActorRef<StatusReply<Object>> to = (ActorRef<StatusReply<Object>>) (ActorRef<?>) replyTo;
    return effect.reply(to, StatusReply.error(reason));
  }

  /** {@code SomeCommand} -> {@code "some command"}, for refusal sentences. */
  public static String describe(Object command) {
    return command.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase();
  }
}
