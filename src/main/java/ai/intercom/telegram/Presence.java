package ai.intercom.telegram;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which machines came online or went offline since the last look, as notices for General. A machine
 * that changes again within {@link #FOLD} is folded into its notice (edited: "offline → online →
 * offline, 3 changes since 14:02 UTC") rather than posted anew; the first look only learns who is
 * there.
 */
final class Presence {

  static final Duration FOLD = Duration.ofMinutes(10);

  /**
   * A notice to post ({@code messageId} null) or to edit in place; {@code machineId} null: the
   * summary of the first look.
   */
  record Notice(String machineId, Integer messageId, String html) {}

  private record Shown(Integer messageId, List<Boolean> states, Instant since) {}

  private Map<String, Boolean> known;
  private final Map<String, Shown> shown = new HashMap<>();

  /** The notices for what changed between the last look and {@code online} (id -> online). */
  List<Notice> look(Map<String, Boolean> online, Instant now) {
    if (known == null) {
      known = new HashMap<>(online);
      List<String> up =
          online.entrySet().stream()
              .filter(Map.Entry::getValue)
              .map(Map.Entry::getKey)
              .sorted()
              .toList();
      return up.isEmpty()
          ? List.of()
          : List.of(
              new Notice(null, null, "🟢 online: " + TelegramText.escape(String.join(", ", up))));
    }
    List<Notice> notices = new java.util.ArrayList<>();
    for (var machine : online.entrySet()) {
      Boolean before = known.put(machine.getKey(), machine.getValue());
      if (before == null ? machine.getValue() : before != machine.getValue()) {
        notices.add(notice(machine.getKey(), machine.getValue(), now));
      }
    }
    return notices;
  }

  /** The message id of a posted notice, for later folds. */
  void posted(String machineId, int messageId) {
    if (machineId == null) {
      return;
    }
    Shown last = shown.get(machineId);
    if (last != null && last.messageId() == null) {
      shown.put(machineId, new Shown(messageId, last.states(), last.since()));
    }
  }

  private Notice notice(String machineId, boolean online, Instant now) {
    Shown last = shown.get(machineId);
    if (last != null
        && last.messageId() != null
        && Duration.between(last.since(), now).compareTo(FOLD) < 0) {
      List<Boolean> states = new java.util.ArrayList<>(last.states());
      states.add(online);
      shown.put(machineId, new Shown(last.messageId(), states, last.since()));
      StringBuilder html =
          new StringBuilder(online ? "🟢 " : "🔴 ")
              .append("<b>")
              .append(TelegramText.escape(machineId))
              .append("</b>: ");
      for (int i = 0; i < states.size(); i++) {
        html.append(i == 0 ? "" : " → ").append(states.get(i) ? "online" : "offline");
      }
      html.append(", ")
          .append(states.size())
          .append(" changes since ")
          .append(TelegramText.time(last.since()));
      return new Notice(machineId, last.messageId(), html.toString());
    }
    shown.put(machineId, new Shown(null, List.of(online), now));
    return new Notice(
        machineId,
        null,
        (online ? "🟢 " : "🔴 ")
            + "<b>"
            + TelegramText.escape(machineId)
            + "</b> is "
            + (online ? "online" : "offline"));
  }

  Optional<Boolean> isOnline(String machineId) {
    return known == null ? Optional.empty() : Optional.ofNullable(known.get(machineId));
  }
}
