package ai.intercom.testing;

import ai.intercom.client.JoinClient;
import ai.intercom.config.ConfigLoader;
import ai.intercom.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Admits a machine to a running hub the way a user does: {@code ai-intercom join}'s client asks,
 * the operator approves through the hub's API, the client collects its token and certificate.
 */
public final class Joins {

  private Joins() {}

  /**
   * Admits {@code machineId}, whose home is {@code home}, to the hub serving HTTP on {@code
   * hubPort}.
   */
  public static void admit(int hubPort, Path hubHome, Path home, String machineId) {
    JoinClient client = client(hubPort, home, machineId);
    try {
      JoinClient.Outcome asked = client.join(Duration.ZERO, line -> {});
      if (asked.status().equals("member")) {
        return;
      }
      ApiClient.Answer approved =
          new ApiClient(hubPort, hubHome).post("/api/machines/" + machineId + "/approve", Map.of());
      if (approved.status() != 200) {
        throw new IllegalStateException("the hub did not approve " + machineId + ": " + approved);
      }
      JoinClient.Outcome done = client.join(Duration.ofSeconds(30), line -> {});
      if (!done.status().equals("approved")) {
        throw new IllegalStateException(machineId + " was not admitted: " + done);
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot admit " + machineId + ": " + e, e);
    }
  }

  public static JoinClient client(int hubPort, Path home, String machineId) {
    Settings settings =
        Settings.from(
            new ConfigLoader(
                    Map.of("INTERCOM_HOME", home.toString(), "INTERCOM_MACHINE_ID", machineId))
                .loadForClient());
    return new JoinClient(settings, "http://127.0.0.1:" + hubPort, Duration.ofMillis(100));
  }
}
