package ai.intercom.mcp;

import ai.intercom.cli.NodeClient;
import ai.intercom.http.Json;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Tool;

/** The tools about this session's own inbox. */
final class InboxTools {

  private final AgentSession session;
  private final McpJsonMapper mapper;

  InboxTools(AgentSession session, McpJsonMapper mapper) {
    this.session = session;
    this.mapper = mapper;
  }

  SyncToolSpecification checkInbox() {
    Tool tool = Tool.builder()
        .name("intercom_check_inbox")
        .description("Returns the messages other agents sent to this session that you have not seen yet, in full, and"
            + " marks them read. Messages normally reach you on their own between tool calls; call this when asked to"
            + " check your messages, or when a notice said a message was cut. Answer one with intercom_reply.")
        .inputSchema(mapper, "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}")
        .build();
    return SyncToolSpecification.builder()
        .tool(tool)
        .callHandler((exchange, request) -> call(() -> session.post("/api/inbox/" + session.id() + "/check")))
        .build();
  }

  interface NodeCall {
    JsonNode run();
  }

  /** A node answer as the tool's JSON result; a failure as a sentence with isError. */
  static CallToolResult call(NodeCall call) {
    try {
      return CallToolResult.builder().addTextContent(Json.MAPPER.writeValueAsString(call.run())).isError(false).build();
    } catch (NodeClient.NodeException e) {
      return CallToolResult.builder().addTextContent(e.getMessage()).isError(true).build();
    } catch (JsonProcessingException e) {
      return CallToolResult.builder().addTextContent("unreadable answer from the node: " + e.getMessage())
          .isError(true).build();
    }
  }
}
