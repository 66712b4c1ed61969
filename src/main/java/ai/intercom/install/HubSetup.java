package ai.intercom.install;

import ai.intercom.config.ConfigLoader;
import ai.intercom.config.Settings;
import ai.intercom.config.StartupException;
import ai.intercom.security.PrivateFiles;
import com.typesafe.config.ConfigUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The hub's set-up in {@code $INTERCOM_HOME/hub.conf} (0600): the address the machines reach it at
 * (HTTP and cluster) and the operator's Telegram bot. Checked as the node will read it before it is
 * written, so a wrong token or id is said at once and nothing is written.
 */
final class HubSetup {

  private final ConfigLoader loader;

  HubSetup(ConfigLoader loader) {
    this.loader = loader;
  }

  /**
   * Writes the hub's address and bot; answers what it did, in one line.
   *
   * @param address the IP address the machines reach the hub at (its Tailscale address)
   */
  String write(String address, String token, String supergroup, List<String> owners) {
    if (!address.matches("[0-9.]+|[0-9A-Fa-f:]+")) {
      throw new InstallException("the hub's address must be an IP address, got '" + address + "'");
    }
    long group;
    try {
      group = Long.parseLong(supergroup);
    } catch (NumberFormatException e) {
      throw new InstallException(
          "the supergroup id must be a number like -1001234567890, got '" + supergroup + "'");
    }
    List<Long> users;
    try {
      users = owners.stream().filter(o -> !o.isEmpty()).map(Long::parseLong).toList();
    } catch (NumberFormatException e) {
      throw new InstallException(
          "your Telegram user id must be a number like 123456789, got '"
              + String.join(",", owners)
              + "'");
    }
    try {
      loader.loadForClient(
          Map.of(
              "intercom.telegram.bot-token", token,
              "intercom.telegram.supergroup-id", group,
              "intercom.telegram.security.allowed-users", users,
              "intercom.cluster.host", address,
              "intercom.hub.listen", listen()));
    } catch (StartupException e) {
      throw new InstallException(e.getMessage().replaceFirst("^configuration: ", ""), e);
    }
    Path file = loader.home().resolve(ConfigLoader.HUB_FILE);
    String text =
        "# The hub, as 'ai-intercom setup hub' (scripts/install.sh --init-hub) set it up.\n"
            + "# intercom.conf and the environment variables override it.\n"
            + "intercom.cluster.host = "
            + ConfigUtil.quoteString(address)
            + "\nintercom.hub.listen = "
            + ConfigUtil.quoteString(listen())
            + "\nintercom.telegram {\n"
            + "  bot-token = "
            + ConfigUtil.quoteString(token)
            + "\n  supergroup-id = "
            + group
            + "\n  security.allowed-users = ["
            + users.stream().map(String::valueOf).collect(Collectors.joining(", "))
            + "]\n}\n";
    try {
      if (Files.isRegularFile(file) && Files.readString(file).equals(text)) {
        return "hub: " + file + " is as given already";
      }
      boolean replaced = Files.exists(file);
      PrivateFiles.writeSecret(file, text.getBytes(StandardCharsets.UTF_8));
      return "hub: "
          + (replaced ? "replaced" : "wrote")
          + " the hub's set-up (reached at "
          + address
          + ", supergroup "
          + group
          + ", owner "
          + users.stream().map(String::valueOf).collect(Collectors.joining(","))
          + ") in "
          + file;
    } catch (IOException e) {
      throw new InstallException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The hub's HTTP address: every interface, since the machines reach it at {@code address} (join,
   * discovery) and its own agents and hooks at 127.0.0.1. Every route but health, discovery and
   * join needs the local token or a machine's signature.
   */
  private String listen() {
    return "0.0.0.0:" + Settings.from(loader.loadForClient()).hub().listen().port();
  }
}
