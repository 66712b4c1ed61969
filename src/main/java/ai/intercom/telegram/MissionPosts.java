package ai.intercom.telegram;

import ai.intercom.mission.Mission;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What a mission's topic says about each of its events: one message per step of its life (the
 * opening, the decision, the launch, the result, a failure, a stop, a follow-up), as Telegram HTML.
 * Progress is not a message of its own: it edits one message in place (see {@link #progress}).
 */
final class MissionPosts {

  /** Progress lines shown in the mission's progress message. */
  static final int PROGRESS_LINES = 8;

  private MissionPosts() {}

  /**
   * The message that says what happened, if the topic shows this event as one. A mission's creation
   * opens its topic ({@link Topics#of}), whose first message says what it is.
   */
  static Optional<String> of(String missionId, Mission.Event event) {
    String text = null;
    // Created: the topic's first message, posted as it opens (see Topics)
    if (event instanceof Mission.Approved e) {
      text = "👍 approved: " + TelegramText.escape(e.by());
    } else if (event instanceof Mission.Denied e) {
      text = "🚫 denied: " + TelegramText.escape(e.reason());
    } else if (event instanceof Mission.Started) {
      text = "🚀 started";
    } else if (event instanceof Mission.Completed e) {
      text = completed(e);
    } else if (event instanceof Mission.Failed e) {
      text = "❌ failed: " + TelegramText.escape(e.reason());
    } else if (event instanceof Mission.Interrupted e) {
      text = "⚠️ interrupted: " + TelegramText.escape(e.reason());
    } else if (event instanceof Mission.Stopped e) {
      text = "⏹ stopped by " + TelegramText.escape(e.by());
    } else if (event instanceof Mission.MessageAdded e) {
      text = "💬 <b>" + TelegramText.escape(e.author()) + "</b>: " + TelegramText.escape(e.text());
    } else if (event instanceof Mission.Reopened) {
      text = "🔁 continues";
    }
    return Optional.ofNullable(text);
  }

  private static String completed(Mission.Completed e) {
    StringBuilder text = new StringBuilder("✅ <b>completed</b>");
    if (e.costUsd() != null || e.durationMs() != null) {
      text.append(" (");
      if (e.durationMs() != null) {
        text.append(String.format(Locale.ROOT, "%.1f s", e.durationMs() / 1000.0));
      }
      if (e.costUsd() != null) {
        text.append(e.durationMs() != null ? ", " : "")
            .append(String.format(Locale.ROOT, "$%.4f", e.costUsd()));
      }
      text.append(")");
    }
    String result = e.result() == null || e.result().isBlank() ? "(no result text)" : e.result();
    return text.append("\n\n").append(TelegramText.escape(result)).toString();
  }

  /** The text of a running mission's progress message: its latest lines. */
  static String progress(List<String> latest) {
    StringBuilder text = new StringBuilder("⏳ <b>progress</b>");
    int from = Math.max(0, latest.size() - PROGRESS_LINES);
    for (String line : latest.subList(from, latest.size())) {
      String shown = line.length() > 300 ? line.substring(0, 299) + "…" : line;
      text.append("\n• ").append(TelegramText.escape(shown));
    }
    return text.toString();
  }
}
