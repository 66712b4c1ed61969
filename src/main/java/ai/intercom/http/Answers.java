package ai.intercom.http;

import ai.intercom.mission.ChatThread;
import ai.intercom.mission.Mission;
import ai.intercom.mission.Router;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The JSON answers of the local API that carry domain records, each a record mapped in one place
 * (snake_case, absent fields left out) from what the entities answer.
 */
final class Answers {

  private Answers() {}

  /**
   * How a message, launch, follow-up or stop went; {@code state} is how far the message got, {@code
   * receipts} how far at each recipient (when the call waited), {@code targets} a broadcast's
   * outcome per target.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Outcome(
      String status,
      String threadId,
      String missionId,
      String to,
      String sessionId,
      String approvalId,
      String note,
      String state,
      List<Receipt> receipts,
      Integer count,
      List<Outcome> targets) {

    static Outcome of(Router.Outcome done) {
      return new Outcome(
          done.status(),
          done.threadId(),
          done.missionId(),
          done.to(),
          done.sessionId(),
          done.approvalId(),
          done.note(),
          done.state(),
          Receipt.all(done.receipts()),
          done.targets() == null ? null : done.targets().size(),
          done.targets() == null ? null : done.targets().stream().map(Outcome::of).toList());
    }
  }

  /** How far a message got to one recipient (see {@code DeliveryState}). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Receipt(
      String agent,
      String state,
      String session,
      String hookEvent,
      Instant injectedAt,
      Instant at) {

    static Receipt of(ChatThread.Receipt receipt) {
      return new Receipt(
          receipt.agent(),
          receipt.state().wire(),
          receipt.session(),
          receipt.hookEvent(),
          receipt.injectedAt(),
          receipt.at());
    }

    /** Null for none: left out of the answer. */
    static List<Receipt> all(List<ChatThread.Receipt> receipts) {
      return receipts == null || receipts.isEmpty()
          ? null
          : receipts.stream().map(Receipt::of).toList();
    }
  }

  /** A mission as {@code intercom_status} and {@code ai-intercom status} show it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record MissionStatus(
      String status,
      String missionId,
      String kind,
      String from,
      String to,
      Instant createdAt,
      Instant updatedAt,
      String prompt,
      String threadId,
      Long messages,
      String latestProgress,
      List<String> progress,
      String result,
      Double costUsd,
      Long durationMs,
      String agentSessionId,
      String reason,
      List<Receipt> receipts) {

    /** {@code receipts}: how far the mission's message (its thread's first) got. */
    static MissionStatus of(Mission.State mission, Optional<ChatThread.State> thread) {
      boolean progressed = !mission.latestProgress().isEmpty();
      return new MissionStatus(
          mission.status().wire(),
          mission.missionId(),
          mission.kind().name().toLowerCase(),
          mission.from(),
          mission.to(),
          mission.createdAt(),
          mission.updatedAt(),
          mission.prompt(),
          mission.threadId(),
          thread.map(ChatThread.State::count).orElse(null),
          progressed ? mission.latestProgress() : null,
          progressed ? mission.progress() : null,
          mission.result(),
          mission.costUsd(),
          mission.durationMs(),
          mission.agentSessionId(),
          mission.reason(),
          thread
              .flatMap(t -> t.message(1))
              .map(first -> Receipt.all(first.receipts()))
              .orElse(null));
    }
  }

  record MissionList(String status, List<MissionStatus> missions) {}

  /** A mission's messages, the latest {@code messages.size()} of {@code total}. */
  record History(
      String status,
      String missionId,
      @JsonInclude(JsonInclude.Include.ALWAYS) String threadId,
      long total,
      List<MissionRoutes.Line> messages) {}

  /**
   * Claude Code's permission answer ({@code behavior} allow with {@code updatedInput}, or deny with
   * {@code message}), or {@code pending} with the approval id while the operator has not decided.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record PermissionDecision(
      String status,
      String approvalId,
      String behavior,
      @JsonProperty("updatedInput") JsonNode updatedInput,
      String message) {

    static PermissionDecision pending(String approvalId) {
      return new PermissionDecision("pending", approvalId, null, null, null);
    }

    static PermissionDecision allow(JsonNode input) {
      return new PermissionDecision(null, null, "allow", input, null);
    }

    static PermissionDecision deny(String message) {
      return new PermissionDecision(null, null, "deny", null, message);
    }
  }

  record Agents(String status, int count, List<?> agents) {}

  record Machines(String status, List<?> machines) {}

  record FeedbackList(String status, List<?> feedback) {}

  record FeedbackRecorded(String status, Object feedback) {}

  /** {@code intercom_register}: the project's profile as the hub keeps it. */
  record ProjectRegistered(String status, String agent, Object project) {}

  record Sessions(List<?> sessions) {}

  record SessionRegistered(String status, Object session) {}

  record SessionUnregistered(String status, String sessionId) {}

  /** {@code wait-inbox}: nothing came in time, or the text of what came. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Waited(String status, Integer count, String text) {

    static Waited timeout() {
      return new Waited("timeout", null, null);
    }

    static Waited message(int count, String text) {
      return new Waited("message", count, text);
    }
  }

  /** Claude Code's hook output; its names are camelCase, unlike the rest of the API. */
  record HookOutput(@JsonProperty("hookSpecificOutput") HookContext hookSpecificOutput) {

    static HookOutput of(String event, String context) {
      return new HookOutput(new HookContext(event, context));
    }
  }

  record HookContext(
      @JsonProperty("hookEventName") String hookEventName,
      @JsonProperty("additionalContext") String additionalContext) {}
}
