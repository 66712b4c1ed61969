package ai.intercom.network;

import ai.intercom.protocol.AgentId;
import ai.intercom.protocol.Refusal;
import ai.intercom.registry.Machine;
import ai.intercom.registry.Machine.JoinStatus;
import ai.intercom.registry.MachineIndex;
import ai.intercom.security.CertificateAuthority;
import ai.intercom.security.MachineTokens;
import ai.intercom.security.NodeKeys;
import ai.intercom.security.Pem;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's side of admitting machines: join requests, the operator's decisions, revocation, and
 * the tokens that signed requests are checked with. A request carries the machine's certificate
 * request and the hash of a claim secret only the asking process knows; what approval gives (token,
 * certificate, CA, where the cluster is) goes only to the holder of that secret.
 */
public final class Admissions {

  private static final Logger log = LoggerFactory.getLogger(Admissions.class);

  /** A join request as it arrives. */
  public record JoinRequest(
      String machineId,
      String displayName,
      String description,
      String certificateRequest,
      String claimHash) {}

  /** What the asking machine learns: its status, and when approved what it needs to enter. */
  public record JoinAnswer(
      String status,
      String machineId,
      String reason,
      Instant expiresAt,
      String token,
      String certificate,
      String caCertificate,
      List<String> seedNodes) {

    static JoinAnswer of(String status, String machineId, String reason, Instant expiresAt) {
      return new JoinAnswer(status, machineId, reason, expiresAt, null, null, null, null);
    }
  }

  private final ActorSystem<?> system;
  private final CertificateAuthority ca;
  private final MachineTokens tokens;
  private final NodeKeys keys;
  private final List<String> seedNodes;
  private final Duration expireAfter;
  private final Duration timeout;
  private final ActorRef<RevokedCertificates.Command> revoked;
  private final Consumer<Machine.State> onRequest;

  /**
   * {@code seedNodes}: the hubs' cluster addresses ({@code host:port}) a new machine joins; {@code
   * onRequest}: told of each new pending request (the Telegram card).
   */
  public Admissions(
      ActorSystem<?> system,
      CertificateAuthority ca,
      MachineTokens tokens,
      NodeKeys keys,
      List<String> seedNodes,
      Duration expireAfter,
      Duration timeout,
      ActorRef<RevokedCertificates.Command> revoked,
      Consumer<Machine.State> onRequest) {
    this.system = system;
    this.ca = ca;
    this.tokens = tokens;
    this.keys = keys;
    this.seedNodes = List.copyOf(seedNodes);
    this.expireAfter = expireAfter;
    this.timeout = timeout;
    this.revoked = revoked;
    this.onRequest = onRequest;
  }

  public CompletionStage<JoinAnswer> request(JoinRequest request) {
    if (!AgentId.isValidPart(request.machineId())) {
      return refused(
          Refusal.invalid(
              "machine id '"
                  + request.machineId()
                  + "' must be 1-63 letters, digits, '.', '_' or '-'"));
    }
    if (request.claimHash() == null || !request.claimHash().matches("[0-9a-f]{64}")) {
      return refused(Refusal.invalid("claim_hash must be the SHA-256 of the claim, in hex"));
    }
    if (request.certificateRequest() == null || request.certificateRequest().length() > 16_384) {
      return refused(Refusal.invalid("certificate_request must be a PEM certificate request"));
    }
    try {
      CertificateAuthority.checkRequest(request.machineId(), request.certificateRequest());
    } catch (IllegalArgumentException e) {
      return refused(Refusal.invalid(e.getMessage()));
    }
    String name = limit(request.displayName(), request.machineId(), 100);
    String description = limit(request.description(), "", 500);
    EntityRef<Machine.Command> machine = machine(request.machineId());
    return state(request.machineId())
        .thenCompose(
            known -> {
              if (known.joinStatus() == JoinStatus.APPROVED) {
                throw new Refusal(
                    Refusal.Code.CONFLICT,
                    "machine "
                        + request.machineId()
                        + " is a member already; revoke it first"
                        + " (ai-intercom machines revoke "
                        + request.machineId()
                        + ") to admit it again");
              }
              if (known.joinStatus() == JoinStatus.PENDING
                  && !expired(known)
                  && !request.claimHash().equals(known.admission().claimHash())) {
                throw new Refusal(
                    Refusal.Code.CONFLICT,
                    "a join request of machine "
                        + request.machineId()
                        + " is already waiting for the operator");
              }
              boolean fresh = known.joinStatus() != JoinStatus.PENDING || expired(known);
              return machine
                  .<Machine.State>askWithStatus(
                      r ->
                          new Machine.RequestJoin(
                              name,
                              description,
                              request.certificateRequest(),
                              request.claimHash(),
                              r),
                      timeout)
                  .thenApply(
                      pending -> {
                        if (fresh) {
                          log.info("machine {} asks to join", request.machineId());
                          // listed for the operator (ai-intercom machines) while it waits
                          ClusterSharding.get(system)
                              .entityRefFor(MachineIndex.ENTITY_KEY, MachineIndex.ID)
                              .tell(new MachineIndex.Add(request.machineId(), system.ignoreRef()));
                          onRequest.accept(pending);
                        }
                        return answer(pending);
                      });
            });
  }

