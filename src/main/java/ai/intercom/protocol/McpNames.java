package ai.intercom.protocol;

/**
 * Names that an agent's configuration and the launcher's command line share with the MCP server.
 */
public final class McpNames {

  /** The server's name in an agent's MCP configuration (tools are {@code mcp__intercom__...}). */
  public static final String SERVER = "intercom";

  /** The tool that answers Claude Code's {@code --permission-prompt-tool}. */
  public static final String PERMISSION_TOOL = "intercom_permission_prompt";

  private McpNames() {}

  /** How Claude Code names one of the server's tools. */
  public static String qualified(String tool) {
    return "mcp__" + SERVER + "__" + tool;
  }
}
