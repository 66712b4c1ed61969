package ai.intercom.registry;

import ai.intercom.protocol.JsonSerializable;
import java.time.Instant;
import java.util.List;

/** What an agent reported to the operator: a bug, a suggestion or a question. */
public record Feedback(
    String agent, String sessionId, String type, String description, String context, Instant at)
    implements JsonSerializable {

  /** The kinds an agent may report. */
  public static final List<String> TYPES = List.of("bug", "suggestion", "question");
}
