package ai.intercom.client;

import ai.intercom.config.Settings;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.security.MachineTokens;
import ai.intercom.security.NodeKeys;
import ai.intercom.security.PrivateFiles;
import ai.intercom.security.RequestSignature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A machine's side of joining the network: it makes its key and certificate request here (the key
 * never leaves the machine), asks the hub, waits for the operator, and keeps what the hub gives:
 * its token ({@code machine.token}, 0600), its certificate and the CA's ({@code tls/}) and where
 * the hub is ({@code joined.conf}). A join under way is kept in {@code join.pending} (0600) so that
 * running the command again goes on waiting for the same request.
 */
public final class JoinClient {

  /**
   * How the join ended: {@code approved}, {@code member} (joined before), or still {@code pending}.
   */
  public record Outcome(String status, String machineId, String hubUrl) {}

  /** The hub refused or decided against the join; the message is for the operator. */
  public static final class JoinException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public JoinException(String message) {
      super(message);
    }
  }

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Settings settings;
  private final String hubUrl;
  private final HttpClient http;
  private final Duration poll;

  public JoinClient(Settings settings, String hubUrl, Duration poll) {
    this.settings = settings;
    this.hubUrl = hubUrl.replaceAll("/+$", "");
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    this.poll = poll;
  }

  /**
   * Joins, waiting up to {@code wait} for the operator; {@code progress} hears what happens, one
   * line at a time.
   */
  public Outcome join(Duration wait, Consumer<String> progress)
      throws IOException, InterruptedException {
    String machine = settings.machine().id();
    var token = MachineTokens.read(settings.machineTokenFile());
    NodeKeys keys = new NodeKeys(settings.tlsDir());
    if (token.isPresent() && keys.complete()) {
      Response member = signedGet(token.get(), "/api/network");
      if (member.status() == 200) {
        return new Outcome("member", machine, hubUrl);
      }
      progress.accept(
          "the hub no longer knows this machine's token (" + member.error() + "): asking again");
    }
    String claim = pendingClaim().orElse(null);
    Response asked = claim == null ? null : status(machine, claim);
    if (asked == null || asked.status() == 404 || asked.status() == 403) {
      byte[] secret = new byte[32];
      RANDOM.nextBytes(secret);
      claim = HexFormat.of().formatHex(secret);
      ObjectNode body = JsonFormat.MAPPER.createObjectNode();
      body.put("machine_id", machine);
      body.put("display_name", settings.machine().displayName());
      body.put("description", settings.machine().description());
      body.put("certificate_request", keys.certificateRequest(machine));
      body.put("claim_hash", MachineTokens.hash(claim));
      asked = post("/api/join", body);
      if (asked.status() == 0) {
        throw new JoinException(asked.error());
      }
      if (asked.status() != 200) {
        throw new JoinException("the hub refused the join: " + asked.error());
      }
      keepPending(claim);
      progress.accept(
          "asked "
              + hubUrl
              + " to admit machine "
              + machine
              + "; waiting for the operator (ai-intercom machines approve "
              + machine
              + " on the hub, or Telegram)");
    } else if (asked.status() != 200) {
      throw new JoinException("the hub does not answer: " + asked.error());
    } else {
      progress.accept("waiting for the operator to decide on machine " + machine);
    }
    Instant until = Instant.now().plus(wait);
    JsonNode answer = asked.body();
    while (true) {
      String status = answer.path("status").asText();
      switch (status) {
        case "approved" -> {
          store(keys, answer);
          forgetPending();
          return new Outcome("approved", machine, hubUrl);
        }
        case "pending" -> {}
        case "denied", "expired", "revoked" -> {
          forgetPending();
          String reason = answer.path("reason").asText("");
          throw new JoinException(
              "the join request was " + status + (reason.isBlank() ? "" : ": " + reason));
        }
        default -> throw new JoinException("the hub answered an unknown status '" + status + "'");
      }
      if (Instant.now().isAfter(until)) {
        return new Outcome("pending", machine, hubUrl);
      }
      Thread.sleep(poll.toMillis());
      Response polled = status(machine, claim);
      if (polled.status() != 200) {
        if (polled.status() == 0) {
          progress.accept("the hub does not answer (" + polled.error() + "); trying again");
          continue;
        }
        forgetPending();
        throw new JoinException("the hub refused: " + polled.error());
      }
      answer = polled.body();
    }
  }

  private void store(NodeKeys keys, JsonNode answer) throws IOException {
    String token = answer.path("token").asText();
    if (MachineTokens.machineOf(token).isEmpty()) {
      throw new JoinException("the hub sent no machine token");
    }
    keys.store(answer.path("certificate").asText(), answer.path("ca_certificate").asText());
    PrivateFiles.writeSecret(
        settings.machineTokenFile(), token.getBytes(StandardCharsets.US_ASCII));
    StringBuilder conf =
        new StringBuilder("# written by ai-intercom join: where this machine's hub is\n");
    conf.append("intercom.hub.url = ")
        .append(JsonFormat.MAPPER.writeValueAsString(hubUrl))
        .append('\n');
    // the address the hub reaches this machine at: the one this machine's routes use towards it
    // (the Tailscale address on a tailnet); intercom.conf may say otherwise
    Optional<String> address = localAddressTowards(URI.create(hubUrl).getHost());
    if (address.isPresent()) {
      conf.append("intercom.cluster.host = ")
          .append(JsonFormat.MAPPER.writeValueAsString(address.get()))
          .append('\n');
    }
    List<String> seeds = JsonFormat.MAPPER.convertValue(answer.path("seed_nodes"), List.class);
    if (seeds != null && !seeds.isEmpty()) {
      conf.append("intercom.cluster.seed-nodes = ")
          .append(JsonFormat.MAPPER.writeValueAsString(seeds))
          .append('\n');
    }
    PrivateFiles.writePublic(
        settings.home().resolve(ai.intercom.config.ConfigLoader.JOINED_FILE),
        conf.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** This machine's address on the route to {@code host} (no packet is sent), if it has one. */
  static Optional<String> localAddressTowards(String host) {
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.connect(InetAddress.getByName(host), 9);
      InetAddress local = socket.getLocalAddress();
      return local == null || local.isAnyLocalAddress()
          ? Optional.empty()
          : Optional.of(local.getHostAddress());
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private Response status(String machine, String claim) throws InterruptedException {
    ObjectNode ask = JsonFormat.MAPPER.createObjectNode();
    ask.put("machine_id", machine);
    ask.put("claim", claim);
    return post("/api/join/status", ask);
  }

  /** A request signed with this machine's token. */
  public Response signedGet(String token, String path) throws InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(hubUrl + path)).GET();
    RequestSignature.sign(token, "GET", path, new byte[0], Instant.now()).forEach(request::header);
    return send(request);
  }

  private Response post(String path, JsonNode body) throws InterruptedException {
    try {
      return send(
          HttpRequest.newBuilder(URI.create(hubUrl + path))
              .header("Content-Type", "application/json")
              .POST(
                  HttpRequest.BodyPublishers.ofByteArray(
                      JsonFormat.MAPPER.writeValueAsBytes(body))));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What the hub answered; status 0 when it did not answer at all. */
  public record Response(int status, JsonNode body) {
    public String error() {
      return body.path("error").asText("HTTP " + status);
    }
  }

  private Response send(HttpRequest.Builder request) throws InterruptedException {
    try {
      HttpResponse<String> response =
          http.send(
              request.timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode body;
      try {
        body = JsonFormat.MAPPER.readTree(response.body());
      } catch (IOException e) {
        body = JsonFormat.MAPPER.createObjectNode().put("error", "HTTP " + response.statusCode());
      }
      return new Response(
          response.statusCode(), body == null ? JsonFormat.MAPPER.createObjectNode() : body);
    } catch (IOException e) {
      return new Response(
          0,
          JsonFormat.MAPPER
              .createObjectNode()
              .put(
                  "error",
                  "cannot reach the hub at "
                      + hubUrl
                      + " ("
                      + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                      + "): is it running, and is this the right address?"));
    }
  }

  private Path pendingFile() {
    return settings.home().resolve("join.pending");
  }

  private java.util.Optional<String> pendingClaim() throws IOException {
    Path file = pendingFile();
    if (!Files.isRegularFile(file)) {
      return java.util.Optional.empty();
    }
    JsonNode pending = JsonFormat.MAPPER.readTree(file.toFile());
    return hubUrl.equals(pending.path("hub_url").asText())
        ? java.util.Optional.of(pending.path("claim").asText())
        : java.util.Optional.empty();
  }

  private void keepPending(String claim) throws IOException {
    PrivateFiles.writeSecret(
        pendingFile(),
        JsonFormat.MAPPER.writeValueAsBytes(Map.of("hub_url", hubUrl, "claim", claim)));
  }

  private void forgetPending() throws IOException {
    Files.deleteIfExists(pendingFile());
  }
}
