package ai.intercom.registry;

import ai.intercom.serialization.JsonSerializable;
import java.time.Instant;

/** What an agent reported to the operator: a bug, a suggestion or a question. */
public record Feedback(String agent, String sessionId, String type, String description, String context, Instant at)
    implements JsonSerializable {

  /** The kinds an agent may report. */
  public static final java.util.List<String> TYPES = java.util.List.of("bug", "suggestion", "question");
}