  /** The answer for the holder of {@code claim}; refused to anyone else. */
  public CompletionStage<JoinAnswer> status(String machineId, String claim) {
    return state(machineId)
        .thenApply(
            state -> {
              if (state.joinStatus() == JoinStatus.UNKNOWN || state.admission() == null) {
                throw Refusal.notFound("no join request of machine " + machineId);
              }
              String hash = claim == null ? "" : MachineTokens.hash(claim);
              if (!ai.intercom.security.RequestSignature.same(
                  state.admission().claimHash(), hash)) {
                throw new Refusal(
                    Refusal.Code.FORBIDDEN,
                    "this claim is not the one machine " + machineId + " asked with");
              }
              return answer(state);
            });
  }

  /** Admits a pending machine: signs its certificate and makes its token. */
  public CompletionStage<Machine.State> approve(String machineId) {
    return state(machineId)
        .thenCompose(
            state -> {
              pendingOrRefuse(state, "approve");
              X509Certificate cert;
              try {
                cert = ca.issue(machineId, state.admission().certificateRequest());
              } catch (IllegalArgumentException e) {
                throw Refusal.invalid(e.getMessage());
              }
              String serial = CertificateAuthority.serialOf(cert);
              String token = tokens.tokenFor(machineId, serial);
              return machine(machineId)
                  .<Machine.State>askWithStatus(
                      r ->
                          new Machine.ApproveJoin(
                              MachineTokens.hash(token), Pem.certificate(cert), serial, r),
                      timeout)
                  .thenApply(
                      approved -> {
                        log.info("machine {} admitted (certificate {})", machineId, serial);
                        return approved;
                      });
            });
  }

  public CompletionStage<Machine.State> deny(String machineId, String reason) {
    return state(machineId)
        .thenCompose(
            state -> {
              pendingOrRefuse(state, "deny");
              return machine(machineId)
                  .<Machine.State>askWithStatus(
                      r ->
                          new Machine.DenyJoin(
                              reason == null ? "denied by the operator" : reason, r),
                      timeout);
            });
  }

  /**
   * Takes a member out: its token stops working at once, its certificate is refused at every node's
   * next handshake, and its node is downed.
   */
  public CompletionStage<Machine.State> revoke(String machineId, String reason) {
    return machine(machineId)
        .<Machine.State>askWithStatus(
            r -> new Machine.Revoke(reason == null ? "revoked by the operator" : reason, r),
            timeout)
        .thenCompose(
            state -> {
              log.warn("machine {} revoked: {}", machineId, state.reason());
              if (state.serial() == null) {
                return CompletableFuture.completedFuture(state);
              }
              return RevokedCertificates.add(revoked, state.serial(), machineId, system, timeout)
                  .thenApply(done -> state);
            });
  }

