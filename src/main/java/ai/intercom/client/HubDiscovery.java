package ai.intercom.client;

import ai.intercom.protocol.JsonFormat;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Finds the hub on the tailnet: asks {@code tailscale status --json} for the peers, then each
 * online peer's {@code /api/discover}, all at once. A hub (or standalone node) that answers is the
 * hub; a daemon that answers says where its hub is.
 */
public final class HubDiscovery {

  /** No hub found, or no way to look; the message says what to do. */
  public static final class NotFound extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NotFound(String message) {
      super(message);
    }
  }

  /** A peer of the tailnet as {@code tailscale status --json} lists it. */
  record Peer(String name, String address, boolean online) {}

  private static final Duration ASK_WITHIN = Duration.ofSeconds(3);

  private final List<String> tailscale;
  private final int port;
  private final HttpClient http;

  public HubDiscovery(List<String> tailscale, int port) {
    this.tailscale = List.copyOf(tailscale);
    this.port = port;
    this.http = HttpClient.newBuilder().connectTimeout(ASK_WITHIN).build();
  }

  /** The hub's URL ({@code http://IP:PORT}). */
  public String find(Consumer<String> progress) throws InterruptedException {
    List<Peer> peers = peers(status());
    List<Peer> online = peers.stream().filter(Peer::online).toList();
    if (online.isEmpty()) {
      throw new NotFound(
          "no Tailscale peer is online ("
              + peers.size()
              + " known): start the hub's machine, or give --hub-url");
    }
    progress.accept(
        "looking for the hub among " + online.size() + " online Tailscale peers on port " + port);
    List<CompletableFuture<Optional<JsonNode>>> asked = new ArrayList<>();
    for (Peer peer : online) {
      asked.add(discover(peer));
    }
    String viaDaemon = null;
    for (int i = 0; i < online.size(); i++) {
      Optional<JsonNode> answer = asked.get(i).join();
      if (answer.isEmpty()) {
        continue;
      }
      String mode = answer.get().path("mode").asText();
      if (mode.equals("hub") || mode.equals("standalone")) {
        String url = url(online.get(i).address());
        progress.accept("found the hub " + answer.get().path("machine_id").asText() + " at " + url);
        return url;
      }
      String hubUrl = answer.get().path("hub_url").asText("");
      if (viaDaemon == null && !hubUrl.isBlank()) {
        viaDaemon = hubUrl;
      }
    }
    if (viaDaemon != null) {
      progress.accept("a daemon of the network names its hub: " + viaDaemon);
      return viaDaemon;
    }
    throw new NotFound(
        "none of the "
            + online.size()
            + " online Tailscale peers answers /api/discover on port "
            + port
            + " as an AI-Intercom hub: give --hub-url (or --hub-port)");
  }

  private CompletableFuture<Optional<JsonNode>> discover(Peer peer) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(url(peer.address()) + "/api/discover"))
            .timeout(ASK_WITHIN)
            .GET()
            .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .thenApply(
            response -> {
              if (response.statusCode() != 200) {
                return Optional.<JsonNode>empty();
              }
              try {
                JsonNode body = JsonFormat.MAPPER.readTree(response.body());
                return "ai-intercom".equals(body.path("service").asText())
                    ? Optional.of(body)
                    : Optional.<JsonNode>empty();
              } catch (IOException e) {
                return Optional.<JsonNode>empty();
              }
            })
        .exceptionally(error -> Optional.empty());
  }

  private String url(String address) {
    return "http://" + (address.contains(":") ? "[" + address + "]" : address) + ":" + port;
  }

  private JsonNode status() throws InterruptedException {
    List<String> command = new ArrayList<>(tailscale);
    command.add("status");
    command.add("--json");
    Process process;
    try {
      process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      throw new NotFound(
          "Tailscale is not installed here ('"
              + tailscale.get(0)
              + "' is not on PATH): give --hub-url http://HUB:7700");
    }
    byte[] out;
    try {
      out = process.getInputStream().readAllBytes();
    } catch (IOException e) {
      throw new NotFound("cannot read what 'tailscale status --json' printed: " + e.getMessage());
    }
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new NotFound("'tailscale status --json' did not answer in 10 s: give --hub-url");
    }
    JsonNode status;
    try {
      status = JsonFormat.MAPPER.readTree(new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      status = null;
    }
    if (status == null || !status.isObject()) {
      throw new NotFound(
          "'tailscale status --json' printed no status (exit "
              + process.exitValue()
              + "): is tailscaled running? Or give --hub-url");
    }
    String state = status.path("BackendState").asText("");
    if (!state.isEmpty() && !state.equals("Running")) {
      throw new NotFound(
          "Tailscale is not connected (state "
              + state
              + "): run 'tailscale up', or give --hub-url");
    }
    return status;
  }

  /** The peers with their first IPv4 address (else their first address). */
  static List<Peer> peers(JsonNode status) {
    List<Peer> peers = new ArrayList<>();
    status
        .path("Peer")
        .forEach(
            peer -> {
              String chosen = null;
              for (JsonNode ip : peer.path("TailscaleIPs")) {
                String address = ip.asText();
                if (!validAddress(address)) {
                  continue;
                }
                if (chosen == null || (!address.contains(":") && chosen.contains(":"))) {
                  chosen = address;
                }
              }
              if (chosen != null) {
                peers.add(
                    new Peer(
                        peer.path("HostName").asText(""), chosen, peer.path("Online").asBoolean()));
              }
            });
    return peers;
  }

  /** A literal IP address, never a name to resolve (a hostile status cannot send us elsewhere). */
  private static boolean validAddress(String text) {
    if (!text.matches("[0-9a-fA-F:.]{2,45}")) {
      return false;
    }
    try {
      InetAddress.getByName(text);
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
