package ai.intercom.daemon;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * What a hook puts into an agent's context: who wrote, in which thread, the message, and how to
 * answer. Written as facts, and kept under Claude Code's limit of 10,000 characters; longer texts
 * are cut, with a pointer to intercom_check_inbox, which shows them in full.
 */
public final class HookText {

  /** Claude Code turns longer hook context into a file reference. */
  public static final int LIMIT = 10_000;

  /** Left for the headers and the closing lines. */
  static final int FRAME = 1_500;

  /** How much message text fits into one hook answer. */
  public static final int TEXT_BUDGET = LIMIT - FRAME;

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

  /** A letter is not cut below this many characters to fit: it waits for the next hook. */
  static final int MIN_SHOWN = 200;

  private static final String CUT_NOTICE =
      "\n[message cut here: intercom_check_inbox() shows it in full]";

  private HookText() {}

  private static String header(Letter letter) {
    return "\nFrom "
        + letter.from()
        + " (thread "
        + letter.threadId()
        + ", "
        + TIME.format(letter.at())
        + "):\n";
  }

  /** What a letter with {@code text} takes of a hook's text: its header, text and notice. */
  static int letterCost(Letter letter, String text, boolean cut) {
    return header(letter).length() + text.length() + 1 + (cut ? CUT_NOTICE.length() : 0);
  }

  public static String of(List<Inbox.Delivered> letters) {
    return of(letters, 0);
  }

  /** {@code waiting}: letters that did not fit and come with the next hook. */
  public static String of(List<Inbox.Delivered> letters, int waiting) {
    StringBuilder text = new StringBuilder();
    text.append("AI-Intercom: ")
        .append(letters.size())
        .append(letters.size() == 1 ? " new message" : " new messages")
        .append(" from other agents for this session.\n");
    boolean anyCut = false;
    String lastThread = null;
    for (Inbox.Delivered delivered : letters) {
      Letter letter = delivered.letter();
      text.append(header(letter)).append(letter.text());
      if (delivered.cut()) {
        anyCut = true;
        text.append(CUT_NOTICE);
      }
      text.append('\n');
      lastThread = letter.threadId();
    }
    text.append("\nTo answer, call intercom_reply(thread_id=\"")
        .append(lastThread)
        .append("\", message=\"...\") with the thread id of the message you answer.");
    if (anyCut) {
      text.append(
          " Some messages were too long for this notice: call intercom_check_inbox() to read them whole.");
    }
    if (waiting > 0) {
      text.append(" ")
          .append(waiting)
          .append(waiting == 1 ? " more message waits" : " more messages wait")
          .append(": they come with your next tool call, or call intercom_check_inbox() now.");
    }
    return text.length() <= LIMIT ? text.toString() : text.substring(0, LIMIT);
  }
}
