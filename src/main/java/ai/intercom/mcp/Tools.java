package ai.intercom.mcp;

import ai.intercom.client.NodeClient;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.protocol.McpNames;
import ai.intercom.protocol.MissionStatus;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The eleven intercom tools an agent sees. Each is a thin call to this machine's node; a refusal or
 * an unreachable node becomes a tool result with {@code isError} and a sentence saying what to do.
 */
final class Tools {

  private static final String TO =
      string("to", "Agent id machine/project, as listed by intercom_list_agents.");
  private static final String TO_MANY =
      string(
          "to",
          "Agent id machine/project, as listed by intercom_list_agents; or a broadcast to every agent"
              + " with a running session: * (all but you), <machine>/* (one machine's), */<project>"
              + " (one project on every machine). A broadcast answers each target's own thread and"
              + " state under targets.");
  private static final String MISSION_ID =
      string("mission_id", "Mission id, like m-20260101-0a1b2c.");
  private static final String NO_ARGUMENTS = object(List.of());
  private static final String WAIT_FOR =
      "\"wait_for\":{\"type\":\"string\",\"enum\":[\"in_inbox\",\"injected\",\"read\"],"
          + "\"description\":\"Answer once the message is in the recipient's inbox (in_inbox, the"
          + " default), in its agent's context (injected) or read or answered (read), or at the"
          + " timeout; the answer's state says how far it got.\"}";
  private static final String WAIT_TIMEOUT =
      "\"timeout\":{\"type\":\"integer\",\"default\":60,\"minimum\":1,\"maximum\":120,"
          + "\"description\":\"Seconds to wait for wait_for at most (default 60).\"}";

  /**
   * How long one wait of intercom_ask or intercom_wait_inbox may last on the node (it waits again
   * until its timeout).
   */
  static final long WAIT_STEP_SECONDS = 100;

  private final AgentSession session;
  private final McpJsonMapper mapper;
  private final Optional<String> missionId;

  /** {@code missionId}: set when an agent launched for that mission started this server. */
  Tools(AgentSession session, McpJsonMapper mapper, Optional<String> missionId) {
    this.session = session;
    this.mapper = mapper;
    this.missionId = missionId;
  }

  /** The twelve tools; a launched agent's server also answers its permission prompts. */
  List<SyncToolSpecification> all() {
    List<SyncToolSpecification> tools =
        new ArrayList<>(
            List.of(
                listAgents(),
                chat(),
                reply(),
                checkInbox(),
                waitInbox(),
                send(),
                ask(),
                startAgent(),
                status(),
                history(),
                register(),
                reportFeedback()));
    missionId.ifPresent(id -> tools.add(permissionPrompt(id)));
    return tools;
  }

  private SyncToolSpecification listAgents() {
    return tool(
        "intercom_list_agents",
        "Lists the agents of the network: every machine/project, whether its machine is online, and its running"
            + " sessions (an agent you can chat with right now has a session). Call it first to find whom to"
            + " address and the exact agent id.",
        object(
            List.of(),
            string(
                "filter",
                "all (default), online (machines that are up), or machine:<id> (one machine)")),
        args -> session.get("/api/agents?filter=" + encode(text(args, "filter", "all"))));
  }

  private SyncToolSpecification chat() {
    return tool(
        "intercom_chat",
        "Starts a conversation with an agent that is running now in another session (on this machine or another):"
            + " the message appears in that agent's context between its tool calls, and its answer comes back to"
            + " you the same way, with a thread id. Use it to ask a working colleague a question or to coordinate."
            + " If the agent has no running session the message is queued (status queued) until one starts; to"
            + " have work done by a new agent, use intercom_ask or intercom_start_agent instead. The answer's"
            + " state says how far the message got: pending_approval, queued, in_inbox, injected (in the"
            + " agent's context) or read; intercom_status shows it later.",
        object(
            List.of("to", "message"),
            TO_MANY,
            string("message", "What you want to say; plain text, up to 64 KiB."),
            WAIT_FOR,
            WAIT_TIMEOUT),
        args ->
            sendWaiting(
                "/api/chat",
                fields(
                    "to",
                    args.get("to"),
                    "message",
                    args.get("message"),
                    "wait_for",
                    args.get("wait_for"),
                    "timeout",
                    args.get("timeout"))));
  }

