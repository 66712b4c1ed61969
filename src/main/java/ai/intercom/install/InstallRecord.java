package ai.intercom.install;

import ai.intercom.protocol.JsonFormat;
import ai.intercom.security.PrivateFiles;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the set-up added to files that are not ours ({@code $INTERCOM_HOME/installed.json}), so that
 * an uninstall takes out exactly that: one JSON object per area ({@code "claude"}, ...). Written
 * after each change, so a set-up cut half-way is still undone exactly.
 */
final class InstallRecord {

  static final String FILE = "installed.json";

  private final Path file;
  private final ObjectNode root;

  private InstallRecord(Path file, ObjectNode root) {
    this.file = file;
    this.root = root;
  }

  /** The record under {@code intercomHome}; empty when there is none yet. */
  static InstallRecord read(Path intercomHome) {
    Path file = intercomHome.resolve(FILE);
    if (!Files.exists(file)) {
      return new InstallRecord(file, JsonFormat.MAPPER.createObjectNode());
    }
    try {
      JsonNode read = JsonFormat.MAPPER.readTree(Files.readString(file));
      if (!(read instanceof ObjectNode object)) {
        throw new InstallException(file + " is not a JSON object: move it away and run again");
      }
      return new InstallRecord(file, object);
    } catch (JsonProcessingException e) {
      throw new InstallException(
          file + " is not valid JSON (line " + e.getLocation().getLineNr() + "): move it away");
    } catch (IOException e) {
      throw new InstallException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** The area's object, made when missing. */
  ObjectNode area(String name) {
    return root.has(name) && root.get(name).isObject()
        ? (ObjectNode) root.get(name)
        : root.putObject(name);
  }

  void save() {
    try {
      if (root.isEmpty()) {
        Files.deleteIfExists(file);
      } else {
        PrivateFiles.writeSecret(
            file, JsonFormat.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
      }
    } catch (IOException e) {
      throw new InstallException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  void drop(String name) {
    root.remove(name);
  }
}
