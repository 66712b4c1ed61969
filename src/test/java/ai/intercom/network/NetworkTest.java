package ai.intercom.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.client.JoinClient;
import ai.intercom.config.StartupException;
import ai.intercom.security.RequestSignature;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.ApiClient.Answer;
import ai.intercom.testing.Await;
import ai.intercom.testing.Joins;
import ai.intercom.testing.TestNodes;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A closed network on loopback: a hub and the machines it admits, each a real node with its own
 * home and ports. Joining, deciding, revoking, signed requests and the cluster's TLS handshake.
 */
class NetworkTest {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final long SELF = ProcessHandle.current().pid();

  @TempDir Path hubHome;
  @TempDir Path betaHome;
  @TempDir Path gammaHome;

  private Node hub;
  private ApiClient operator;
  private int hubCluster;

  @BeforeEach
  void startHub() {
    hubCluster = TestNodes.freePort();
    hub =
        TestNodes.start(
            hubHome,
            "hub",
            Map.of("INTERCOM_MACHINE_ID", "alpha", "INTERCOM_CLUSTER_PORT", "" + hubCluster),
            Map.of("intercom.hub.join-expire-after", "4s"));
    operator = new ApiClient(hub, hubHome);
  }

  @AfterEach
  void stopHub() {
    TestNodes.stop(hub);
  }

  @Test
  void aMachineJoinsOnceTheOperatorApprovesAndItsNodeEntersTheCluster() throws Exception {
    StartupException notJoined =
        assertThrows(
            StartupException.class,
            () -> TestNodes.start(betaHome, "daemon", daemonEnv("beta"), Map.of()));
    assertTrue(
        notJoined.getMessage().contains("has not joined a network yet"), notJoined.getMessage());

    JoinClient beta = Joins.client(operator.port(), betaHome, "beta");
    assertEquals("pending", beta.join(Duration.ZERO, line -> {}).status());
    Await.until(
        () ->
            operator
                .get("/api/machines")
                .json()
                .toString()
                .contains("\"join_status\":\"pending\""));
    Answer approved = operator.post("/api/machines/beta/approve", Map.of());
    assertEquals(200, approved.status(), approved.toString());
    assertEquals("approved", approved.text("join_status"));
    assertEquals("approved", beta.join(Duration.ofSeconds(10), line -> {}).status());

    String token = Files.readString(betaHome.resolve("machine.token"));
    assertTrue(token.matches("ict_beta_[0-9a-f]{64}"), token);
    assertEquals("rw-------", mode(betaHome.resolve("machine.token")));
    assertEquals("rw-------", mode(betaHome.resolve("tls/node.key")));
    assertTrue(Files.readString(betaHome.resolve("joined.conf")).contains("seed-nodes"));
    assertTrue(!Files.exists(betaHome.resolve("join.pending")));
    // the hub keeps the token's hash only
    assertTrue(
        !Files.readString(
                hubHome.resolve("data/intercom.db"), java.nio.charset.StandardCharsets.ISO_8859_1)
            .contains(token));

    // what the join wrote is enough: no HUB_URL, no seeds given
    Node node = TestNodes.start(betaHome, "daemon", daemonEnv("beta"), Map.of());
    try {
      Await.until(() -> TestNodes.upMembers(hub) == 2);
      assertEquals("member", beta.join(Duration.ZERO, line -> {}).status());
    } finally {
      TestNodes.stop(node);
    }
  }

