package ai.intercom.install;

import ai.intercom.protocol.JsonFormat;
import ai.intercom.security.PrivateFiles;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The intercom in Claude Code for one user: the MCP server added for the user ({@code claude mcp
 * add -s user}) and the hooks of {@code deploy/claude-hooks.json} merged into {@code
 * ~/.claude/settings.json} beside the user's own settings and hooks. What it added is written down
 * ({@link InstallRecord}), so that {@link #uninstall()} takes out exactly that. Every check is made
 * before the first change: a settings file that is not JSON, or one that cannot be written, stops
 * it with one line and nothing changed.
 */
public final class ClaudeIntegration {

  /** The MCP server's name in Claude Code; its tools are {@code mcp__ai-intercom__*}. */
  public static final String SERVER = "ai-intercom";

  static final String PLACEHOLDER = "/path/to/ai-intercom";

  /** Two-space indents and {@code "key": value}, as Claude Code writes its own files. */
  static final DefaultPrettyPrinter PRETTY = pretty();

  private static DefaultPrettyPrinter pretty() {
    DefaultPrettyPrinter printer =
        new DefaultPrettyPrinter()
            .withSeparators(
                Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                    .withObjectEmptySeparator("")
                    .withArrayEmptySeparator(""));
    printer.indentArraysWith(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE);
    return printer;
  }

  private final Path checkout;
  private final Path userHome;
  private final Path intercomHome;
  private final Optional<Path> claude;
  private final Consumer<String> say;

  /**
   * @param checkout the AI-Intercom checkout (its {@code scripts/} and {@code deploy/})
   * @param userHome the user's home ({@code $HOME}), where Claude Code keeps its settings
   * @param claude the {@code claude} CLI, when it is on PATH
   * @param say where each thing done is told, one line each
   */
  public ClaudeIntegration(
      Path checkout,
      Path userHome,
      Path intercomHome,
      Optional<Path> claude,
      Consumer<String> say) {
    this.checkout = checkout;
    this.userHome = userHome;
    this.intercomHome = intercomHome;
    this.claude = claude;
    this.say = say;
  }

  /** What was added for this user's Claude Code: one record per settings file. */
  String area() {
    return "claude " + settingsFile();
  }

  Path settingsFile() {
    return userHome.resolve(".claude").resolve("settings.json");
  }

  /** Where Claude Code keeps the servers added with {@code -s user}. */
  Path userConfig() {
    return userHome.resolve(".claude.json");
  }

  List<String> serverCommand() {
    return List.of(checkout.resolve("scripts").resolve("ai-intercom").toString(), "mcp-server");
  }

  /** Checks what {@link #install()} needs, changing nothing. */
  public void check() {
    readSettings();
    requireWritable(settingsFile());
    requireWritable(intercomHome.resolve(InstallRecord.FILE));
    ourHooks();
  }

  /** Adds the MCP server and merges the hooks; a second run finds them and changes nothing. */
  public void install() {
    check();
    InstallRecord record = InstallRecord.read(intercomHome);
    ObjectNode area = record.area(area());
    addServer(area, record);
    mergeHooks(area, record);
  }

  /** Takes out what {@link #install()} added, and only that. */
  public void uninstall() {
    InstallRecord record = InstallRecord.read(intercomHome);
    ObjectNode area = record.area(area());
    if (area.isEmpty()) {
      say.accept("Claude Code: nothing of ours to take out");
      record.drop(area());
      record.save();
      return;
    }
    removeHooks(area);
    removeServer(area);
    if (area.isEmpty()) {
      record.drop(area());
    }
    record.save();
  }

  // The MCP server.

  private void addServer(ObjectNode area, InstallRecord record) {
    String command = String.join(" ", serverCommand());
    if (claude.isEmpty()) {
      say.accept("Claude Code: 'claude' is not on PATH; once it is, add the MCP server with:");
      say.accept("  claude mcp add -s user " + SERVER + " -- " + command);
      say.accept("  or per project, in its .mcp.json:");
      say.accept("  " + mcpJsonSnippet());
      return;
    }
    Optional<JsonNode> present = configuredServer();
    if (present.isPresent()) {
      if (isOurs(present.get())) {
        say.accept("Claude Code: the MCP server " + SERVER + " is there already");
      } else {
        say.accept(
            "Claude Code: an MCP server named "
                + SERVER
                + " is there already ("
                + present.get().path("command").asText()
                + "), left as it is; to use this checkout: claude mcp remove -s user "
                + SERVER
                + " and run this again");
      }
      return;
    }
    List<String> add = new ArrayList<>(List.of(claude.get().toString(), "mcp", "add", "-s"));
    add.addAll(List.of("user", SERVER, "--"));
    add.addAll(serverCommand());
    runClaude(add, "add the MCP server");
    area.set("mcp_server", JsonFormat.MAPPER.valueToTree(serverCommand()));
    record.save();
    say.accept("Claude Code: added the MCP server " + SERVER + " for this user (" + command + ")");
  }

  private void removeServer(ObjectNode area) {
    if (!area.has("mcp_server")) {
      return;
    }
    Optional<JsonNode> present = configuredServer();
    if (present.isEmpty()) {
      say.accept("Claude Code: the MCP server " + SERVER + " is gone already");
    } else if (!isOurs(present.get())) {
      say.accept("Claude Code: the MCP server " + SERVER + " was changed since; left as it is");
    } else if (claude.isEmpty()) {
      say.accept(
          "Claude Code: 'claude' is not on PATH; remove the MCP server with: claude mcp remove -s"
              + " user "
              + SERVER);
      return;
    } else {
      runClaude(
          List.of(claude.get().toString(), "mcp", "remove", "-s", "user", SERVER),
          "remove the MCP server");
      say.accept("Claude Code: removed the MCP server " + SERVER);
    }
    area.remove("mcp_server");
  }

  /** The user-scope server of that name in Claude Code's {@code ~/.claude.json}, if any. */
  private Optional<JsonNode> configuredServer() {
    Path config = userConfig();
    if (!Files.exists(config)) {
      return Optional.empty();
    }
    JsonNode server = readJson(config).path("mcpServers").path(SERVER);
    return server.isObject() ? Optional.of(server) : Optional.empty();
  }

  private boolean isOurs(JsonNode server) {
    List<String> command = new ArrayList<>();
    command.add(server.path("command").asText());
    server.path("args").forEach(arg -> command.add(arg.asText()));
    return command.equals(serverCommand());
  }

  String mcpJsonSnippet() {
    ObjectNode server = JsonFormat.MAPPER.createObjectNode();
    server.put("command", serverCommand().get(0));
    server.putArray("args").add(serverCommand().get(1));
    ObjectNode snippet = JsonFormat.MAPPER.createObjectNode();
    snippet.putObject("mcpServers").set(SERVER, server);
    return snippet.toString();
  }

  private void runClaude(List<String> command, String what) {
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new InstallException("claude did not " + what + " within 60 s");
      }
      if (process.exitValue() != 0) {
        throw new InstallException(
            "claude could not " + what + ": " + output.strip().replace('\n', ' '));
      }
    } catch (IOException e) {
      throw new InstallException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InstallException("interrupted while claude was to " + what, e);
    }
  }

  // The hooks.

  /** {@code deploy/claude-hooks.json} with this checkout's path: event -> hook groups. */
  ObjectNode ourHooks() {
    Path file = checkout.resolve("deploy").resolve("claude-hooks.json");
    JsonNode hooks = readJson(file).path("hooks");
    if (!hooks.isObject()) {
      throw new InstallException(file + " has no \"hooks\" object");
    }
    ObjectNode ours = hooks.deepCopy();
    placeCheckout(ours);
    return ours;
  }

  private void placeCheckout(JsonNode node) {
    if (node instanceof ObjectNode object) {
      Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        if (field.getValue().isTextual() && field.getValue().asText().contains(PLACEHOLDER)) {
          field.setValue(
              TextNode.valueOf(
                  field.getValue().asText().replace(PLACEHOLDER, checkout.toString())));
        } else {
          placeCheckout(field.getValue());
        }
      }
    } else if (node instanceof ArrayNode array) {
      array.forEach(this::placeCheckout);
    }
  }

  private void mergeHooks(ObjectNode area, InstallRecord record) {
    Path file = settingsFile();
    boolean existed = Files.exists(file);
    ObjectNode settings = readSettings();
    ObjectNode ours = ourHooks();
    ArrayNode added = area.has("hooks") ? (ArrayNode) area.get("hooks") : area.putArray("hooks");
    int count = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = ours.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> event = it.next();
      for (JsonNode group : event.getValue()) {
        ArrayNode groups = groupsOf(settings, event.getKey());
        if (!contains(groups, group)) {
          groups.add(group);
          ObjectNode entry = added.addObject();
          entry.put("event", event.getKey());
          entry.set("group", group);
          count++;
        }
      }
    }
    if (count == 0) {
      if (added.isEmpty()) {
        area.remove("hooks");
      }
      say.accept("Claude Code: the hooks are in " + file + " already");
      return;
    }
    if (!existed) {
      area.put("created_settings", true);
    } else if (!area.has("settings_before")) {
      area.put("settings_before", readText(file));
    }
    writeSettings(settings);
    record.save();
    say.accept("Claude Code: merged " + count + " hooks into " + file + " (yours are kept)");
  }

  private void removeHooks(ObjectNode area) {
    JsonNode added = area.path("hooks");
    if (!added.isArray() || added.isEmpty()) {
      area.remove("hooks");
      return;
    }
    Path file = settingsFile();
    if (!Files.exists(file)) {
      say.accept("Claude Code: " + file + " is gone already");
      area.remove("hooks");
      area.remove("created_settings");
      return;
    }
    ObjectNode settings = readSettings();
    requireWritable(file);
    int removed = 0;
    int changed = 0;
    for (JsonNode entry : added) {
      String event = entry.path("event").asText();
      JsonNode groups = settings.path("hooks").path(event);
      int at = indexOf(groups, entry.path("group"));
      if (at < 0) {
        changed++;
        continue;
      }
      ((ArrayNode) groups).remove(at);
      removed++;
      if (groups.isEmpty()) {
        ((ObjectNode) settings.get("hooks")).remove(event);
      }
    }
    if (settings.path("hooks").isObject() && settings.get("hooks").isEmpty()) {
      settings.remove("hooks");
    }
    try {
      String before = area.path("settings_before").asText(null);
      if (area.path("created_settings").asBoolean() && settings.isEmpty()) {
        Files.delete(file);
      } else if (before != null && isJsonOf(before, settings)) {
        // nothing else changed since: the user's file comes back byte for byte
        PrivateFiles.replaceKeepingMode(file, before.getBytes(StandardCharsets.UTF_8));
      } else if (removed > 0) {
        writeSettings(settings);
      }
    } catch (IOException e) {
      throw new InstallException("cannot change " + file + ": " + e.getMessage(), e);
    }
    say.accept(
        "Claude Code: removed "
            + removed
            + " hooks from "
            + file
            + (changed > 0 ? " (" + changed + " changed since, left as they are)" : ""));
    area.remove("hooks");
    area.remove("created_settings");
    area.remove("settings_before");
  }

  private static boolean isJsonOf(String text, JsonNode tree) {
    try {
      return tree.equals(JsonFormat.MAPPER.readTree(text));
    } catch (JsonProcessingException e) {
      return false;
    }
  }

  private static ArrayNode groupsOf(ObjectNode settings, String event) {
    JsonNode hooks = settings.get("hooks");
    ObjectNode byEvent = hooks instanceof ObjectNode object ? object : settings.putObject("hooks");
    JsonNode groups = byEvent.get(event);
    return groups instanceof ArrayNode array ? array : byEvent.putArray(event);
  }

  private static boolean contains(JsonNode groups, JsonNode group) {
    return indexOf(groups, group) >= 0;
  }

  private static int indexOf(JsonNode groups, JsonNode group) {
    for (int i = 0; i < groups.size(); i++) {
      if (groups.get(i).equals(group)) {
        return i;
      }
    }
    return -1;
  }

  // Files.

  /** The user's settings (empty when there are none), or one line saying what is wrong. */
  private ObjectNode readSettings() {
    Path file = settingsFile();
    if (!Files.exists(file)) {
      return JsonFormat.MAPPER.createObjectNode();
    }
    JsonNode settings = readJson(file);
    if (!(settings instanceof ObjectNode object)) {
      throw new InstallException(file + " is not a JSON object; fix it and run again");
    }
    JsonNode hooks = object.get("hooks");
    if (hooks != null && !hooks.isObject()) {
      throw new InstallException(file + ": \"hooks\" is not an object; fix it and run again");
    }
    if (hooks != null) {
      hooks
          .fields()
          .forEachRemaining(
              event -> {
                if (!event.getValue().isArray()) {
                  throw new InstallException(
                      file + ": hooks." + event.getKey() + " is not a list; fix it and run again");
                }
              });
    }
    return object;
  }

  private static String readText(Path file) {
    try {
      return Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new InstallException(file + " is missing");
    } catch (IOException e) {
      throw new InstallException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static JsonNode readJson(Path file) {
    String text = readText(file);
    try {
      JsonNode node = JsonFormat.MAPPER.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw new InstallException(file + " is empty, not JSON; fix it and run again");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new InstallException(
          file
              + " is not valid JSON (line "
              + e.getLocation().getLineNr()
              + ", column "
              + e.getLocation().getColumnNr()
              + "); fix it and run again");
    }
  }

  private void writeSettings(ObjectNode settings) {
    Path file = settingsFile();
    try {
      byte[] json = JsonFormat.MAPPER.writer(PRETTY).writeValueAsBytes(settings);
      PrivateFiles.replaceKeepingMode(
          file, (new String(json, StandardCharsets.UTF_8) + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new InstallException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Stops with one line unless {@code file} can be written: its folder (or the nearest one that
   * exists, where the rest can be made) is writable, and so is the file when it is there.
   */
  static void requireWritable(Path file) {
    Path existing = file.toAbsolutePath().getParent();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
      throw new InstallException(
          "cannot write "
              + file
              + (existing == null ? "" : ": " + existing + " is not a writable folder")
              + "; nothing was changed");
    }
    if (Files.exists(file) && !Files.isWritable(file)) {
      throw new InstallException("cannot write " + file + ": it is read-only; nothing was changed");
    }
  }
}
