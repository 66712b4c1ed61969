package ai.intercom.protocol;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * A request or command that was refused for what it is or for the state of what it names: a {@link
 * Code} that programs tell refusals apart by, and a sentence for people that says what to do. The
 * one refusal type of the product: entities answer it as a {@link StatusReply} error (it crosses
 * the cluster as JSON, code and sentence), the routes map its code to an HTTP status, clients read
 * the code back from the answer.
 */
@JsonAutoDetect(
    fieldVisibility = JsonAutoDetect.Visibility.NONE,
    getterVisibility = JsonAutoDetect.Visibility.NONE,
    isGetterVisibility = JsonAutoDetect.Visibility.NONE)
@JsonIgnoreProperties(ignoreUnknown = true)
public final class Refusal extends RuntimeException implements JsonSerializable {

  private static final long serialVersionUID = 1L;

  /** Why, in one word. Written lower-case on the wire ({@code not_found}). */
  public enum Code {
    /** Malformed or not allowed as it is: a bad id, a message too long, an unknown level. */
    INVALID,
    /** What it names (mission, thread, session, approval, agent) does not exist. */
    NOT_FOUND,
    /** It exists, but its state does not take this: a finished mission, a decided approval. */
    CONFLICT,
    /** An id that is taken already. */
    TAKEN,
    /** The caller may not do this: not part of the thread, not the mission's own agent. */
    FORBIDDEN,
    /** The machine that must do it is not in the cluster now. */
    OFFLINE,
    /**
     * The calling agent session is not registered on its machine (a restarted node): its MCP server
     * registers it again and retries.
     */
    NO_SESSION;

    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The code of a wire word, {@link #INVALID} for a word this version does not know. */
    public static Code ofWire(String word) {
      for (Code code : values()) {
        if (code.wire().equals(word)) {
          return code;
        }
      }
      return INVALID;
    }
  }

  private final Code code;
  private final String reason;

  @JsonCreator
  public Refusal(@JsonProperty("code") Code code, @JsonProperty("reason") String reason) {
    // no stack trace: a refusal is an answer, not a bug
    super(reason, null, false, false);
    this.code = code == null ? Code.INVALID : code;
    this.reason = reason == null ? "" : reason;
  }

  public static Refusal invalid(String reason) {
    return new Refusal(Code.INVALID, reason);
  }

  public static Refusal notFound(String reason) {
    return new Refusal(Code.NOT_FOUND, reason);
  }

  public static Refusal conflict(String reason) {
    return new Refusal(Code.CONFLICT, reason);
  }

  @JsonProperty("code")
  public Code code() {
    return code;
  }

  /** The sentence for people. */
  @JsonProperty("reason")
  public String reason() {
    return reason;
  }

  public boolean is(Code wanted) {
    return code == wanted;
  }

  /**
   * Answers a command that an entity cannot take, whatever the success type of its reply reference,
   * so that one fallback handler covers them all.
   */
  @SuppressWarnings("unchecked")
  public static <E, S> ReplyEffect<E, S> reply(
      EffectFactories<E, S> effect,
      Code code,
      ActorRef<? extends StatusReply<?>> replyTo,
      String reason) {
    ActorRef<StatusReply<Object>> to = (ActorRef<StatusReply<Object>>) (ActorRef<?>) replyTo;
    return effect.reply(to, StatusReply.error(new Refusal(code, reason)));
  }

  /**
   * What failed a stage or an ask: the error inside the {@link CompletionException} and {@link
   * ExecutionException} wrappers.
   */
  public static Throwable cause(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /** The refusal that failed a stage, if a refusal (not a timeout or a crash) failed it. */
  public static Optional<Refusal> of(Throwable failure) {
    return cause(failure) instanceof Refusal refusal ? Optional.of(refusal) : Optional.empty();
  }

  /** Whether a stage failed with a refusal of this code. */
  public static boolean is(Throwable failure, Code code) {
    return of(failure).map(r -> r.code == code).orElse(false);
  }

  /**
   * The deepest message of a failure, for a line in a log or an error answer: the refusal's
   * sentence, else the innermost cause's message, else its class name.
   */
  public static String sentence(Throwable failure) {
    Throwable cause = cause(failure);
    if (cause instanceof Refusal refusal) {
      return refusal.reason;
    }
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
  }

  /** {@code SomeCommand} -> {@code "some command"}, for refusal sentences. */
  public static String describe(Object command) {
    return command.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase();
  }
}