  @Test
  void deniedExpiredAndMalformedRequestsSaySoAndChangeNothing() throws Exception {
    JoinClient gamma = Joins.client(operator.port(), gammaHome, "gamma");
    assertEquals("pending", gamma.join(Duration.ZERO, line -> {}).status());
    // another process asking for the same machine while it waits
    JoinClient impostor = Joins.client(operator.port(), betaHome, "gamma");
    JoinClient.JoinException taken =
        assertThrows(JoinClient.JoinException.class, () -> impostor.join(Duration.ZERO, l -> {}));
    assertTrue(taken.getMessage().contains("already waiting"), taken.getMessage());

    Answer denied = operator.post("/api/machines/gamma/deny", Map.of("reason", "unknown box"));
    assertEquals("denied", denied.text("join_status"), denied.toString());
    JoinClient.JoinException told =
        assertThrows(JoinClient.JoinException.class, () -> gamma.join(Duration.ZERO, l -> {}));
    assertEquals("the join request was denied: unknown box", told.getMessage());
    assertEquals(409, operator.post("/api/machines/gamma/approve", Map.of()).status());

    // not decided in time (4 s here): expired, and approving it then is refused
    JoinClient late = Joins.client(operator.port(), betaHome, "beta");
    assertEquals("pending", late.join(Duration.ZERO, line -> {}).status());
    Thread.sleep(4_500);
    Answer tooLate = operator.post("/api/machines/beta/approve", Map.of());
    assertEquals(409, tooLate.status());
    assertTrue(tooLate.error().contains("expired"), tooLate.toString());
    JoinClient.JoinException expired =
        assertThrows(JoinClient.JoinException.class, () -> late.join(Duration.ZERO, l -> {}));
    assertTrue(
        expired.getMessage().startsWith("the join request was expired"), expired.getMessage());

    assertEquals(400, join("{not json").statusCode());
    HttpResponse<String> badId =
        join(
            "{\"machine_id\":\"../etc\",\"certificate_request\":\"x\",\"claim_hash\":\""
                + "0".repeat(64)
                + "\"}");
    assertEquals(400, badId.statusCode());
    assertTrue(badId.body().contains("machine id"), badId.body());
    String othersRequest =
        new ai.intercom.security.NodeKeys(gammaHome.resolve("tls")).certificateRequest("gamma");
    HttpResponse<String> forged =
        join(
            ai.intercom.protocol.JsonFormat.MAPPER.writeValueAsString(
                Map.of(
                    "machine_id",
                    "delta",
                    "certificate_request",
                    othersRequest,
                    "claim_hash",
                    "0".repeat(64))));
    assertEquals(400, forged.statusCode());
    assertTrue(forged.body().contains("names 'gamma', not machine delta"), forged.body());
    assertEquals(404, operator.post("/api/machines/delta/approve", Map.of()).status());
  }

  @Test
  void signedRequestsAreRefusedWhenUnsignedStaleReplayedForgedOrFromStrangers() throws Exception {
    Joins.admit(operator.port(), hubHome, betaHome, "beta");
    String token = Files.readString(betaHome.resolve("machine.token")).trim();
    Instant now = Instant.now();

    Map<String, String> good =
        RequestSignature.sign(token, "GET", "/api/network", new byte[0], now);
    HttpResponse<String> first = network(good);
    assertEquals(200, first.statusCode(), first.body());
    assertTrue(
        first.body().contains("\"seed_nodes\":[\"127.0.0.1:" + hubCluster + "\"]"), first.body());
    assertRefused(network(good), "replayed request");

    assertRefused(network(Map.of()), "unsigned request");
    assertRefused(
        network(
            RequestSignature.sign(token, "GET", "/api/network", new byte[0], now.minusSeconds(61))),
        "from the hub's clock");
    assertRefused(
        network(
            RequestSignature.sign(
                "ict_beta_" + "0".repeat(64), "GET", "/api/network", new byte[0], now)),
        "bad signature");
    assertRefused(
        network(RequestSignature.sign(token, "GET", "/api/other", new byte[0], now)),
        "bad signature");
    assertRefused(
        network(
            RequestSignature.sign(
                "ict_nobody_" + "1".repeat(64), "GET", "/api/network", new byte[0], now)),
        "unknown machine nobody");
  }

