package ai.intercom.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.launcher.AgentOutput.Ignored;
import ai.intercom.launcher.AgentOutput.Init;
import ai.intercom.launcher.AgentOutput.PlainText;
import ai.intercom.launcher.AgentOutput.Progress;
import ai.intercom.launcher.AgentOutput.Result;
import ai.intercom.launcher.AgentOutput.Unreadable;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StreamJsonTest {

  private static final String CWD = "/home/dev/shop";
  private static final String SESSION = "4f1c2a9e-7b1d-4c55-9a0e-2d1f3b6c8e77";

  /** An assistant line whose content is the given blocks. */
  private static String assistant(String... blocks) {
    return "{\"type\":\"assistant\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":["
        + String.join(",", blocks)
        + "],\"stop_reason\":null,\"usage\":{\"input_tokens\":4,\"output_tokens\":1}},"
        + "\"parent_tool_use_id\":null,\"session_id\":\""
        + SESSION
        + "\"}";
  }

  private static String toolUse(String name, String input) {
    return "{\"type\":\"tool_use\",\"id\":\"toolu_01\",\"name\":\""
        + name
        + "\",\"input\":"
        + input
        + "}";
  }

  /** The progress lines of one assistant line with one tool call. */
  private static List<String> tool(String name, String input) {
    return progress(assistant(toolUse(name, input)));
  }

  private static List<String> progress(String line) {
    return assertInstanceOf(Progress.class, StreamJson.parse(line, CWD)).lines();
  }

  @Test
  void initGivesSessionModelAndDirectory() {
    String line =
        "{\"type\":\"system\",\"subtype\":\"init\",\"cwd\":\"/home/dev/shop\",\"session_id\":\""
            + SESSION
            + "\",\"tools\":[\"Task\",\"Bash\",\"Read\"],\"mcp_servers\":[{\"name\":\"intercom\","
            + "\"status\":\"connected\"}],\"model\":\"claude-sonnet-4-5-20250929\","
            + "\"permissionMode\":\"default\",\"apiKeySource\":\"none\"}";
    assertEquals(
        new Init(SESSION, "claude-sonnet-4-5-20250929", "/home/dev/shop"),
        StreamJson.parse(line, null));
  }

  @Test
  void otherSystemLinesAreIgnored() {
    String line = "{\"type\":\"system\",\"subtype\":\"compact_boundary\",\"session_id\":\"s\"}";
    assertEquals(new Ignored("system"), StreamJson.parse(line, CWD));
  }

  @Test
  void assistantTextAndToolCallsBecomeProgressLines() {
    String line =
        assistant(
            "{\"type\":\"thinking\",\"thinking\":\"hmm\",\"signature\":\"x\"}",
            "{\"type\":\"text\",\"text\":\"I will start by\\nreading the build.\"}",
            toolUse("Read", "{\"file_path\":\"/home/dev/shop/src/A.java\"}"));
    assertEquals(
        new Progress(
            SESSION, List.of("says: I will start by reading the build.", "Read src/A.java")),
        StreamJson.parse(line, CWD));
  }

  @Test
  void fileToolsShowPathsRelativeToTheWorkingDirectory() {
    assertEquals(
        List.of("Write README.md"), tool("Write", "{\"file_path\":\"/home/dev/shop/README.md\"}"));
    assertEquals(List.of("Edit /etc/hosts"), tool("Edit", "{\"file_path\":\"/etc/hosts\"}"));
    assertEquals(
        List.of("MultiEdit /home/dev/shopping/B.java"),
        tool("MultiEdit", "{\"file_path\":\"/home/dev/shopping/B.java\",\"edits\":[]}"));
    assertEquals(
        List.of("NotebookEdit nb/a.ipynb"),
        tool(
            "NotebookEdit",
            "{\"notebook_path\":\"/home/dev/shop/nb/a.ipynb\",\"new_source\":\"x\"}"));
    assertEquals(List.of("LS ."), tool("LS", "{\"path\":\"/home/dev/shop\"}"));
    assertEquals(List.of("Read"), tool("Read", "{}"));
  }

  @Test
  void pathsStayAbsoluteWithoutAWorkingDirectory() {
    String line = assistant(toolUse("Read", "{\"file_path\":\"/home/dev/shop/src/A.java\"}"));
    assertEquals(
        List.of("Read /home/dev/shop/src/A.java"),
        assertInstanceOf(Progress.class, StreamJson.parse(line, null)).lines());
  }

  @Test
  void searchWebAndTaskToolsAreSummarised() {
    assertEquals(
        List.of("Grep TODO|FIXME in src"),
        tool("Grep", "{\"pattern\":\"TODO|FIXME\",\"path\":\"/home/dev/shop/src\"}"));
    assertEquals(List.of("Grep class Mission"), tool("Grep", "{\"pattern\":\"class Mission\"}"));
    assertEquals(List.of("Glob **/*.java"), tool("Glob", "{\"pattern\":\"**/*.java\"}"));
    assertEquals(
        List.of("WebFetch https://pekko.apache.org/docs"),
        tool("WebFetch", "{\"url\":\"https://pekko.apache.org/docs\",\"prompt\":\"p\"}"));
    assertEquals(
        List.of("WebSearch pekko sharding"), tool("WebSearch", "{\"query\":\"pekko sharding\"}"));
    assertEquals(
        List.of("Task: Find the flaky test"),
        tool("Task", "{\"description\":\"Find the flaky test\",\"prompt\":\"long\"}"));
    assertEquals(
        List.of("updates its todo list"), tool("TodoWrite", "{\"todos\":[{\"content\":\"a\"}]}"));
    assertEquals(
        List.of("send_message (intercom)"), tool("mcp__intercom__send_message", "{\"to\":\"x\"}"));
    assertEquals(List.of("ExitPlanMode"), tool("ExitPlanMode", "{\"plan\":\"p\"}"));
  }

  @Test
  void bashShowsTheFirstLineOfTheCommandWithSecretsHidden() {
    assertEquals(
        List.of("Bash: mvn -q test"),
        tool("Bash", "{\"command\":\"mvn -q test\",\"description\":\"Run tests\"}"));
    assertEquals(
        List.of("Bash: curl -H \"Authorization: Bearer ***\" https://api.x.io/v1/items"),
        tool(
            "Bash",
            "{\"command\":\"curl -H \\\"Authorization: Bearer abc.def\\\" https://api.x.io/v1/items\"}"));
    assertEquals(
        List.of("Bash: cat > notes.md <<'EOF' …"),
        tool("Bash", "{\"command\":\"cat > notes.md <<'EOF'\\nline two\\nEOF\"}"));
  }

  @Test
  void aLongCommandIsCutWithAnEllipsis() {
    String command = "echo " + "word ".repeat(100) + "GITHUB_TOKEN=abc";
    String shown = tool("Bash", "{\"command\":\"" + command + "\"}").get(0);
    assertEquals(StreamJson.MAX_LINE, shown.length());
    assertTrue(shown.startsWith("Bash: echo word word"));
    assertTrue(shown.endsWith("…"));
  }

  @Test
  void aSecretAtTheCutIsHiddenBeforeTheLineIsCut() {
    String command = "x".repeat(140) + " --password hunter2hunter2hunter2";
    String shown = tool("Bash", "{\"command\":\"" + command + "\"}").get(0);
    assertTrue(!shown.contains("hunter"), shown);
  }

  @Test
  void textIsFlattenedCutAndRedacted() {
    String text =
        "Found it:\\n\\tthe key is sk-ant-api03-abcdefghijklmnopqrstuvwx. " + "More. ".repeat(40);
    List<String> lines = progress(assistant("{\"type\":\"text\",\"text\":\"" + text + "\"}"));
    assertEquals(1, lines.size());
    assertTrue(lines.get(0).startsWith("says: Found it:  the key is sk-***. More."), lines.get(0));
    assertTrue(lines.get(0).length() <= StreamJson.MAX_LINE);
  }

  @Test
  void anAssistantLineWithNothingToShowIsIgnored() {
    assertEquals(
        new Ignored("assistant"),
        StreamJson.parse(assistant("{\"type\":\"text\",\"text\":\"  \"}"), CWD));
    assertEquals(
        new Ignored("assistant"),
        StreamJson.parse(assistant("{\"type\":\"thinking\",\"thinking\":\"x\"}"), CWD));
    assertEquals(new Ignored("assistant"), StreamJson.parse(assistant(), CWD));
  }

  @Test
  void toolResultsAndUnknownTypesAreIgnored() {
    String result =
        "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"tool_use_id\":\"toolu_01\","
            + "\"type\":\"tool_result\",\"content\":\""
            + "line\\n".repeat(5000)
            + "\",\"is_error\":false}]},"
            + "\"parent_tool_use_id\":null,\"session_id\":\""
            + SESSION
            + "\"}";
    assertEquals(new Ignored("user"), StreamJson.parse(result, CWD));
    assertEquals(
        new Ignored("stream_event"),
        StreamJson.parse("{\"type\":\"stream_event\",\"event\":{}}", CWD));
    assertEquals(new Ignored("untyped"), StreamJson.parse("{\"hello\":1}", CWD));
  }

  @Test
  void successResultCarriesTextCostDurationAndTurns() {
    String line =
        "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"duration_ms\":1234,"
            + "\"duration_api_ms\":1100,\"num_turns\":3,\"result\":\"All tests pass.\",\"session_id\":\""
            + SESSION
            + "\",\"total_cost_usd\":0.0123,\"usage\":{\"input_tokens\":10,\"output_tokens\":20}}";
    assertEquals(
        new Result(false, "success", "All tests pass.", SESSION, 0.0123, 1234L, 3),
        StreamJson.parse(line, CWD));
  }

  @Test
  void errorSubtypeMakesAnErrorResultEvenWithoutIsError() {
    String line =
        "{\"type\":\"result\",\"subtype\":\"error_max_turns\",\"num_turns\":50,\"session_id\":\"s\"}";
    assertEquals(
        new Result(true, "error_max_turns", null, "s", null, null, 50),
        StreamJson.parse(line, CWD));
    String failed =
        "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":true,\"result\":\"API Error\"}";
    assertTrue(assertInstanceOf(Result.class, StreamJson.parse(failed, CWD)).isError());
  }

  @Test
  void plainTextIsPassedThrough() {
    assertEquals(new PlainText("The answer is 42."), StreamJson.parse("The answer is 42.  ", CWD));
    assertEquals(
        new PlainText("[INFO] Building shop"), StreamJson.parse("[INFO] Building shop", CWD));
    assertEquals(new PlainText("\"Done,\" it said."), StreamJson.parse("\"Done,\" it said.", CWD));
    assertEquals(new PlainText("42"), StreamJson.parse("42", CWD));
  }

  @Test
  void truncatedOrBrokenJsonIsUnreadable() {
    assertEquals(
        new Unreadable("truncated JSON (46 chars)"),
        StreamJson.parse("{\"type\":\"assistant\",\"message\":{\"content\":[{\"ty", CWD));
    assertInstanceOf(Unreadable.class, StreamJson.parse("{type: assistant}", CWD));
    assertInstanceOf(Unreadable.class, StreamJson.parse("{\"a\":1,}", CWD));
    assertInstanceOf(Unreadable.class, StreamJson.parse("{\"a\":" + "[".repeat(5000), CWD));
  }

  @Test
  void jsonThatIsNotAnObjectIsUnreadable() {
    assertEquals(new Unreadable("JSON array, not an object"), StreamJson.parse("[1,2]", CWD));
    assertEquals(new Unreadable("JSON string, not an object"), StreamJson.parse("\"str\"", CWD));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"type\":\"assistant\",\"message\":{\"content\":\"a string\"}}",
        "{\"type\":\"assistant\",\"message\":{\"content\":[1,null,\"x\",[],{\"type\":\"tool_use\"}]}}",
        "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\",\"name\":\"Bash\",\"input\":null}]}}",
        "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\",\"name\":\"Read\",\"input\":\"x\"}]}}",
        "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\",\"name\":{},\"input\":[]}]}}",
        "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":{\"a\":1}}]}}",
        "{\"type\":\"assistant\",\"message\":null}",
        "{\"type\":\"assistant\",\"message\":[]}",
        "{\"type\":\"assistant\"}",
        "{\"type\":\"result\",\"is_error\":\"yes\",\"duration_ms\":\"12\",\"num_turns\":1e40,\"result\":{}}",
        "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":7,\"model\":[],\"cwd\":null}",
        "{\"type\":null}",
        "{\"type\":[\"assistant\"]}",
        "{}",
        "",
        "   ",
        "\u0000\uFFFD{"
      })
  void oddLinesNeverThrow(String line) {
    AgentOutput output = StreamJson.parse(line, CWD);
    assertInstanceOf(AgentOutput.class, output);
  }

  @Test
  void wrongMemberTypesAreReadAsFarAsTheyMakeSense() {
    assertEquals(
        new Progress(null, List.of("says: a string")),
        StreamJson.parse("{\"type\":\"assistant\",\"message\":{\"content\":\"a string\"}}", CWD));
    assertEquals(
        new Progress(null, List.of("Bash", "tool")),
        StreamJson.parse(
            "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\",\"name\":\"Bash\","
                + "\"input\":null},{\"type\":\"tool_use\",\"name\":{}}]}}",
            CWD));
    Result result =
        assertInstanceOf(
            Result.class,
            StreamJson.parse(
                "{\"type\":\"result\",\"duration_ms\":\"12\",\"num_turns\":1e40,\"result\":{}}",
                CWD));
    assertEquals(new Result(false, null, null, null, null, null, null), result);
  }

  @Test
  void nullAndBlankLinesAreIgnored() {
    assertEquals(new Ignored("blank"), StreamJson.parse(null, null));
    assertEquals(new Ignored("blank"), StreamJson.parse(" \t", null));
  }

  @Test
  void tenThousandLinesParseQuickly() {
    String read = assistant(toolUse("Read", "{\"file_path\":\"/home/dev/shop/src/A.java\"}"));
    String bash =
        assistant(toolUse("Bash", "{\"command\":\"GITHUB_TOKEN=x mvn -q -o test --password p\"}"));
    long start = System.nanoTime();
    for (int i = 0; i < 10_000; i++) {
      StreamJson.parse(i % 2 == 0 ? read : bash, CWD);
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(millis < 3_000, "10,000 lines took " + millis + " ms");
  }

  @Test
  void relativeHandlesTrailingSlashesAndNeighbours() {
    assertEquals("a/B.java", StreamJson.relative("/p/a/B.java", "/p/"));
    assertEquals("/pq/B.java", StreamJson.relative("/pq/B.java", "/p"));
    assertEquals("/etc/x", StreamJson.relative("/etc/x", "/"));
    assertNull(StreamJson.relative(null, "/p"));
  }
}
