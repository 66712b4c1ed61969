package ai.intercom.install;

import ai.intercom.config.ConfigLoader;
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
 * The hub's Telegram bot in {@code $INTERCOM_HOME/telegram.conf} (0600): checked as the node will
 * read it before it is written, so a wrong token or id is said at once and nothing is written.
 */
final class HubTelegram {

  private final ConfigLoader loader;

  HubTelegram(ConfigLoader loader) {
    this.loader = loader;
  }

  /** Writes the bot's settings; answers what it did, in one line. */
  String write(String token, String supergroup, List<String> owners) {
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
              "intercom.telegram.security.allowed-users", users));
    } catch (StartupException e) {
      throw new InstallException(e.getMessage().replaceFirst("^configuration: ", ""), e);
    }
    Path file = loader.home().resolve(ConfigLoader.TELEGRAM_FILE);
    String text =
        "# The operator's Telegram bot, as 'ai-intercom setup hub' (scripts/install.sh"
            + " --init-hub) wrote it.\n"
            + "# intercom.conf and the TELEGRAM_* variables override it.\n"
            + "intercom.telegram {\n"
            + "  bot-token = "
            + ConfigUtil.quoteString(token)
            + "\n  supergroup-id = "
            + group
            + "\n  security.allowed-users = ["
            + users.stream().map(String::valueOf).collect(Collectors.joining(", "))
            + "]\n}\n";
    try {
      if (Files.isRegularFile(file) && Files.readString(file).equals(text)) {
        return "hub: the Telegram bot in " + file + " is as given already";
      }
      boolean replaced = Files.exists(file);
      PrivateFiles.writeSecret(file, text.getBytes(StandardCharsets.UTF_8));
      return "hub: "
          + (replaced ? "replaced" : "wrote")
          + " the Telegram bot (supergroup "
          + group
          + ", owner "
          + users.stream().map(String::valueOf).collect(Collectors.joining(","))
          + ") in "
          + file;
    } catch (IOException e) {
      throw new InstallException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
