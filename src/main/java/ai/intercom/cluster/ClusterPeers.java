package ai.intercom.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * On hub nodes: the cluster addresses of the other members, kept in a file of the home so that a
 * hub that restarts (or crashed) joins the cluster its daemons are still in, instead of forming a
 * new one that each daemon would only find after noticing the old hub is gone and restarting. The
 * daemons take the hub's new incarnation in at once: the join of a node at the address of a member
 * downs that member.
 */
public final class ClusterPeers {

  private ClusterPeers() {}

  /** The file, one {@code host:port} per line. */
  public static Path file(Path dataDir) {
    return dataDir.resolve("cluster-peers");
  }

  /** The peers of the last run (nothing when the file is missing or unreadable). */
  public static List<Address> read(Path file, String systemName) {
    List<Address> peers = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        parse(line.strip(), systemName).ifPresent(peers::add);
      }
    } catch (IOException e) {
      // none yet (the first start), or unreadable: the hub forms the cluster as on its first day
      return List.of();
    }
    return peers;
  }

  private static Optional<Address> parse(String line, String systemName) {
    int colon = line.lastIndexOf(':');
    if (colon <= 0) {
      return Optional.empty();
    }
    try {
      int port = Integer.parseInt(line.substring(colon + 1));
      return port > 0 && port < 65536
          ? Optional.of(new Address("pekko", systemName, line.substring(0, colon), port))
          : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Keeps {@code file} up to date with the members that are up, this node left out. */
  public static Behavior<ClusterEvent.MemberEvent> keeper(Path file) {
    return Behaviors.setup(
        context -> {
          Cluster cluster = Cluster.get(context.getSystem());
          Address self = cluster.selfMember().address();
          cluster
              .subscriptions()
              .tell(Subscribe.create(context.getSelf(), ClusterEvent.MemberEvent.class));
          // host:port -> the incarnation that is up there
          TreeMap<String, UniqueAddress> peers = new TreeMap<>();
          return Behaviors.receive(ClusterEvent.MemberEvent.class)
              .onMessage(
                  ClusterEvent.MemberEvent.class,
                  event -> {
                    Member member = event.member();
                    if (member.address().equals(self)) {
                      return Behaviors.same();
                    }
                    String peer =
                        member.address().getHost().orElse("")
                            + ":"
                            + member.address().getPort().orElse(0);
                    boolean changed;
                    if (event instanceof ClusterEvent.MemberUp
                        || event instanceof ClusterEvent.MemberWeaklyUp) {
                      changed =
                          !member.uniqueAddress().equals(peers.put(peer, member.uniqueAddress()));
                    } else {
                      // not when a newer incarnation at the same address is up already
                      changed =
                          event instanceof ClusterEvent.MemberRemoved
                              && peers.remove(peer, member.uniqueAddress());
                    }
                    if (changed) {
                      try {
                        write(file, peers.keySet());
                      } catch (IOException e) {
                        context.getLog().warn("cannot write {}: {}", file, e.toString());
                      }
                    }
                    return Behaviors.same();
                  })
              .build();
        });
  }

  private static void write(Path file, Collection<String> peers) throws IOException {
    Path next = file.resolveSibling(file.getFileName() + ".next");
    Files.write(next, peers, StandardCharsets.UTF_8);
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
