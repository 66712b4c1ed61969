package ai.intercom.protocol;

import java.util.List;
import java.util.Locale;

/** What a node does: {@code hub} hosts entities and singletons, {@code daemon} the local agents. */
public enum NodeRole {
  STANDALONE(List.of("hub", "daemon")),
  HUB(List.of("hub")),
  DAEMON(List.of("daemon"));

  public static final String HUB_ROLE = "hub";
  public static final String DAEMON_ROLE = "daemon";

  /** The prefix of the cluster role that names a node's machine: {@code machine:<id>}. */
  public static final String MACHINE_ROLE_PREFIX = "machine:";

  /** The cluster role of {@code machineId}'s node. */
  public static String machineRole(String machineId) {
    return MACHINE_ROLE_PREFIX + machineId;
  }

  private final List<String> clusterRoles;

  NodeRole(List<String> clusterRoles) {
    this.clusterRoles = clusterRoles;
  }

  public List<String> clusterRoles() {
    return clusterRoles;
  }

  public boolean hostsEntities() {
    return clusterRoles.contains(HUB_ROLE);
  }

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static NodeRole parse(String text) {
    for (NodeRole role : values()) {
      if (role.id().equals(text.trim().toLowerCase(Locale.ROOT))) {
        return role;
      }
    }
    throw new IllegalArgumentException(
        "unknown mode '" + text + "' (expected standalone, hub or daemon)");
  }
}
