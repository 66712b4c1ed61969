package ai.intercom.daemon;

import ai.intercom.protocol.JsonSerializable;
import java.time.Instant;

/**
 * A message on its way into an agent's context. {@code letterId} is unique per message (thread id
 * and sequence number) so that a copy delivered twice is recognised; {@code threadId} is what the
 * agent replies to.
 */
public record Letter(
    String letterId, String threadId, String missionId, String from, String text, Instant at)
    implements JsonSerializable {}
