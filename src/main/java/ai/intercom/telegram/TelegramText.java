package ai.intercom.telegram;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The text of the bot's messages, written for {@code parse_mode=HTML}: escaping, the cards that
 * carry approval buttons, and the split of a long message into parts Telegram accepts.
 *
 * <p>Telegram's HTML knows only a few tags ({@code b i u s code pre a blockquote tg-spoiler}) and
 * wants {@code <}, {@code >} and {@code &} written as {@code &lt; &gt; &amp;}; everything else is
 * literal. Its length limit counts the text after that parsing, in UTF-16 code units.
 */
public final class TelegramText {

  /** The most a message's text may hold after entity parsing. */
  public static final int MAX_CHARS = 4096;

  /** What {@link #split(String)} puts in one part, leaving room under {@link #MAX_CHARS}. */
  public static final int PART_CHARS = 4000;

  /** The most a forum topic's name may hold. */
  public static final int TOPIC_NAME_CHARS = 128;

  /** How much of a tool's input a permission card shows (as the gate's permission request). */
  static final int SHOWN_INPUT_CHARS = 600;

  /** How much of a message an approval card shows, so that the card always fits one message. */
  static final int SHOWN_PREVIEW_CHARS = 1000;

  static final String EMPTY = "(empty)";

  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);

  private static final Pattern SPACES = Pattern.compile("(?U)\\s+");

  private TelegramText() {}

  /**
   * The text with {@code <}, {@code >} and {@code &} escaped, and without what Telegram rejects or
   * cannot encode as UTF-8: unpaired surrogates, and control characters other than newline and tab.
   * Null becomes the empty string.
   */
  public static String escape(String text) {
    String plain = plain(text);
    StringBuilder out = new StringBuilder(plain.length() + 16);
    for (int i = 0; i < plain.length(); i++) {
      char c = plain.charAt(i);
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  /** The number of characters Telegram counts in {@code html}: tags removed, entities as one. */
  public static int visibleLength(String html) {
    int length = 0;
    for (Unit unit : units(html == null ? "" : html)) {
      length += unit.visible();
    }
    return length;
  }

  /** {@link #split(String, int)} into parts of at most {@link #PART_CHARS}. */
  public static List<String> split(String html) {
    return split(html, PART_CHARS);
  }

  /**
   * Cuts an already formatted message into parts whose {@linkplain #visibleLength visible length}
   * is at most {@code limit}, each valid HTML on its own: a tag open at a cut is closed at the end
   * of the part and opened again at the start of the next. A cut goes at the last blank line in the
   * second half of the part, else at the last line break there, else at the last space there, else
   * wherever the part is full; the line break or space at a cut is dropped. A cut never falls in a
   * tag, an entity or a surrogate pair. A blank message becomes the single part {@code (empty)}.
   *
   * @throws IllegalArgumentException if {@code limit} is below 2 (a surrogate pair would not fit)
   */
  public static List<String> split(String html, int limit) {
    if (limit < 2) {
      throw new IllegalArgumentException("a part must hold at least 2 characters, not " + limit);
    }
    String text = html == null ? "" : html;
    List<Unit> units = units(text);
    List<String> parts = new ArrayList<>();
    List<Unit> open = new ArrayList<>();
    int start = 0;
    while (start < units.size()) {
      int full = start;
      int width = 0;
      while (full < units.size() && width + units.get(full).visible() <= limit) {
        width += units.get(full).visible();
        full++;
      }
      Cut cut = full == units.size() ? new Cut(full, full) : cut(units, text, start, full, limit);
      StringBuilder part = new StringBuilder();
      open.forEach(tag -> part.append(tag.raw(text)));
      boolean blank = true;
      for (int i = start; i < cut.end(); i++) {
        Unit unit = units.get(i);
        blank &= unit.visible() == 0 || unit.isSpace(text);
        track(open, unit);
      }
      if (cut.end() > start) {
        part.append(text, units.get(start).from(), units.get(cut.end() - 1).to());
      }
      for (int i = open.size() - 1; i >= 0; i--) {
        part.append("</").append(open.get(i).tag()).append('>');
      }
      if (!blank) {
        parts.add(part.toString());
      }
      for (int i = cut.end(); i < cut.next(); i++) {
        track(open, units.get(i));
      }
      start = cut.next();
    }
    return parts.isEmpty() ? List.of(EMPTY) : List.copyOf(parts);
  }

  /**
   * The first message of a mission's topic: who asked whom for what, then the prompt (which may be
   * long: send it through {@link #split(String)}).
   */
  public static String missionOpening(
      String missionId, String from, String to, String kind, String prompt) {
    StringBuilder out = new StringBuilder();
    out.append("<b>Mission ").append(escape(missionId)).append("</b>\n");
    out.append(escape(from)).append(" → ").append(escape(to));
    if (!isBlank(kind)) {
      out.append(" · ").append(escape(kind));
    }
    if (!isBlank(prompt)) {
      out.append("\n\n").append(escape(prompt.strip()));
    }
    return out.toString();
  }

  /**
   * A forum topic's name, plain text (not HTML): {@code to ← from: summary} on one line, cut with
   * {@code …} to Telegram's 1-{@value #TOPIC_NAME_CHARS} characters; never empty.
   */
  public static String topicName(String from, String to, String summary) {
    String sender = flat(from);
    String receiver = flat(to);
    String about = flat(summary);
    String pair =
        receiver.isEmpty() ? sender : sender.isEmpty() ? receiver : receiver + " ← " + sender;
    String name = pair.isEmpty() ? about : about.isEmpty() ? pair : pair + ": " + about;
    return shorten(name.isEmpty() ? "mission" : name, TOPIC_NAME_CHARS);
  }

  /**
   * The card under which the operator approves or denies a held message, launch or follow-up: who,
   * what, the first part of the message, the rule that held it and when it expires. Null or blank
   * {@code type}, {@code preview}, {@code rule} and {@code expiresAt} are left out.
   */
  public static String approvalCard(
      String approvalId,
      String from,
      String to,
      String type,
      String preview,
      String rule,
      Instant expiresAt) {
    StringBuilder out = new StringBuilder();
    out.append("🔐 <b>Approval</b> <code>").append(escape(approvalId)).append("</code>\n");
    out.append("<b>").append(escape(from)).append("</b> → <b>").append(escape(to)).append("</b>");
    if (!isBlank(type)) {
      out.append(" · ").append(escape(type));
    }
    if (!isBlank(preview)) {
      out.append("\n\n<blockquote>")
          .append(escape(shorten(plain(preview).strip(), SHOWN_PREVIEW_CHARS)))
          .append("</blockquote>");
    }
    if (!isBlank(rule) || expiresAt != null) {
      out.append('\n');
    }
    if (!isBlank(rule)) {
      out.append("\nrule: ").append(escape(rule));
    }
    if (expiresAt != null) {
      out.append("\nexpires at ").append(time(expiresAt));
    }
    return out.toString();
  }

  /**
   * The card under which the operator answers a launched agent's permission prompt: the tool, and
   * its input (already masked by the caller) in a code block, cut to {@value #SHOWN_INPUT_CHARS}
   * characters. An empty input ({@code {}}) is left out.
   */
  public static String permissionCard(
      String approvalId, String agent, String tool, String maskedInput, Instant expiresAt) {
    StringBuilder out = new StringBuilder();
    out.append("🔐 <b>Permission</b> <code>").append(escape(approvalId)).append("</code>\n");
    out.append("<b>")
        .append(escape(agent))
        .append("</b> wants to use <b>")
        .append(escape(tool))
        .append("</b>");
    String input = plain(maskedInput).strip();
    if (!input.isEmpty() && !input.equals("{}")) {
      out.append("\n<pre>").append(escape(shorten(input, SHOWN_INPUT_CHARS))).append("</pre>");
    }
    if (expiresAt != null) {
      out.append("\nexpires at ").append(time(expiresAt));
    }
    return out.toString();
  }

  /**
   * A card after its decision: the card, then the gate's sentence ({@code approved by X}, {@code
   * approved by X (mission)}, {@code denied by X: reason}, {@code expired: reason}) with a mark and
   * the time put after who decided: {@code ✅ approved by Alice at 14:02 UTC}, {@code ❌ denied by
   * cli at 14:03 UTC: too broad}, {@code ⌛ expired at 14:05 UTC: no decision within 300 s}.
   */
  public static String decided(String cardHtml, String sentence, String by, Instant at) {
    String said =
        isBlank(sentence) ? "decided" + (isBlank(by) ? "" : " by " + by) : sentence.strip();
    String mark =
        said.startsWith("approved")
            ? "✅"
            : said.startsWith("denied") ? "❌" : said.startsWith("expired") ? "⌛" : "•";
    int head = said.length();
    int byAt = isBlank(by) ? -1 : said.indexOf("by " + by);
    if (byAt >= 0) {
      head = byAt + 3 + by.length();
      if (said.startsWith(" (", head) && said.indexOf(')', head) > 0) {
        head = said.indexOf(')', head) + 1;
      }
    } else if (said.startsWith("expired")) {
      head = "expired".length();
    }
    StringBuilder out = new StringBuilder(cardHtml == null ? "" : cardHtml);
    out.append("\n\n").append(mark).append(' ').append(escape(said.substring(0, head)));
    if (at != null) {
      out.append(" at ").append(time(at));
    }
    return out.append(escape(said.substring(head))).toString();
  }

  /** A time as the bot shows it: {@code 14:02 UTC}. */
  public static String time(Instant at) {
    return CLOCK.format(at) + " UTC";
  }

  /** The text Telegram shows for {@code html}: tags removed, entities decoded. */
  static String visibleText(String html) {
    String text = html == null ? "" : html;
    StringBuilder out = new StringBuilder(text.length());
    for (Unit unit : units(text)) {
      switch (unit.kind()) {
        case TEXT -> out.append(text, unit.from(), unit.to());
        case ENTITY -> out.appendCodePoint(entityValue(text, unit.from(), unit.to()));
        default -> {}
      }
    }
    return out.toString();
  }

  /** The text without unpaired surrogates and control characters other than newline and tab. */
  private static String plain(String text) {
    if (text == null) {
      return "";
    }
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean paired =
          Character.isHighSurrogate(c)
              && i + 1 < text.length()
              && Character.isLowSurrogate(text.charAt(i + 1));
      boolean rejected =
          (c < 0x20 && c != '\n' && c != '\t') || (Character.isSurrogate(c) && !paired);
      if (rejected && out == null) {
        out = new StringBuilder(text.length()).append(text, 0, i);
      }
      if (out != null && !rejected) {
        out.append(c);
        if (paired) {
          out.append(text.charAt(i + 1));
        }
      }
      if (paired) {
        i++;
      }
    }
    return out == null ? text : out.toString();
  }

  /** The text on one line, with runs of white space as one space. */
  private static String flat(String text) {
    return SPACES.matcher(plain(text)).replaceAll(" ").strip();
  }

  /** The text cut to {@code max} characters with {@code …}, never inside a surrogate pair. */
  private static String shorten(String text, int max) {
    if (text.length() <= max) {
      return text;
    }
    int end = max - 1;
    if (Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end).stripTrailing() + "…";
  }

  private static boolean isBlank(String text) {
    return text == null || text.isBlank();
  }

  private enum Kind {
    TEXT,
    ENTITY,
    OPEN,
    CLOSE
  }

  /**
   * The smallest piece of formatted text a cut may not enter: a character (a surrogate pair is
   * one), an entity, or a tag (which shows nothing). {@code tag} is the lower-case tag name.
   */
  private record Unit(int from, int to, int visible, Kind kind, String tag) {

    String raw(String text) {
      return text.substring(from, to);
    }

    boolean isChar(String text, char c) {
      return kind == Kind.TEXT && text.charAt(from) == c;
    }

    boolean isSpace(String text) {
      return kind == Kind.TEXT && Character.isWhitespace(text.charAt(from));
    }
  }

  /** A cut: the part ends before {@code end}; the next starts at {@code next}. */
  private record Cut(int end, int next) {}

  private static List<Unit> units(String text) {
    List<Unit> units = new ArrayList<>(text.length());
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      int end = c == '<' ? tagEnd(text, i) : c == '&' ? entityEnd(text, i) : -1;
      if (end > 0 && c == '<') {
        boolean closing = text.charAt(i + 1) == '/';
        int name = i + (closing ? 2 : 1);
        int nameEnd = name;
        while (nameEnd < end && isNameChar(text.charAt(nameEnd))) {
          nameEnd++;
        }
        String tag = text.substring(name, nameEnd).toLowerCase(Locale.ROOT);
        units.add(new Unit(i, end, 0, closing ? Kind.CLOSE : Kind.OPEN, tag));
      } else if (end > 0) {
        units.add(
            new Unit(i, end, Character.charCount(entityValue(text, i, end)), Kind.ENTITY, null));
      } else {
        boolean pair =
            Character.isHighSurrogate(c)
                && i + 1 < text.length()
                && Character.isLowSurrogate(text.charAt(i + 1));
        end = i + (pair ? 2 : 1);
        units.add(new Unit(i, end, end - i, Kind.TEXT, null));
      }
      i = end;
    }
    return units;
  }

  /** The end of the tag that starts at {@code at}, or -1 when the {@code <} is not a tag's. */
  private static int tagEnd(String text, int at) {
    int i = at + 1;
    boolean closing = i < text.length() && text.charAt(i) == '/';
    if (closing) {
      i++;
    }
    if (i >= text.length() || !isLetter(text.charAt(i))) {
      return -1;
    }
    while (i < text.length() && isNameChar(text.charAt(i))) {
      i++;
    }
    char quote = 0;
    for (; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quote != 0) {
        quote = c == quote ? 0 : quote;
      } else if (c == '>') {
        return i + 1;
      } else if (c == '<' || (closing && !Character.isWhitespace(c))) {
        return -1;
      } else if (c == '"' || c == '\'') {
        quote = c;
      }
    }
    return -1;
  }

  private static boolean isLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static boolean isNameChar(char c) {
    return isLetter(c) || (c >= '0' && c <= '9') || c == '-';
  }

  /** The end of the entity that starts at {@code at} ({@code &amp;}, {@code &#128512;}), or -1. */
  private static int entityEnd(String text, int at) {
    int i = at + 1;
    int max;
    boolean hex = false;
    if (text.startsWith("#x", i) || text.startsWith("#X", i)) {
      i += 2;
      hex = true;
      max = 6;
    } else if (text.startsWith("#", i)) {
      i++;
      max = 7;
    } else {
      max = 31;
    }
    int digits = i;
    while (i < text.length()
        && i - digits < max
        && isEntityChar(text.charAt(i), hex, digits == at + 1)) {
      i++;
    }
    return i > digits && i < text.length() && text.charAt(i) == ';' ? i + 1 : -1;
  }

  private static boolean isEntityChar(char c, boolean hex, boolean named) {
    if (named) {
      return isLetter(c) || (c >= '0' && c <= '9');
    }
    return Character.digit(c, hex ? 16 : 10) >= 0 && c < 0x80;
  }

  /** The character an entity stands for; an unknown one counts as one character. */
  private static int entityValue(String text, int from, int to) {
    String body = text.substring(from + 1, to - 1);
    if (!body.startsWith("#")) {
      return switch (body) {
        case "lt" -> '<';
        case "gt" -> '>';
        case "amp" -> '&';
        case "quot" -> '"';
        default -> '?';
      };
    }
    boolean hex = body.length() > 1 && (body.charAt(1) == 'x' || body.charAt(1) == 'X');
    int value = Integer.parseInt(body.substring(hex ? 2 : 1), hex ? 16 : 10);
    return Character.isValidCodePoint(value) && !Character.isSurrogate((char) value) ? value : '?';
  }

  /** Keeps {@code open} as the tags open after {@code unit}. */
  private static void track(List<Unit> open, Unit unit) {
    if (unit.kind() == Kind.OPEN) {
      open.add(unit);
    } else if (unit.kind() == Kind.CLOSE) {
      for (int i = open.size() - 1; i >= 0; i--) {
        if (open.get(i).tag().equals(unit.tag())) {
          open.remove(i);
          return;
        }
      }
    }
  }

  /**
   * Where to cut a part that starts at {@code start} and is full before {@code full}: the last
   * blank line, line break or space whose text before it fills at least half the part, else at
   * {@code full}. Closing tags stay with the text they close, opening tags go with the text they
   * open.
   */
  private static Cut cut(List<Unit> units, String text, int start, int full, int limit) {
    int half = (limit + 1) / 2;
    Cut paragraph = null;
    Cut line = null;
    Cut space = null;
    int width = 0;
    int lastVisible = -1;
    int widthBeforeLast = 0;
    for (int i = start; i <= full && i < units.size(); i++) {
      Unit unit = units.get(i);
      if (unit.visible() == 0) {
        continue;
      }
      if (unit.isChar(text, '\n')) {
        if (lastVisible >= 0
            && units.get(lastVisible).isChar(text, '\n')
            && widthBeforeLast >= half) {
          paragraph = new Cut(lastVisible, i + 1);
        }
        if (width >= half) {
          line = new Cut(i, i + 1);
        }
      } else if ((unit.isChar(text, ' ') || unit.isChar(text, '\t')) && width >= half) {
        space = new Cut(i, i + 1);
      }
      lastVisible = i;
      widthBeforeLast = width;
      width += unit.visible();
    }
    Cut chosen = paragraph != null ? paragraph : line != null ? line : space;
    if (chosen == null) {
      int end = full;
      while (end < units.size() && units.get(end).kind() == Kind.CLOSE) {
        end++;
      }
      chosen = new Cut(end, end);
    }
    int end = chosen.end();
    while (end > start && units.get(end - 1).kind() == Kind.OPEN) {
      end--;
    }
    int next = Math.max(chosen.next(), end);
    while (next < units.size() && units.get(next).kind() == Kind.CLOSE) {
      next++;
    }
    return new Cut(end, next);
  }
}