  /** The token of an admitted machine, to check its signed requests; refused otherwise. */
  public CompletionStage<String> tokenOf(String machineId) {
    return state(machineId)
        .thenApply(
            state -> {
              if (state.joinStatus() != JoinStatus.APPROVED || state.serial() == null) {
                throw new Refusal(
                    Refusal.Code.FORBIDDEN,
                    state.joinStatus() == JoinStatus.UNKNOWN
                        ? "unknown machine " + machineId
                        : "machine "
                            + machineId
                            + " is "
                            + state.joinStatus().name().toLowerCase(java.util.Locale.ROOT));
              }
              String token = tokens.tokenFor(machineId, state.serial());
              if (!MachineTokens.hash(token).equals(state.tokenHash())) {
                throw new Refusal(
                    Refusal.Code.FORBIDDEN,
                    "machine " + machineId + " holds a token of another hub key");
              }
              return token;
            });
  }

  /** The hubs' cluster addresses, {@code host:port}. */
  public List<String> seedNodes() {
    return seedNodes;
  }

  /** The serials revoked, as this hub's TLS refuses them. */
  public List<String> revokedSerials() {
    try {
      return keys.revoked();
    } catch (java.io.IOException e) {
      log.warn("cannot read {}: {}", keys.revokedFile(), e.toString());
      return List.of();
    }
  }

  private void pendingOrRefuse(Machine.State state, String what) {
    if (state.joinStatus() != JoinStatus.PENDING) {
      throw new Refusal(
          state.joinStatus() == JoinStatus.UNKNOWN ? Refusal.Code.NOT_FOUND : Refusal.Code.CONFLICT,
          state.joinStatus() == JoinStatus.UNKNOWN
              ? "no join request of machine " + state.machineId()
              : "machine "
                  + state.machineId()
                  + " is "
                  + state.joinStatus().name().toLowerCase(java.util.Locale.ROOT)
                  + ": nothing to "
                  + what);
    }
    if (expired(state)) {
      throw new Refusal(
          Refusal.Code.CONFLICT,
          "the join request of machine "
              + state.machineId()
              + " expired at "
              + expiry(state)
              + "; it must ask again (ai-intercom join)");
    }
  }

  private JoinAnswer answer(Machine.State state) {
    String id = state.machineId();
    return switch (state.joinStatus()) {
      case PENDING ->
          expired(state)
              ? JoinAnswer.of("expired", id, "not decided before " + expiry(state), expiry(state))
              : JoinAnswer.of("pending", id, null, expiry(state));
      case DENIED -> JoinAnswer.of("denied", id, state.reason(), null);
      case REVOKED -> JoinAnswer.of("revoked", id, state.reason(), null);
      case APPROVED ->
          new JoinAnswer(
              "approved",
              id,
              null,
              null,
              tokens.tokenFor(id, state.serial()),
              state.admission().certificate(),
              Pem.certificate(ca.certificate()),
              seedNodes);
      case UNKNOWN -> throw Refusal.notFound("no join request of machine " + id);
    };
  }

  private boolean expired(Machine.State state) {
    return state.admission() != null && Instant.now().isAfter(expiry(state));
  }

  private Instant expiry(Machine.State state) {
    return state.admission().requestedAt().plus(expireAfter);
  }

  private CompletionStage<Machine.State> state(String machineId) {
    return machine(machineId)
        .<Machine.State>askWithStatus(Machine.Get::new, timeout)
        .exceptionally(
            error -> {
              Throwable cause = Refusal.cause(error);
              if (cause instanceof Refusal refusal && refusal.is(Refusal.Code.NOT_FOUND)) {
                return new Machine.State(
                    machineId,
                    JoinStatus.UNKNOWN,
                    null,
                    machineId,
                    "",
                    java.util.Map.of(),
                    null,
                    null,
                    List.of(),
                    null);
              }
              throw error instanceof RuntimeException r ? r : new IllegalStateException(error);
            });
  }

  private EntityRef<Machine.Command> machine(String machineId) {
    return ClusterSharding.get(system).entityRefFor(Machine.ENTITY_KEY, machineId);
  }

  private static <T> CompletionStage<T> refused(Refusal refusal) {
    return CompletableFuture.failedFuture(refusal);
  }

  private static String limit(String text, String fallback, int max) {
    String t = text == null || text.isBlank() ? fallback : text.strip();
    return t.length() > max ? t.substring(0, max) : t;
  }
}
