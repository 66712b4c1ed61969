package ai.intercom.http;

import ai.intercom.approval.ApprovalGate;
import ai.intercom.approval.GrantLevel;
import ai.intercom.approval.PolicyView;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;

/**
 * Pending approvals and the policy, for operators without Telegram: {@code GET /api/approvals},
 * {@code POST /api/approvals/{id}/approve|deny}, {@code GET /api/policy}, {@code POST
 * /api/policy/reload}.
 */
public final class ApprovalRoutes extends JsonRoutes {

  /** Body of approve (level) and deny (reason); both optional, as is who decides. */
  public record DecisionBody(String level, String reason, String by) {}

  private static final DecisionBody NO_DECISION_BODY = new DecisionBody(null, null, null);

  private final ActorSystem<?> system;
  private final ActorRef<ApprovalGate.Command> gate;
  private final OperatorCheck operator;
  private final Duration timeout;

  ApprovalRoutes(
      ActorSystem<?> system,
      ActorRef<ApprovalGate.Command> gate,
      OperatorCheck operator,
      Duration timeout) {
    this.system = system;
    this.gate = gate;
    this.operator = operator;
    this.timeout = timeout;
  }

  public Route route() {
    return concat(
        path(
            "approvals",
            () -> get(() -> onSuccess(pending(), list -> completeOK(list, Json.marshaller())))),
        pathPrefix(
            "approvals",
            () ->
                pathPrefix(
                    PathMatchers.segment(),
                    id ->
                        concat(
                            path(
                                "approve",
                                () ->
                                    post(
                                        () ->
                                            operator.operatorOnly(
                                                "approve messages or grant approvals",
                                                () ->
                                                    body(
                                                        DecisionBody.class,
                                                        NO_DECISION_BODY,
                                                        body -> decide(id, true, body))))),
                            path(
                                "deny",
                                () ->
                                    post(
                                        () ->
                                            operator.operatorOnly(
                                                "deny messages",
                                                () ->
                                                    body(
                                                        DecisionBody.class,
                                                        NO_DECISION_BODY,
                                                        body -> decide(id, false, body)))))))),
        path(
            "policy",
            () -> get(() -> onSuccess(policy(), view -> completeOK(view, Json.marshaller())))),
        pathPrefix(
            "policy",
            () ->
                path(
                    "reload",
                    () ->
                        post(
                            () ->
                                operator.operatorOnly(
                                    "reload the policy",
                                    () -> onSuccess(reload(), this::completeStatus))))));
  }

  private Route decide(String id, boolean approve, DecisionBody body) {
    GrantLevel grant = null;
    if (approve && body.level() != null) {
      try {
        grant = GrantLevel.parse(body.level());
      } catch (IllegalArgumentException e) {
        return badRequest(e.getMessage());
      }
    }
    String by = body.by() == null || body.by().isBlank() ? "operator" : body.by();
    GrantLevel level = grant;
    CompletionStage<StatusReply<ApprovalGate.Decision>> decision =
        AskPattern.ask(
            gate,
            replyTo -> new ApprovalGate.Decide(id, approve, level, by, body.reason(), replyTo),
            timeout,
            system.scheduler());
    return onSuccess(decision, this::completeStatus);
  }

  private <T> Route completeStatus(StatusReply<T> reply) {
    if (reply.isSuccess()) {
      return completeOK(reply.getValue(), Json.marshaller());
    }
    return refusal(reply.getError());
  }

  private CompletionStage<ApprovalGate.PendingList> pending() {
    return AskPattern.ask(gate, ApprovalGate.ListPending::new, timeout, system.scheduler());
  }

  private CompletionStage<PolicyView> policy() {
    return AskPattern.ask(gate, ApprovalGate.ShowPolicy::new, timeout, system.scheduler());
  }

  private CompletionStage<StatusReply<PolicyView>> reload() {
    return AskPattern.ask(gate, ApprovalGate.ReloadPolicy::new, timeout, system.scheduler());
  }
}
