package ai.intercom.mission;

import ai.intercom.protocol.JsonFormat;
import ai.intercom.protocol.JsonSerializable;
import ai.intercom.protocol.Refusal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * On a daemon: what its agents sent while the hub did not answer. Each message is kept in {@code
 * data/kept-messages.jsonl} (flushed to disk before the agent is answered {@code queued}) and sent
 * again, oldest first, under its own message id until the hub takes it or refuses it; the id makes
 * the hub take it once however often it came. The file outlives the node: a daemon that restarts to
 * rejoin its hub sends what it kept.
 */
public final class KeptMessages {

  /** How often the oldest kept message is tried again. */
  static final Duration AGAIN = Duration.ofSeconds(2);

  /** A message as the agent sent it: a chat or send ({@code to}) or a reply ({@code threadId}). */
  public record Kept(
      String kind,
      Router.Sender from,
      String to,
      String threadId,
      String message,
      String messageId,
      Instant keptAt)
      implements JsonSerializable {}

  public sealed interface Command {}

  /** Keeps {@code message}; answers once it is on disk. */
  public record Keep(Kept message, ActorRef<Done> replyTo) implements Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  private record Tried(Kept message, Throwable error) implements Command {}

  private KeptMessages() {}

  /** Whether a failed call is one the hub did not answer (the message may be kept and resent). */
  public static boolean unanswered(Throwable error) {
    return Refusal.cause(error) instanceof TimeoutException;
  }

  public static Behavior<Command> create(Path file, Router router) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  Deque<Kept> kept = new ArrayDeque<>(read(file, context.getLog()));
                  if (!kept.isEmpty()) {
                    context.getLog().info("{} kept messages wait for the hub", kept.size());
                  }
                  timers.startTimerWithFixedDelay(Tick.INSTANCE, AGAIN);
                  boolean[] trying = {false};
                  return Behaviors.receive(Command.class)
                      .onMessage(
                          Keep.class,
                          keep -> {
                            if (append(file, keep.message(), context.getLog())) {
                              kept.addLast(keep.message());
                              keep.replyTo().tell(Done.getInstance());
                            }
                            return Behaviors.same();
                          })
                      .onMessage(
                          Tick.class,
                          tick -> {
                            if (!trying[0] && !kept.isEmpty()) {
                              trying[0] = true;
                              Kept first = kept.peekFirst();
                              context.pipeToSelf(
                                  send(router, first), (done, error) -> new Tried(first, error));
                            }
                            return Behaviors.same();
                          })
                      .onMessage(
                          Tried.class,
                          tried -> {
                            trying[0] = false;
                            if (tried.error() != null && unanswered(tried.error())) {
                              return Behaviors.same();
                            }
                            if (tried.error() != null) {
                              context
                                  .getLog()
                                  .warn(
                                      "a kept message of {} was refused by the hub: {}",
                                      tried.message().from().agent(),
                                      Refusal.sentence(tried.error()));
                            } else {
                              context
                                  .getLog()
                                  .info("kept message {} sent", tried.message().messageId());
                            }
                            kept.remove(tried.message());
                            rewrite(file, kept, context.getLog());
                            if (!kept.isEmpty()) {
                              context.getSelf().tell(Tick.INSTANCE);
                            }
                            return Behaviors.same();
                          })
                      .build();
                }));
  }

  private static CompletionStage<Router.Outcome> send(Router router, Kept m) {
    return m.threadId() != null
        ? router.reply(m.from(), m.threadId(), m.message(), m.messageId(), Router.Wait.NONE)
        : router.open(
            m.from(),
            m.to(),
            Mission.Kind.valueOf(m.kind()),
            m.message(),
            m.messageId(),
            Router.Wait.NONE);
  }

  private static List<Kept> read(Path file, org.slf4j.Logger log) {
    if (!Files.isRegularFile(file)) {
      return List.of();
    }
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
          .filter(line -> !line.isBlank())
          .map(
              line -> {
                try {
                  return JsonFormat.MAPPER.readValue(line, Kept.class);
                } catch (IOException e) {
                  // a line cut by a crash while it was written: that message was never answered
                  log.warn("skipping a kept message that cannot be read: {}", e.getMessage());
                  return null;
                }
              })
          .filter(java.util.Objects::nonNull)
          .toList();
    } catch (IOException e) {
      log.error("cannot read {}: {}", file, e.toString());
      return List.of();
    }
  }

  /** Appends and flushes to disk; false (logged) if the disk refused. */
  private static boolean append(Path file, Kept message, org.slf4j.Logger log) {
    try (var channel =
        java.nio.channels.FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      channel.write(
          java.nio.ByteBuffer.wrap(
              (JsonFormat.MAPPER.writeValueAsString(message) + "\n")
                  .getBytes(StandardCharsets.UTF_8)));
      channel.force(true);
      return true;
    } catch (IOException e) {
      log.error("cannot keep a message in {}: {}", file, e.toString());
      return false;
    }
  }

  private static void rewrite(Path file, Deque<Kept> kept, org.slf4j.Logger log) {
    try {
      StringBuilder text = new StringBuilder();
      for (Kept m : kept) {
        text.append(JsonFormat.MAPPER.writeValueAsString(m)).append('\n');
      }
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(
          tmp,
          file,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // the message may be sent again at the next start: its id makes the hub take it once
      log.error("cannot rewrite {}: {}", file, e.toString());
    }
  }
}