  /**
   * A message call, under its own message id (retried while the node does not answer); it waits for
   * its delivery when asked to ({@code wait_for}).
   */
  private JsonNode sendWaiting(String path, Map<String, Object> fields) {
    return session.postMessage(
        path, fields, fields.containsKey("wait_for") || fields.containsKey("timeout"));
  }

  private SyncToolSpecification reply() {
    return tool(
        "intercom_reply",
        "Answers a message you received from another agent, in its conversation thread: give the thread_id shown"
            + " with the message (t-xxxxxxxx). The answer goes to the other participant's session.",
        object(
            List.of("thread_id", "message"),
            string("thread_id", "The thread id of the message you answer, like t-0a1b2c3d."),
            string("message", "Your answer; plain text, up to 64 KiB."),
            WAIT_FOR,
            WAIT_TIMEOUT),
        args ->
            sendWaiting(
                "/api/reply",
                fields(
                    "thread_id",
                    args.get("thread_id"),
                    "message",
                    args.get("message"),
                    "wait_for",
                    args.get("wait_for"),
                    "timeout",
                    args.get("timeout"))));
  }

  private SyncToolSpecification checkInbox() {
    return tool(
        "intercom_check_inbox",
        "Returns the messages other agents sent to this session that you have not seen yet, in full, and marks"
            + " them read. Messages normally reach you on their own between tool calls; call this when asked to"
            + " check your messages, or when a notice said a message was cut. Answer one with intercom_reply.",
        NO_ARGUMENTS,
        args -> session.post("/api/inbox/" + session.id() + "/check"));
  }

  private SyncToolSpecification waitInbox() {
    return tool(
        "intercom_wait_inbox",
        "Waits until another agent sends this session a message, up to timeout seconds, and returns it (marked"
            + " read), or status timeout when none came. For agents without hooks that must poll for their"
            + " messages; with the Claude Code hooks, messages reach you on their own.",
        object(
            List.of(),
            "\"timeout\":{\"type\":\"integer\",\"default\":60,\"minimum\":1,\"maximum\":3600,"
                + "\"description\":\"Seconds to wait at most (default 60).\"}"),
        this::waitForMessage);
  }

