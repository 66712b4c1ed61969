package ai.intercom.mcp;

import ai.intercom.client.NodeClient;
import ai.intercom.protocol.Ids;
import ai.intercom.protocol.Refusal;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The agent session this MCP server speaks for: its id, project and agent process (and the mission,
 * for an agent launched for one), registered with the local node (again after the node restarts).
 */
final class AgentSession {

  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * What Claude Code gives both its MCP servers and its hooks: the session's id, which the hooks
   * find their session by.
   */
  static final String CLAUDE_SESSION = "CLAUDE_CODE_SESSION_ID";

  /** Shells and launchers that may stand between the agent and this server. */
  private static final Set<String> WRAPPERS =
      Set.of(
          "sh", "bash", "dash", "zsh", "ksh", "fish", "env", "timeout", "nohup", "setsid",
          "stdbuf");

  private final NodeClient node;
  private final NodeClient waits;
  private final String id;
  private final String project;
  private final long agentPid;
  private final Optional<String> missionId;
  private final List<Long> ancestors;
  private volatile boolean registered;

  /** {@code waits}: the same node, with a read timeout for calls that wait (results, decisions). */
  AgentSession(NodeClient node, NodeClient waits, String project, Optional<String> missionId) {
    this.node = node;
    this.waits = waits;
    this.missionId = missionId;
    this.project = project;
    this.id = sessionId(System.getenv(CLAUDE_SESSION));
    this.ancestors = ancestors();
    this.agentPid =
        ancestors.isEmpty() ? ProcessHandle.current().pid() : ancestors.get(ancestors.size() - 1);
  }

  /** The agent's own session id when it gives one we can use, else a fresh one. */
  static String sessionId(String given) {
    if (Ids.isSessionId(given)) {
      return given;
    }
    byte[] bytes = new byte[8];
    RANDOM.nextBytes(bytes);
    return "s-" + HexFormat.of().formatHex(bytes);
  }

  String id() {
    return id;
  }

  String project() {
    return project;
  }

  /** Registers if not yet done; the node may have been started after the agent. */
  void ensureRegistered() {
    if (!registered) {
      register();
    }
  }

  void register() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("session_id", id);
    body.put("project", project);
    body.put("pid", agentPid);
    body.put("ancestors", ancestors);
    missionId.ifPresent(id -> body.put("mission_id", id));
    node.post("/api/sessions", body);
    registered = true;
  }

  void unregister() {
    if (registered) {
      node.delete("/api/sessions/" + id + "?reason=the%20agent%27s%20MCP%20server%20stopped");
    }
  }

  /** Calls the node for this session; registers again when the node forgot it (a restart). */
  JsonNode post(String path) {
    return again(() -> node.post(path, null));
  }

  /** Posts {@code fields} with this session's id. */
  JsonNode post(String path, Map<String, Object> fields) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("session_id", id);
    body.putAll(fields);
    return again(() -> node.post(path, body));
  }

  JsonNode get(String path) {
    return again(() -> node.get(path));
  }

  /** A call that may wait on the node (up to a couple of minutes). */
  JsonNode getWaiting(String path) {
    return again(() -> waits.get(path));
  }

  /** Posts {@code fields} with this session's id, to a call that may wait. */
  JsonNode postWaiting(String path, Map<String, Object> fields) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("session_id", id);
    body.putAll(fields);
    return again(() -> waits.post(path, body));
  }

  /** Pauses between tries of a message call the node did not answer: about 12 s in all. */
  static final List<Duration> RETRY_PAUSES =
      List.of(
          Duration.ofMillis(250),
          Duration.ofMillis(500),
          Duration.ofSeconds(1),
          Duration.ofSeconds(2),
          Duration.ofSeconds(4),
          Duration.ofSeconds(4));

  /**
   * Posts a message ({@code fields} with this session's id) under a message id of its own, and
   * posts it again while the node does not answer (restarting, cut off from its hub): the id makes
   * the node take it once, however often it came.
   */
  JsonNode postMessage(String path, Map<String, Object> fields, boolean waiting) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("session_id", id);
    body.put("message_id", UUID.randomUUID().toString());
    body.putAll(fields);
    NodeClient client = waiting ? waits : node;
    for (int attempt = 0; ; attempt++) {
      try {
        return again(() -> client.post(path, body));
      } catch (NodeClient.NodeException e) {
        if (!e.unanswered() || attempt >= RETRY_PAUSES.size()) {
          throw e;
        }
        try {
          Thread.sleep(RETRY_PAUSES.get(attempt).toMillis());
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private JsonNode again(Supplier<JsonNode> call) {
    ensureRegistered();
    try {
      return call.get();
    } catch (NodeClient.NodeException e) {
      if (!e.is(Refusal.Code.NO_SESSION)) {
        throw e;
      }
      register();
      return call.get();
    }
  }

  /**
   * The processes that link a hook to this session, nearest first: the agent (this server's parent)
   * and, when a shell or wrapper started the server, those in between. Never the processes above
   * the agent (a terminal, tmux, a login shell): other agents and commands share them.
   */
  private static List<Long> ancestors() {
    List<Long> chain = new ArrayList<>();
    Optional<ProcessHandle> parent = ProcessHandle.current().parent();
    while (parent.isPresent() && parent.get().pid() > 1 && chain.size() < 32) {
      chain.add(parent.get().pid());
      if (!isWrapper(parent.get())) {
        break;
      }
      parent = parent.get().parent();
    }
    return chain;
  }

  /** A shell or launcher between the agent and this server. */
  static boolean isWrapper(ProcessHandle process) {
    return process
        .info()
        .command()
        .map(command -> WRAPPERS.contains(Path.of(command).getFileName().toString()))
        .orElse(false);
  }
}
