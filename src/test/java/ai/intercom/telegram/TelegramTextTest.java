package ai.intercom.telegram;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class TelegramTextTest {

  private static final long SEED = 20240611L;

  private static final Pattern TAG = Pattern.compile("<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^<>]*>");
  private static final Pattern ENTITY =
      Pattern.compile("&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});");

  private static final Instant AT = Instant.parse("2024-06-11T14:02:37Z");

  @Test
  void escapeReplacesOnlyTheThreeSpecialCharacters() {
    assertEquals(
        "a &lt;b&gt; &amp; \"c\" 'd' *e* _f_", TelegramText.escape("a <b> & \"c\" 'd' *e* _f_"));
    assertEquals("", TelegramText.escape(null));
    assertEquals("&amp;amp;", TelegramText.escape("&amp;"));
  }

  @Test
  void escapeDropsWhatTelegramRejectsAndKeepsNewlinesTabsAndEmoji() {
    assertEquals("a\nb\tc", TelegramText.escape("a\u0000\n\u0007b\t\rc\u001f"));
    assertEquals("x😀y", TelegramText.escape("x\uD800😀\uDC00y"));
    assertEquals("end", TelegramText.escape("end\uD83D"));
  }

  @Test
  void escapedTextHasNoRawMarkupAndReadsBackAsTheCleanedText() {
    Random random = new Random(SEED);
    for (int round = 0; round < 2_000; round++) {
      String raw = randomText(random, 1 + random.nextInt(400));
      String escaped = TelegramText.escape(raw);
      assertFalse(escaped.contains("<") || escaped.contains(">"), () -> "raw bracket: " + escaped);
      for (int i = escaped.indexOf('&'); i >= 0; i = escaped.indexOf('&', i + 1)) {
        Matcher entity = ENTITY.matcher(escaped).region(i, escaped.length());
        assertTrue(entity.lookingAt(), "raw & at " + i + " in " + escaped);
      }
      assertWellFormedUtf16(escaped);
      assertEquals(cleaned(raw), decode(escaped));
      assertEquals(cleaned(raw).length(), TelegramText.visibleLength(escaped));
    }
  }

  @Test
  void visibleLengthCountsUtf16UnitsAfterEntityParsing() {
    assertEquals(0, TelegramText.visibleLength(null));
    assertEquals(5, TelegramText.visibleLength("<b>a&lt;b</b> &amp;"));
    assertEquals(2, TelegramText.visibleLength("😀"));
    assertEquals(3, TelegramText.visibleLength("&#128512;&quot;"));
    assertEquals(4, TelegramText.visibleLength("<a href=\"https://x.io/?a=1&amp;b=>\">link</a>"));
    assertEquals("a<b &", TelegramText.visibleText("<i>a&lt;b</i> &amp;"));
  }

  @Test
  void visibleLengthAgreesWithAnIndependentReading() {
    Random random = new Random(SEED + 1);
    for (int round = 0; round < 300; round++) {
      String html = formatted(random, 50 + random.nextInt(3_000));
      assertEquals(decode(html).length(), TelegramText.visibleLength(html), html);
      assertEquals(decode(html), TelegramText.visibleText(html));
    }
  }

  @Test
  void blankInputIsTheSinglePartEmpty() {
    for (String blank : new String[] {null, "", "   ", "\n\n\t", "<b> </b>", "<pre>\n</pre>"}) {
      assertEquals(List.of("(empty)"), TelegramText.split(blank), String.valueOf(blank));
    }
  }

  @Test
  void aShortMessageIsOnePartUnchanged() {
    String html = "<b>Mission</b>\n\n<pre>x &lt; y</pre>";
    assertEquals(List.of(html), TelegramText.split(html));
  }

  @Test
  void aBlankLineInTheSecondHalfWinsOverALaterLineBreak() {
    String html = "a".repeat(60) + "\n\n" + "b b b b b" + "\n" + "c".repeat(50);
    assertEquals(
        List.of("a".repeat(60), "b b b b b\n" + "c".repeat(50)), TelegramText.split(html, 100));
  }

  @Test
  void aBlankLineInTheFirstHalfLosesToALineBreakInTheSecond() {
    String html = "a".repeat(20) + "\n\n" + "b".repeat(70) + "\n" + "c".repeat(50);
    assertEquals(
        List.of("a".repeat(20) + "\n\n" + "b".repeat(70), "c".repeat(50)),
        TelegramText.split(html, 100));
  }

  @Test
  void withoutLineBreaksTheCutIsAtASpaceElseHard() {
    String words = "word ".repeat(40).strip();
    List<String> parts = TelegramText.split(words, 52);
    parts.forEach(part -> assertFalse(part.startsWith(" ") || part.endsWith(" "), part));
    assertTrue(parts.stream().allMatch(part -> part.matches("word( word)*")), parts::toString);

    assertEquals(
        List.of("x".repeat(100), "x".repeat(100), "x".repeat(50)),
        TelegramText.split("x".repeat(250), 100));
  }

  @Test
  void entitiesAndSurrogatePairsAreNeverCut() {
    assertEquals(
        List.of("&amp;".repeat(100), "&amp;".repeat(100), "&lt;".repeat(10)),
        TelegramText.split("&amp;".repeat(200) + "&lt;".repeat(10), 100));
    assertEquals(
        List.of("😀".repeat(50), "😀".repeat(50), "😀".repeat(50)),
        TelegramText.split("😀".repeat(150), 101));
  }

  @Test
  void aTagOpenAtTheCutIsClosedAndOpenedAgain() {
    String code = "line of code\n".repeat(30);
    List<String> parts =
        TelegramText.split(
            "<b>Log</b>\n<pre><code class=\"language-sh\">" + code + "</code></pre>", 100);
    assertTrue(parts.size() > 3, parts::toString);
    assertTrue(parts.get(0).startsWith("<b>Log</b>\n<pre><code class=\"language-sh\">"));
    for (String part : parts.subList(1, parts.size())) {
      assertTrue(part.startsWith("<pre><code class=\"language-sh\">"), part);
      assertTrue(part.endsWith("</code></pre>"), part);
    }
    List<String> links =
        TelegramText.split(
            "<a href=\"https://x.io/?a=1&amp;b=2\">" + "click ".repeat(40) + "</a>", 60);
    links.forEach(
        part -> assertTrue(part.startsWith("<a href=\"https://x.io/?a=1&amp;b=2\">"), part));
    links.forEach(part -> assertTrue(part.endsWith("</a>"), part));
  }

  @Test
  void tagsAtACutStayWithTheirTextAndEmptyElementsAreNotMade() {
    String html = "x".repeat(70) + "<b>\n" + "y".repeat(70) + "</b>";
    assertEquals(
        List.of("x".repeat(70), "<b>" + "y".repeat(70) + "</b>"), TelegramText.split(html, 100));
    String closing = "<i>" + "x".repeat(70) + "</i>\n" + "y".repeat(70);
    assertEquals(
        List.of("<i>" + "x".repeat(70) + "</i>", "y".repeat(70)), TelegramText.split(closing, 100));
  }

  @Test
  void aLimitThatCannotHoldAnEmojiIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> TelegramText.split("x", 1));
  }

  @Test
  void longMessagesSplitIntoPartsTelegramAccepts() {
    Random random = new Random(SEED + 2);
    for (int round = 0; round < 40; round++) {
      String html = formatted(random, 10_000 + random.nextInt(90_000));
      List<String> parts = TelegramText.split(html);
      assertTrue(parts.size() >= 2, "a long message is several parts");
      assertValidSplit(html, parts, TelegramText.PART_CHARS);
      parts.forEach(part -> assertTrue(TelegramText.visibleLength(part) <= TelegramText.MAX_CHARS));
    }
  }

  @Test
  void smallLimitsStillGiveValidParts() {
    Random random = new Random(SEED + 3);
    for (int round = 0; round < 400; round++) {
      String html = formatted(random, 100 + random.nextInt(3_000));
      int limit = 2 + random.nextInt(200);
      assertValidSplit(html, TelegramText.split(html, limit), limit);
    }
  }

  @Test
  void linesWithoutSpacesAreCutHardButWhole() {
    Random random = new Random(SEED + 4);
    for (int round = 0; round < 20; round++) {
      StringBuilder text = new StringBuilder();
      while (text.length() < 20_000) {
        int cp = random.nextBoolean() ? 'a' + random.nextInt(26) : 0x1F600 + random.nextInt(80);
        text.appendCodePoint(cp);
        if (random.nextInt(50) == 0) {
          text.append(random.nextBoolean() ? "&" : "<");
        }
      }
      String html = "<pre>" + TelegramText.escape(text.toString()) + "</pre>";
      List<String> parts = TelegramText.split(html);
      assertValidSplit(html, parts, TelegramText.PART_CHARS);
      for (String part : parts.subList(0, parts.size() - 1)) {
        assertTrue(TelegramText.visibleLength(part) >= TelegramText.PART_CHARS - 1, "a full part");
      }
    }
  }

  @Test
  void missionOpeningShowsWhoAskedWhomThenThePrompt() {
    assertEquals(
        "<b>Mission m-20240611-3f9c1e</b>\nlaptop/web → server/api · chat\n\nfix x &lt; y &amp;&amp; z",
        TelegramText.missionOpening(
            "m-20240611-3f9c1e", "laptop/web", "server/api", "chat", "  fix x < y && z\n"));
    assertEquals(
        "<b>Mission m-1</b>\nhuman → a/b",
        TelegramText.missionOpening("m-1", "human", "a/b", null, " "));
  }

  @Test
  void topicNamesArePlainOneLineAndWithinTelegramsLimit() {
    assertEquals(
        "server/api ← laptop/web: fix the <login> bug",
        TelegramText.topicName("laptop/web", "server/api", "  fix the\n<login>\tbug "));
    assertEquals("mission", TelegramText.topicName(null, " ", "\n"));
    assertEquals("a/b ← c/d", TelegramText.topicName("c/d", "a/b", null));

    String longName = TelegramText.topicName("c/d", "a/b", "word ".repeat(100));
    assertTrue(longName.length() > 120 && longName.length() <= TelegramText.TOPIC_NAME_CHARS);
    assertTrue(longName.endsWith("…") && !longName.endsWith(" …"), longName);

    Random random = new Random(SEED + 5);
    for (int round = 0; round < 1_000; round++) {
      String name =
          TelegramText.topicName(
              randomText(random, random.nextInt(40)),
              randomText(random, random.nextInt(40)),
              randomText(random, random.nextInt(300)));
      assertFalse(name.isEmpty());
      assertTrue(name.length() <= TelegramText.TOPIC_NAME_CHARS, name);
      assertFalse(name.contains("\n") || name.contains("\t") || name.contains("  "), name);
      assertWellFormedUtf16(name);
    }
  }

  @Test
  void anApprovalCardShowsTheRequestEscaped() {
    String card =
        TelegramText.approvalCard(
            "a-3f9c1e",
            "laptop/web",
            "server/api",
            "chat",
            "run <rm -rf> & tell me",
            "default",
            Instant.parse("2024-06-11T14:07:00Z"));
    assertEquals(
        "🔐 <b>Approval</b> <code>a-3f9c1e</code>\n"
            + "<b>laptop/web</b> → <b>server/api</b> · chat\n\n"
            + "<blockquote>run &lt;rm -rf&gt; &amp; tell me</blockquote>\n\n"
            + "rule: default\n"
            + "expires at 14:07 UTC",
        card);
    String huge =
        TelegramText.approvalCard("a-3f9c1e", "a/b", "c/d", "chat", "y".repeat(50_000), null, null);
    assertTrue(TelegramText.visibleLength(huge) < 1_200, "the card fits one message");
    assertBalanced(huge);
  }

  @Test
  void aPermissionCardShowsTheToolAndItsInputInACodeBlock() {
    String card =
        TelegramText.permissionCard(
            "a-00ff00", "laptop/web", "Bash", "{\"command\":\"ls <dir> && GITHUB_TOKEN=***\"}", AT);
    assertEquals(
        "🔐 <b>Permission</b> <code>a-00ff00</code>\n"
            + "<b>laptop/web</b> wants to use <b>Bash</b>\n"
            + "<pre>{\"command\":\"ls &lt;dir&gt; &amp;&amp; GITHUB_TOKEN=***\"}</pre>\n"
            + "expires at 14:02 UTC",
        card);
    assertEquals(
        "🔐 <b>Permission</b> <code>a-00ff00</code>\n<b>a/b</b> wants to use <b>Read</b>",
        TelegramText.permissionCard("a-00ff00", "a/b", "Read", "{}", null));

    String cut = TelegramText.permissionCard("a-00ff00", "a/b", "Bash", "&".repeat(5_000), AT);
    String input = cut.substring(cut.indexOf("<pre>") + 5, cut.indexOf("</pre>"));
    assertEquals(TelegramText.SHOWN_INPUT_CHARS, TelegramText.visibleLength(input));
    assertTrue(input.endsWith("&amp;…"), input);
  }

  @Test
  void aDecidedCardSaysWhoDecidedWhatAndWhen() {
    String card = "🔐 <b>Approval</b> <code>a-3f9c1e</code>";
    assertEquals(
        card + "\n\n✅ approved by Alice at 14:02 UTC",
        TelegramText.decided(card, "approved by Alice", "Alice", AT));
    assertEquals(
        card + "\n\n✅ approved by Alice (mission) at 14:02 UTC",
        TelegramText.decided(card, "approved by Alice (mission)", "Alice", AT));
    assertEquals(
        card + "\n\n❌ denied by cli at 14:02 UTC: too &lt;broad&gt;",
        TelegramText.decided(card, "denied by cli: too <broad>", "cli", AT));
    assertEquals(
        card + "\n\n⌛ expired at 14:02 UTC: no decision within 300 s",
        TelegramText.decided(card, "expired: no decision within 300 s", "expiry", AT));
    assertEquals(card + "\n\n• decided by Bob", TelegramText.decided(card, null, "Bob", null));
    assertEquals("14:02 UTC", TelegramText.time(AT));
  }

  // Checks every property a split must have, against this test's own reading of the HTML.
  private static void assertValidSplit(String html, List<String> parts, int limit) {
    String original = decode(html);
    int cursor = 0;
    for (String part : parts) {
      assertTrue(TelegramText.visibleLength(part) <= limit, () -> "too long: " + part.length());
      assertEquals(decode(part).length(), TelegramText.visibleLength(part));
      assertBalanced(part);
      assertNoBrokenEntity(part);
      assertWellFormedUtf16(part);
      String shown = decode(part).strip();
      assertFalse(shown.isEmpty(), "a blank part");
      int at = original.indexOf(shown, cursor);
      assertTrue(at >= 0, () -> "part not found in order: " + shorten(shown));
      assertTrue(original.substring(cursor, at).isBlank(), "text lost before a part");
      cursor = at + shown.length();
    }
    assertTrue(original.substring(cursor).isBlank(), "text lost at the end");
  }

  private static void assertBalanced(String html) {
    Deque<String> open = new ArrayDeque<>();
    Matcher tag = TAG.matcher(html);
    while (tag.find()) {
      if (tag.group(1).isEmpty()) {
        open.push(tag.group(2));
      } else {
        assertEquals(open.isEmpty() ? null : open.pop(), tag.group(2), () -> shorten(html));
      }
    }
    assertTrue(open.isEmpty(), () -> "unclosed " + open + " in " + shorten(html));
    assertFalse(TAG.matcher(html).replaceAll("").contains("<"), "a cut tag");
  }

  private static void assertNoBrokenEntity(String html) {
    String text = TAG.matcher(html).replaceAll("");
    for (int i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1)) {
      assertTrue(ENTITY.matcher(text).region(i, text.length()).lookingAt(), "a cut entity");
    }
  }

  private static void assertWellFormedUtf16(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)) {
        assertTrue(
            i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1)), "lone high");
        i++;
      } else {
        assertFalse(Character.isLowSurrogate(c), "lone low surrogate");
      }
    }
  }

  /** The visible text, read independently of the class under test. */
  private static String decode(String html) {
    String text = TAG.matcher(html).replaceAll("");
    Matcher entity = Pattern.compile("&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);").matcher(text);
    StringBuilder out = new StringBuilder();
    while (entity.find()) {
      String name = entity.group(1);
      int cp =
          switch (name) {
            case "lt" -> '<';
            case "gt" -> '>';
            case "amp" -> '&';
            case "quot" -> '"';
            default ->
                name.startsWith("#x")
                    ? Integer.parseInt(name.substring(2), 16)
                    : Integer.parseInt(name.substring(1));
          };
      entity.appendReplacement(out, Matcher.quoteReplacement(Character.toString(cp)));
    }
    entity.appendTail(out);
    return out.toString();
  }

  /** What escape() keeps of a raw text. */
  private static String cleaned(String raw) {
    StringBuilder out = new StringBuilder();
    raw.codePoints()
        .filter(cp -> cp >= 0x20 || cp == '\n' || cp == '\t')
        .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE)
        .forEach(out::appendCodePoint);
    return out.toString();
  }

  private static String shorten(String text) {
    return text.length() < 200 ? text : text.substring(0, 200) + "…";
  }

  /** Raw text from a mix meant to break things: markup, emoji, lone surrogates, controls. */
  private static String randomText(Random random, int length) {
    StringBuilder out = new StringBuilder();
    while (out.length() < length) {
      int pick = random.nextInt(100);
      if (pick < 45) {
        out.append((char) ('a' + random.nextInt(26)));
      } else if (pick < 58) {
        out.append(' ');
      } else if (pick < 63) {
        out.append('\n');
      } else if (pick < 66) {
        out.append("\n\n");
      } else if (pick < 72) {
        out.append("<>&\"'".charAt(random.nextInt(5)));
      } else if (pick < 80) {
        out.appendCodePoint(0x1F300 + random.nextInt(0x300));
      } else if (pick < 86) {
        out.appendCodePoint(0x4E00 + random.nextInt(0x1000));
      } else if (pick < 90) {
        out.append("éßΩжא".charAt(random.nextInt(5)));
      } else if (pick < 93) {
        out.append((char) (Character.MIN_SURROGATE + random.nextInt(0x800)));
      } else if (pick < 96) {
        out.append((char) random.nextInt(0x20));
      } else if (pick < 98) {
        out.append("&amp;&lt;<b>");
      } else {
        out.append('\t');
      }
    }
    return out.toString();
  }

  /** A formatted message of about {@code visible} characters: escaped text in nested tags. */
  private static String formatted(Random random, int visible) {
    StringBuilder out = new StringBuilder();
    while (out.length() < visible) {
      appendBlock(random, out, 0);
    }
    return out.toString();
  }

  private static void appendBlock(Random random, StringBuilder out, int depth) {
    int pick = random.nextInt(100);
    if (pick < 35 || depth >= 3) {
      out.append(TelegramText.escape(randomText(random, 1 + random.nextInt(600))));
    } else if (pick < 45) {
      out.append("\n\n");
    } else if (pick < 52) {
      out.append(TelegramText.escape("z".repeat(1 + random.nextInt(6_000))));
    } else if (pick < 56) {
      out.append("&#128512;&#x41;&quot;");
    } else if (pick < 62) {
      out.append("<pre><code class=\"language-java\">");
      out.append(TelegramText.escape(randomText(random, 1 + random.nextInt(3_000))));
      out.append("</code></pre>");
    } else if (pick < 68) {
      out.append("<a href=\"https://example.com/?q=1&amp;r=2\">");
      appendBlock(random, out, depth + 1);
      out.append("</a>");
    } else {
      String tag =
          List.of("b", "i", "u", "s", "code", "tg-spoiler", "blockquote").get(random.nextInt(7));
      out.append('<')
          .append(tag)
          .append(tag.equals("blockquote") && random.nextBoolean() ? " expandable>" : ">");
      int children = 1 + random.nextInt(3);
      for (int i = 0; i < children; i++) {
        appendBlock(random, out, depth + 1);
      }
      out.append("</").append(tag).append('>');
    }
  }
}
