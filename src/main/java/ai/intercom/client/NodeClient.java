package ai.intercom.client;

import ai.intercom.config.HostPort;
import ai.intercom.config.Settings;
import ai.intercom.protocol.JsonFormat;
import ai.intercom.protocol.Refusal;
import ai.intercom.security.LocalToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The CLI's way into the local node: its HTTP API on loopback, with the local token from
 * INTERCOM_HOME. Every failure becomes one sentence for the operator.
 */
public final class NodeClient {

  /** A request the node could not or would not answer; the message is for the operator. */
  public static final class NodeException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Refusal.Code code;
    private final boolean unanswered;

    public NodeException(String message) {
      this(message, null);
    }

    public NodeException(String message, Refusal.Code code) {
      this(message, code, false);
    }

    private NodeException(String message, Refusal.Code code, boolean unanswered) {
      super(message);
      this.code = code;
      this.unanswered = unanswered;
    }

    /** The node did not answer (down, restarting, cut off): whether it acted is unknown. */
    static NodeException unanswered(String message) {
      return new NodeException(message, null, true);
    }

    /**
     * Whether the request went unanswered: not running, a broken connection, no answer in time, or
     * a gateway error. Retrying is safe for calls that carry their own id.
     */
    public boolean unanswered() {
      return unanswered;
    }

    /** The refusal's code when the node refused the request; null when it failed otherwise. */
    public Refusal.Code code() {
      return code;
    }

    public boolean is(Refusal.Code wanted) {
      return code == wanted;
    }
  }

  private final String baseUrl;
  private final Path tokenFile;
  private final int timeoutMillis;

  /** The node of these settings, at its configured HTTP address. */
  public NodeClient(Settings settings) {
    this(settings, settings.hub().listen().port());
  }

  /** The node of these settings, listening on {@code port} (when it was configured as 0). */
  public NodeClient(Settings settings, int port) {
    this(settings, port, settings.askTimeout().plusSeconds(2));
  }

  /** As above, waiting up to {@code timeout} for an answer (long waits for messages). */
  public NodeClient(Settings settings, int port, java.time.Duration timeout) {
    HostPort listen = settings.hub().listen();
    String host =
        listen.host().equals("0.0.0.0") || listen.host().equals("::") ? "127.0.0.1" : listen.host();
    this.baseUrl = "http://" + new HostPort(host, port);
    this.tokenFile = settings.localTokenFile();
    this.timeoutMillis = (int) Math.max(1000, timeout.toMillis());
  }

  public JsonNode get(String path) {
    return call("GET", path, null);
  }

  public JsonNode post(String path, Object body) {
    return call("POST", path, body);
  }

  public JsonNode delete(String path) {
    return call("DELETE", path, null);
  }

  public <T> T get(String path, Class<T> type) {
    return convert(get(path), type);
  }

  public <T> T post(String path, Object body, Class<T> type) {
    return convert(post(path, body), type);
  }

  private static <T> T convert(JsonNode node, Class<T> type) {
    try {
      return JsonFormat.MAPPER.treeToValue(node, type);
    } catch (IOException e) {
      throw new NodeException("the node answered something unexpected: " + e.getMessage());
    }
  }

  private JsonNode call(String method, String path, Object body) {
    String token = token();
    HttpURLConnection connection = null;
    try {
      connection = (HttpURLConnection) URI.create(baseUrl + path).toURL().openConnection();
      connection.setRequestMethod(method);
      connection.setConnectTimeout(timeoutMillis);
      connection.setReadTimeout(timeoutMillis);
      connection.setRequestProperty("Authorization", "Bearer " + token);
      connection.setRequestProperty("Accept", "application/json");
      if (body != null) {
        connection.setDoOutput(true);
        connection.setRequestProperty("Content-Type", "application/json");
        try (OutputStream out = connection.getOutputStream()) {
          JsonFormat.MAPPER.writeValue(out, body);
        }
      }
      int status = connection.getResponseCode();
      String text;
      // read whole and closed, the connection goes back to the keep-alive cache for the next call
      try (InputStream in =
          status < 400 ? connection.getInputStream() : connection.getErrorStream()) {
        text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      JsonNode json =
          text.isBlank() ? JsonFormat.MAPPER.nullNode() : JsonFormat.MAPPER.readTree(text);
      if (status == 401) {
        throw new NodeException(
            "the node at "
                + baseUrl
                + " refused the local token in "
                + tokenFile
                + " (is it another node's home? check INTERCOM_HOME)");
      }
      if (status == 502 || status == 503 || status == 504) {
        throw NodeException.unanswered(
            json.path("error").asText("the node answered HTTP " + status));
      }
      if (status >= 400) {
        String code = json.path("code").asText("");
        throw new NodeException(
            json.path("error").asText("the node answered HTTP " + status),
            code.isEmpty() ? null : Refusal.Code.ofWire(code));
      }
      return json;
    } catch (ConnectException e) {
      throw notRunning();
    } catch (SocketTimeoutException e) {
      throw NodeException.unanswered("the node at " + baseUrl + " did not answer in time");
    } catch (IOException e) {
      if (connection != null) {
        connection.disconnect();
      }
      throw NodeException.unanswered(
          "cannot talk to the node at " + baseUrl + ": " + e.getMessage());
    }
  }

  private String token() {
    try {
      return LocalToken.readFrom(tokenFile).orElseThrow(this::notRunning).value();
    } catch (IOException e) {
      throw new NodeException("cannot read " + tokenFile + ": " + e.getMessage());
    }
  }

  private NodeException notRunning() {
    return NodeException.unanswered(
        "no node is running at "
            + baseUrl
            + " (start one with 'ai-intercom standalone', or set INTERCOM_HOME"
            + " and INTERCOM_HTTP_PORT to reach another)");
  }
}
