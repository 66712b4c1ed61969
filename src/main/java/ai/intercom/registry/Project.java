package ai.intercom.registry;

import ai.intercom.protocol.JsonSerializable;
import java.util.List;

/** A project an agent can work in, on one machine. */
public record Project(
    String name, String path, String description, List<String> capabilities, List<String> tags)
    implements JsonSerializable {

  public Project {
    capabilities = List.copyOf(capabilities);
    tags = List.copyOf(tags);
    description = description == null ? "" : description;
    path = path == null ? "" : path;
  }

  public Project withProfile(
      String newDescription, List<String> newCapabilities, List<String> newTags) {
    return new Project(
        name,
        path,
        newDescription == null ? description : newDescription,
        newCapabilities == null ? capabilities : newCapabilities,
        newTags == null ? tags : newTags);
  }
}