  /** Waits in steps the node allows until a message comes or the timeout is over. */
  private JsonNode waitForMessage(Map<String, Object> args) {
    // the schema holds it to 1-3600; a client that sends more anyway waits the most allowed
    long timeout =
        Math.max(1, Math.min(3600, args.get("timeout") instanceof Number n ? n.longValue() : 60));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeout);
    while (true) {
      long left = TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime());
      long step = Math.max(1, Math.min(WAIT_STEP_SECONDS, left));
      JsonNode waited =
          session.postWaiting(
              "/api/inbox/" + session.id() + "/wait?format=json&timeout=" + step, Map.of());
      if (!"timeout".equals(waited.path("status").asText()) || left <= step) {
        return waited;
      }
    }
  }

  private SyncToolSpecification send() {
    return tool(
        "intercom_send",
        "Sends a one-way notice to an agent (for example 'the API changed, rebuild'): delivered into its running"
            + " session, or kept until one starts. No answer is expected; use intercom_chat for a conversation.",
        object(
            List.of("to", "message"),
            TO_MANY,
            string("message", "The notice; plain text, up to 64 KiB.")),
        args ->
            sendWaiting("/api/send", fields("to", args.get("to"), "message", args.get("message"))));
  }

  private SyncToolSpecification ask() {
    return tool(
        "intercom_ask",
        "Delegates a task to an agent and waits for its answer: a new agent is started in that project (after the"
            + " operator's approval when the policy asks for it) and its result is returned. Past the timeout you"
            + " get status running (or pending_approval) and a mission id to poll with intercom_status; the result"
            + " then also reaches your inbox.",
        object(
            List.of("to", "message"),
            TO,
            string("message", "The task, with everything the agent needs to know."),
            "\"timeout\":{\"type\":\"integer\",\"default\":300,\"minimum\":1,\"maximum\":3600,"
                + "\"description\":\"Seconds to wait for the result (default 300).\"}"),
        this::askAndWait);
  }

  /**
   * Starts the mission, then waits for its end in steps until the timeout; past it, says how to
   * follow it.
   */
  private JsonNode askAndWait(Map<String, Object> args) {
    long timeout = args.get("timeout") instanceof Number n ? n.longValue() : 300;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(1, timeout));
    JsonNode started =
        session.post(
            "/api/ask",
            fields("to", args.get("to"), "message", args.get("message"), "timeout", timeout));
    String id = started.path("mission_id").asText();
    JsonNode status = started;
    while (!isFinished(status.path("status").asText())) {
      long left = TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime());
      if (left <= 0) {
        // still waiting for the operator, or running: either way it goes on without the asker
        String state = status.path("status").asText();
        ObjectNode running = JsonFormat.MAPPER.createObjectNode();
        running.put(
            "status",
            state.equals(MissionStatus.PENDING_APPROVAL.wire())
                ? state
                : MissionStatus.RUNNING.wire());
        running.put("mission_id", id);
        if (started.hasNonNull("approval_id")) {
          running.put("approval_id", started.path("approval_id").asText());
        }
        if (status.hasNonNull("latest_progress")) {
          running.put("latest_progress", status.path("latest_progress").asText());
        }
        running.put(
            "note",
            "no result after "
                + timeout
                + " s: poll with intercom_status(\""
                + id
                + "\"); the result will also reach your inbox when the mission ends");
        return running;
      }
      status =
          session.getWaiting(
              "/api/missions/" + encode(id) + "?wait=" + Math.min(left, WAIT_STEP_SECONDS));
    }
    return status;
  }

  /**
   * A mission status as the node writes it ({@code completed}, {@code running}, ...) that is final.
   */
  private static boolean isFinished(String status) {
    return MissionStatus.ofWire(status).map(MissionStatus::isFinished).orElse(false);
  }

  private SyncToolSpecification startAgent() {
    return tool(
        "intercom_start_agent",
        "Starts an agent on a machine, in one of its projects, with a mission to carry out, and returns at once"
            + " with the mission id (follow it with intercom_status and intercom_history).",
        object(
            List.of("machine", "project", "mission"),
            string("machine", "Machine id, as listed by intercom_list_agents."),
            string("project", "Project name on that machine."),
            string("mission", "What the agent must do."),
            string(
                "agent_command",
                "Optional: which agent to run, by the name of one of the target machine's"
                    + " configured commands (claude, codex or gemini unless configured otherwise); default: the"
                    + " project's.")),
        args ->
            session.post(
                "/api/start_agent",
                fields(
                    "machine",
                    args.get("machine"),
                    "project",
                    args.get("project"),
                    "mission",
                    args.get("mission"),
                    "agent_command",
                    args.get("agent_command"))));
  }

  /**
   * Claude Code's {@code --permission-prompt-tool}: the operator allows or denies the tool use; the
   * answer is the JSON text Claude Code expects.
   */
  private SyncToolSpecification permissionPrompt(String mission) {
    return tool(
        McpNames.PERMISSION_TOOL,
        "Asks the human operator of AI-Intercom whether this agent, launched for mission "
            + mission
            + ", may use a tool; answers {\"behavior\":\"allow\",...} or {\"behavior\":\"deny\",...}."
            + " Called by Claude Code itself (--permission-prompt-tool), not by the model.",
        // Claude Code may send more than these: nothing else is refused
        "{\"type\":\"object\",\"properties\":{"
            + string("tool_name", "The tool the agent wants to use.")
            + ","
            + "\"input\":{\"type\":\"object\",\"description\":\"The tool's input.\"},"
            + string("tool_use_id", "The tool use id.")
            + "},\"required\":[\"tool_name\"]}",
        args -> {
          JsonNode answer =
              session.postWaiting(
                  "/api/permission",
                  fields(
                      "mission_id",
                      mission,
                      "tool_name",
                      args.get("tool_name"),
                      "input",
                      args.get("input"),
                      "tool_use_id",
                      args.get("tool_use_id")));
          while (answer.path("status").asText().equals("pending")) {
            answer =
                session.getWaiting(
                    "/api/permission/" + encode(answer.path("approval_id").asText()));
          }
          return answer;
        });
  }

  private SyncToolSpecification status() {
    return tool(
        "intercom_status",
        "Shows a mission's state (pending_approval, running, completed, failed, ...), its latest progress and its"
            + " result. Give the mission id returned by intercom_chat, intercom_send, intercom_ask or"
            + " intercom_start_agent.",
        object(List.of("mission_id"), MISSION_ID),
        args -> session.get("/api/missions/" + encode(text(args, "mission_id", ""))));
  }

  private SyncToolSpecification history() {
    return tool(
        "intercom_history",
        "Shows the conversation of a mission: its messages (a chat thread) or its transcript, oldest first.",
        object(
            List.of("mission_id"),
            MISSION_ID,
            "\"limit\":{\"type\":\"integer\",\"default\":50,\"minimum\":1,\"maximum\":1000,"
                + "\"description\":\"How many of the latest entries (default 50).\"}"),
        args ->
            session.get(
                "/api/missions/"
                    + encode(text(args, "mission_id", ""))
                    + "/history?limit="
                    + (args.get("limit") instanceof Number n ? n.intValue() : 50)));
  }

  private SyncToolSpecification register() {
    return tool(
        "intercom_register",
        "Describes this agent's project to the others (what it is, what it can do), as shown by"
            + " intercom_list_agents. Fields left out stay as they were.",
        object(
            List.of(),
            string("description", "One or two sentences on the project."),
            strings("capabilities", "What you can do for others."),
            strings("tags", "Keywords: languages, domains.")),
        args ->
            session.post(
                "/api/register",
                fields(
                    "description",
                    args.get("description"),
                    "capabilities",
                    args.get("capabilities"),
                    "tags",
                    args.get("tags"))));
  }

  private SyncToolSpecification reportFeedback() {
    return tool(
        "intercom_report_feedback",
        "Tells the human operator about a problem with the intercom or the network, a suggestion, or a question"
            + " (stored and listed by 'ai-intercom feedback').",
        object(
            List.of("feedback_type", "description"),
            "\"feedback_type\":{\"type\":\"string\",\"enum\":[\"bug\",\"suggestion\",\"question\"]}",
            string("description", "What happened or what you propose."),
            string("context", "Optional: what you were doing, ids involved.")),
        args ->
            session.post(
                "/api/feedback",
                fields(
                    "feedback_type",
                    args.get("feedback_type"),
                    "description",
                    args.get("description"),
                    "context",
                    args.get("context"))));
  }

  private SyncToolSpecification tool(
      String name,
      String description,
      String schema,
      Function<Map<String, Object>, JsonNode> call) {
    Tool tool =
        Tool.builder().name(name).description(description).inputSchema(mapper, schema).build();
    return SyncToolSpecification.builder()
        .tool(tool)
        .callHandler(
            (exchange, request) ->
                result(
                    () -> call.apply(request.arguments() == null ? Map.of() : request.arguments())))
        .build();
  }

  /** An input schema: an object of these properties (JSON members), no others. */
  private static String object(List<String> required, String... properties) {
    String names =
        required.stream().map(name -> "\"" + name + "\"").collect(Collectors.joining(","));
    return "{\"type\":\"object\",\"properties\":{"
        + String.join(",", properties)
        + "},"
        + (required.isEmpty() ? "" : "\"required\":[" + names + "],")
        + "\"additionalProperties\":false}";
  }

  private static String string(String name, String description) {
    return "\"" + name + "\":{\"type\":\"string\",\"description\":\"" + description + "\"}";
  }

  private static String strings(String name, String description) {
    return "\""
        + name
        + "\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":\""
        + description
        + "\"}";
  }

  private static Map<String, Object> fields(Object... pairs) {
    Map<String, Object> fields = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i + 1] != null) {
        fields.put((String) pairs[i], pairs[i + 1]);
      }
    }
    return fields;
  }

  private static String text(Map<String, Object> args, String name, String otherwise) {
    Object value = args.get(name);
    return value == null ? otherwise : value.toString();
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }

  interface NodeCall {
    JsonNode run();
  }

  /** A node answer as the tool's JSON result; a failure as a sentence with isError. */
  static CallToolResult result(NodeCall call) {
    try {
      return CallToolResult.builder()
          .addTextContent(JsonFormat.MAPPER.writeValueAsString(call.run()))
          .isError(false)
          .build();
    } catch (NodeClient.NodeException e) {
      return CallToolResult.builder().addTextContent(e.getMessage()).isError(true).build();
    } catch (JsonProcessingException e) {
      return CallToolResult.builder()
          .addTextContent("unreadable answer from the node: " + e.getMessage())
          .isError(true)
          .build();
    }
  }
}