  @Test
  void aRevokedMachineIsDownedItsTokenRefusedAndItsCertificateRefusedAtTheHandshake()
      throws Exception {
    Files.writeString(hubHome.resolve("policies.yml"), "defaults:\n  require_approval: never\n");
    assertEquals(200, operator.post("/api/policy/reload", "").status());
    Joins.admit(operator.port(), hubHome, betaHome, "beta");
    Joins.admit(operator.port(), hubHome, gammaHome, "gamma");
    Node beta = TestNodes.start(betaHome, "daemon", daemonEnv("beta"), Map.of());
    Node gamma = TestNodes.start(gammaHome, "daemon", daemonEnv("gamma"), Map.of());
    try {
      Await.until(() -> TestNodes.upMembers(hub) == 3);
      ApiClient onBeta = new ApiClient(beta, betaHome);
      ApiClient onGamma = new ApiClient(gamma, gammaHome);
      assertEquals(200, onBeta.register("s-b", "b", SELF).status());
      assertEquals(200, onGamma.register("s-g", "g", SELF).status());
      Await.until(
          () -> operator.get("/api/agents?filter=online").json().toString().contains("beta/b"));
      Answer across = onGamma.chat("s-g", "beta/b", "between two daemons, through the hub");
      assertEquals("delivered", across.text("status"), across.toString());

      Answer revoked =
          operator.post("/api/machines/beta/revoke", Map.of("reason", "laptop stolen"));
      assertEquals("revoked", revoked.text("join_status"), revoked.toString());
      Await.until(() -> TestNodes.upMembers(hub) == 2);
      // the other daemon hears of it too, and goes on working
      String betaSerial = ai.intercom.security.CertificateAuthority.serialOf(certificate(betaHome));
      Await.until(
          () -> {
            try {
              return Files.readString(gammaHome.resolve("tls/revoked")).contains(betaSerial);
            } catch (java.io.IOException e) {
              return false;
            }
          });
      Answer kept = onGamma.chat("s-g", "beta/b", "are you still there?");
      assertEquals("queued", kept.text("status"), kept.toString());
      String token = Files.readString(betaHome.resolve("machine.token")).trim();
      assertRefused(
          network(RequestSignature.sign(token, "GET", "/api/network", new byte[0], Instant.now())),
          "machine beta is revoked");
      String serial = ai.intercom.security.CertificateAuthority.serialOf(certificate(betaHome));
      assertTrue(Files.readString(hubHome.resolve("tls/revoked")).contains(serial));
    } finally {
      TestNodes.stop(beta);
      TestNodes.stop(gamma);
    }
    // its node comes back with the revoked certificate: it never gets in
    Node again = TestNodes.launch(betaHome, "daemon", daemonEnv("beta"), Map.of());
    try {
      Thread.sleep(5_000);
      assertEquals(1, members(hub), "a revoked machine got into the cluster");
      assertTrue(!Cluster.get(again.system()).selfMember().status().equals(MemberStatus.up()));
    } finally {
      TestNodes.stop(again);
    }
  }

  @Test
  void aNodeWithAForeignCertificateOrNoneIsRefusedAtTheHandshake(@TempDir Path otherHub)
      throws Exception {
    // gamma is admitted by another network's hub, then pointed at this one
    Node other = TestNodes.start(otherHub, "hub", Map.of("INTERCOM_MACHINE_ID", "other"), Map.of());
    try {
      Joins.admit(new ApiClient(other, otherHub).port(), otherHub, gammaHome, "gamma");
    } finally {
      TestNodes.stop(other);
    }
    Node gamma =
        TestNodes.launch(
            gammaHome,
            "daemon",
            daemonEnv("gamma"),
            Map.of("intercom.cluster.seed-nodes", java.util.List.of("127.0.0.1:" + hubCluster)));
    try {
      Thread.sleep(5_000);
      assertEquals(1, members(hub), "a node of another CA got into the cluster");
    } finally {
      TestNodes.stop(gamma);
    }

    // a TLS client without a certificate: the hub ends the handshake
    SSLContext trustAll = SSLContext.getInstance("TLSv1.3");
    trustAll.init(null, new TrustManager[] {new TrustAll()}, new SecureRandom());
    try (SSLSocket socket =
        (SSLSocket) trustAll.getSocketFactory().createSocket("127.0.0.1", hubCluster)) {
      socket.setSoTimeout(5_000);
      assertThrows(
          SSLException.class,
          () -> {
            socket.startHandshake();
            // TLS 1.3: the server's refusal of the client arrives with the first read
            socket.getInputStream().read();
          });
    }
    // plain bytes on the cluster port change nothing either
    try (java.net.Socket plain = new java.net.Socket()) {
      plain.connect(new InetSocketAddress("127.0.0.1", hubCluster), 2_000);
      plain.getOutputStream().write("AKKA\u0000garbage\n".getBytes());
    }
    assertEquals(1, members(hub));
    assertEquals(200, operator.get("/api/health").status());
  }

  private static Map<String, String> daemonEnv(String machine) {
    return Map.of("INTERCOM_MACHINE_ID", machine);
  }

  private static int members(Node node) {
    int count = 0;
    for (var ignored : Cluster.get(node.system()).state().getMembers()) {
      count++;
    }
    return count;
  }

  private HttpResponse<String> join(String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + operator.port() + "/api/join"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> network(Map<String, String> headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + operator.port() + "/api/network"))
            .GET();
    new HashMap<>(headers).forEach(request::header);
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertRefused(HttpResponse<String> response, String why) {
    assertEquals(401, response.statusCode(), response.body());
    assertTrue(response.body().contains(why), response.body());
  }

  private static String mode(Path file) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
  }

  private static X509Certificate certificate(Path home) throws Exception {
    return new ai.intercom.security.NodeKeys(home.resolve("tls")).certificate();
  }

  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
