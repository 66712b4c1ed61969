package ai.intercom.http;

import ai.intercom.network.Admissions;
import ai.intercom.protocol.Refusal;
import ai.intercom.registry.Machine;
import ai.intercom.security.RequestSignature;
import ai.intercom.security.SignatureCheck;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admission of machines on the hub. Open to other machines: {@code POST /api/join} (a new machine
 * asks), {@code POST /api/join/status} (it collects its answer with its claim), {@code GET
 * /api/network} (signed with its token: whether it is still a member, the seeds and the revoked
 * certificates). For the operator, behind the local token: {@code POST
 * /api/machines/ID/approve|deny|revoke}.
 */
public final class NetworkRoutes extends JsonRoutes {

  private static final Logger log = LoggerFactory.getLogger(NetworkRoutes.class);

  record JoinBody(
      String machineId,
      String displayName,
      String description,
      String certificateRequest,
      String claimHash) {}

  record StatusBody(String machineId, String claim) {}

  record ReasonBody(String reason) {}

  private static final ReasonBody NO_REASON = new ReasonBody(null);

  @JsonInclude(JsonInclude.Include.NON_NULL)
  record MachineAnswer(String status, String machineId, String joinStatus, String reason) {
    static MachineAnswer of(Machine.State state) {
      return new MachineAnswer(
          "ok",
          state.machineId(),
          state.joinStatus().name().toLowerCase(java.util.Locale.ROOT),
          state.reason());
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  record NetworkAnswer(
      String status, String machineId, List<String> seedNodes, List<String> revoked) {}

  private final Admissions admissions;
  private final SignatureCheck signatures;
  private final OperatorCheck operator;

  NetworkRoutes(Admissions admissions, Duration window, OperatorCheck operator) {
    this.admissions = admissions;
    this.signatures = new SignatureCheck(window, java.time.Clock.systemUTC());
    this.operator = operator;
  }

  /** What other machines may call: without the local token. */
  Route open() {
    return concat(
        path(
            "join",
            () ->
                post(
                    () ->
                        body(
                            JoinBody.class,
                            null,
                            b ->
                                answer(
                                    admissions.request(
                                        new Admissions.JoinRequest(
                                            b.machineId(),
                                            b.displayName(),
                                            b.description(),
                                            b.certificateRequest(),
                                            b.claimHash())))))),
        path(
            PathMatchers.segment("join").slash("status"),
            () ->
                post(
                    () ->
                        body(
                            StatusBody.class,
                            null,
                            b ->
                                b.machineId() == null
                                    ? badRequest("machine_id is required")
                                    : answer(admissions.status(b.machineId(), b.claim()))))),
        path(
            "network",
            () ->
                get(
                    () ->
                        signed(
                            machine ->
                                completeOK(
                                    new NetworkAnswer(
                                        "ok",
                                        machine,
                                        admissions.seedNodes(),
                                        admissions.revokedSerials()),
                                    Json.marshaller())))));
  }

  /** The operator's decisions, behind the local token. */
  Route operator() {
    return pathPrefix(
        "machines",
        () ->
            pathPrefix(
                PathMatchers.segment(),
                id ->
                    concat(
                        decision("approve", "admit machines", id, b -> admissions.approve(id)),
                        decision("deny", "deny machines", id, b -> admissions.deny(id, b.reason())),
                        decision(
                            "revoke",
                            "revoke machines",
                            id,
                            b -> admissions.revoke(id, b.reason())))));
  }

  private Route decision(
      String verb,
      String action,
      String id,
      Function<ReasonBody, java.util.concurrent.CompletionStage<Machine.State>> decide) {
    return path(
        verb,
        () ->
            post(
                () ->
                    operator.operatorOnly(
                        action,
                        () ->
                            body(
                                ReasonBody.class,
                                NO_REASON,
                                b ->
                                    onComplete(
                                        decide.apply(b),
                                        done ->
                                            done.isSuccess()
                                                ? completeOK(
                                                    MachineAnswer.of(done.get()), Json.marshaller())
                                                : refusal(done.failed().get()))))));
  }

  private Route answer(java.util.concurrent.CompletionStage<Admissions.JoinAnswer> answer) {
    return onComplete(
        answer,
        done ->
            done.isSuccess()
                ? completeOK(done.get(), Json.marshaller())
                : refusal(done.failed().get()));
  }

  /**
   * {@code inner} with the machine that signed the request; 401 with the reason (also logged) for
   * an unsigned, stale, replayed, forged or revoked one.
   */
  Route signed(Function<String, Route> inner) {
    return extractRequest(
        request ->
            extractStrictEntity(
                Duration.ofSeconds(5),
                entity -> {
                  String machine = header(request, RequestSignature.MACHINE);
                  String ts = header(request, RequestSignature.TIMESTAMP);
                  String nonce = header(request, RequestSignature.NONCE);
                  String signature = header(request, RequestSignature.SIGNATURE);
                  Optional<String> early = signatures.precheck(machine, ts, nonce, signature);
                  if (early.isPresent()) {
                    return unauthorized(machine, early.get());
                  }
                  String target = pathAndQuery(request);
                  byte[] body = entity.getData().toArray();
                  return onComplete(
                      admissions.tokenOf(machine),
                      token -> {
                        if (token.isFailure()) {
                          Throwable cause = Refusal.cause(token.failed().get());
                          return cause instanceof Refusal refusal
                              ? unauthorized(machine, refusal.reason())
                              : failWith(cause);
                        }
                        Optional<String> why =
                            signatures.verify(
                                token.get(),
                                machine,
                                request.method().value(),
                                target,
                                ts,
                                nonce,
                                signature,
                                body);
                        return why.map(w -> unauthorized(machine, w))
                            .orElseGet(() -> inner.apply(machine));
                      });
                }));
  }

  private Route unauthorized(String machine, String why) {
    log.warn("refused a signed request from machine {}: {}", machine, why);
    return error(StatusCodes.UNAUTHORIZED, "signed request refused: " + why);
  }

  private static String header(HttpRequest request, String name) {
    return request.getHeader(name).map(h -> h.value().trim()).orElse(null);
  }

  static String pathAndQuery(HttpRequest request) {
    String path = request.getUri().path();
    return request.getUri().rawQueryString().map(q -> path + "?" + q).orElse(path);
  }
}
