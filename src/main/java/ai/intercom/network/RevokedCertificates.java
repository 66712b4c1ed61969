package ai.intercom.network;

import ai.intercom.protocol.JsonSerializable;
import ai.intercom.security.NodeKeys;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.ddata.GSet;
import org.apache.pekko.cluster.ddata.GSetKey;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;

/**
 * The serials of revoked certificates, on every node: replicated through the cluster and kept in
 * {@code tls/revoked}, which the node's TLS checks at each handshake. The file outlives the node,
 * so a node knows every revocation it heard of from its first handshake on; at start it gives what
 * the file holds to the others too. A machine revoked here is downed at once.
 */
public final class RevokedCertificates {

  public sealed interface Command extends JsonSerializable {}

  /** Revokes {@code serial}, the certificate of {@code machineId}; answers once the file has it. */
  public record Add(String serial, String machineId, ActorRef<Done> replyTo) implements Command {}

  private record Changed(Replicator.SubscribeResponse<GSet<String>> response) implements Command {}

  private record Updated(Replicator.UpdateResponse<GSet<String>> response, Add add)
      implements Command {}

  private static final Key<GSet<String>> KEY = GSetKey.create("revoked-certificates");
  private static final Duration WRITE = Duration.ofSeconds(3);

  private RevokedCertificates() {}

  public static Behavior<Command> create(NodeKeys keys) {
    return Behaviors.setup(
        ctx ->
            DistributedData.withReplicatorMessageAdapter(
                (ReplicatorMessageAdapter<Command, GSet<String>> replicator) -> {
                  Set<String> known = new TreeSet<>(read(keys, ctx));
                  replicator.subscribe(KEY, Changed::new);
                  if (!known.isEmpty()) {
                    replicator.askUpdate(
                        r ->
                            new Replicator.Update<>(
                                KEY,
                                GSet.create(),
                                Replicator.writeLocal(),
                                r,
                                set -> addAll(set, known)),
                        response -> new Updated(response, null));
                  }
                  Cluster cluster = Cluster.get(ctx.getSystem());
                  return Behaviors.receive(Command.class)
                      .onMessage(
                          Add.class,
                          add -> {
                            known.add(add.serial());
                            write(keys, known, ctx);
                            for (Member member : cluster.state().getMembers()) {
                              if (member.hasRole(
                                  ai.intercom.protocol.NodeRole.machineRole(add.machineId()))) {
                                ctx.getLog()
                                    .warn(
                                        "downing {}: the certificate of machine {} was revoked",
                                        member.address(),
                                        add.machineId());
                                cluster.manager().tell(new Down(member.address()));
                              }
                            }
                            replicator.askUpdate(
                                r ->
                                    new Replicator.Update<>(
                                        KEY,
                                        GSet.create(),
                                        new Replicator.WriteAll(WRITE),
                                        r,
                                        set -> set.add(add.serial())),
                                response -> new Updated(response, add));
                            return Behaviors.same();
                          })
                      .onMessage(
                          Updated.class,
                          updated -> {
                            if (updated.add() != null) {
                              updated.add().replyTo().tell(Done.getInstance());
                            }
                            return Behaviors.same();
                          })
                      .onMessage(
                          Changed.class,
                          changed -> {
                            if (changed.response() instanceof Replicator.Changed<GSet<String>> c
                                && known.addAll(c.dataValue().getElements())) {
                              write(keys, known, ctx);
                            }
                            return Behaviors.same();
                          })
                      .build();
                }));
  }

  /** Revokes through the node's own list. */
  static CompletionStage<Done> add(
      ActorRef<Command> list,
      String serial,
      String machineId,
      ActorSystem<?> system,
      Duration timeout) {
    return AskPattern.ask(list, r -> new Add(serial, machineId, r), timeout, system.scheduler());
  }

  private static GSet<String> addAll(GSet<String> set, Set<String> serials) {
    GSet<String> result = set;
    for (String serial : serials) {
      result = result.add(serial);
    }
    return result;
  }

  private static Set<String> read(
      NodeKeys keys, org.apache.pekko.actor.typed.javadsl.ActorContext<?> ctx) {
    try {
      return Set.copyOf(keys.revoked());
    } catch (IOException e) {
      ctx.getLog().warn("cannot read {}: {}", keys.revokedFile(), e.toString());
      return Set.of();
    }
  }

  private static void write(
      NodeKeys keys,
      Set<String> serials,
      org.apache.pekko.actor.typed.javadsl.ActorContext<?> ctx) {
    try {
      keys.storeRevoked(serials);
    } catch (IOException e) {
      ctx.getLog().error("cannot write {}: {}", keys.revokedFile(), e.toString());
    }
  }
}
