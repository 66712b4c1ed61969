package ai.intercom.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.launcher.LineCutter.Line;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class LineCutterTest {

  private static ByteString bytes(String text) {
    return ByteString.fromString(text, StandardCharsets.UTF_8);
  }

  private static List<String> texts(List<Line> lines) {
    return lines.stream().map(Line::text).toList();
  }

  private static Line whole(String text) {
    return new Line(text, false, text.getBytes(StandardCharsets.UTF_8).length);
  }

  @Test
  void aLineSplitAcrossChunksArrivesOnceComplete() {
    LineCutter cutter = new LineCutter(1024);
    assertEquals(List.of(), cutter.feed(bytes("{\"type\":")));
    assertEquals(List.of(), cutter.feed(bytes("\"assistant\"")));
    assertEquals(List.of(whole("{\"type\":\"assistant\"}")), cutter.feed(bytes("}\nnext")));
    assertEquals(List.of(whole("next")), cutter.feed(bytes("\n")));
  }

  @Test
  void severalLinesInOneChunkComeOutInOrder() {
    LineCutter cutter = new LineCutter(1024);
    assertEquals(List.of("one", "two", "three"), texts(cutter.feed(bytes("one\ntwo\nthree\nfo"))));
    assertEquals(List.of("four"), texts(cutter.feed(bytes("ur\n"))));
  }

  @Test
  void crlfLosesItsCarriageReturnEvenWhenSplitFromItsNewline() {
    LineCutter cutter = new LineCutter(1024);
    assertEquals(List.of(whole("a")), cutter.feed(bytes("a\r\nb\r")));
    assertEquals(List.of(), cutter.feed(bytes("")));
    assertEquals(List.of(whole("b"), whole("c\rd")), cutter.feed(bytes("\nc\rd\r\n")));
  }

  @Test
  void blankLinesAreDropped() {
    LineCutter cutter = new LineCutter(1024);
    assertEquals(List.of("a", "\tb"), texts(cutter.feed(bytes("\n\r\na\n   \n\n\tb\n\n"))));
  }

  @Test
  void anOverlongLineIsCutAndTheNextLineArrivesIntact() {
    LineCutter cutter = new LineCutter(100);
    byte[] chunk = new byte[4096];
    Arrays.fill(chunk, (byte) 'x');
    List<Line> out = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      out.addAll(cutter.feed(ByteString.fromArray(chunk)));
    }
    out.addAll(cutter.feed(bytes("yy\r\nnormal line\n")));
    assertEquals(2, out.size());
    Line cut = out.get(0);
    assertEquals("x".repeat(100), cut.text());
    assertTrue(cut.truncated());
    assertEquals(4096L * 1000 + 2, cut.bytes());
    assertEquals(whole("normal line"), out.get(1));
  }

  @Test
  void aLineOfExactlyTheLimitIsNotTruncated() {
    LineCutter cutter = new LineCutter(5);
    assertEquals(List.of(), cutter.feed(bytes("123")));
    assertEquals(List.of(whole("12345")), cutter.feed(bytes("45\n")));
  }

  @Test
  void aLineOfExactlyTheLimitFollowedByCrlfIsNotTruncated() {
    LineCutter cutter = new LineCutter(5);
    cutter.feed(bytes("123"));
    assertEquals(List.of(whole("12345")), cutter.feed(bytes("45\r\n")));
  }

  @Test
  void aMultibyteCharacterCutAtTheLimitIsDroppedWhole() {
    LineCutter cutter = new LineCutter(4);
    // "ab" then "€" (3 bytes) then "c": the limit falls inside the euro sign
    List<Line> lines = cutter.feed(bytes("ab€c\n"));
    assertEquals(List.of(new Line("ab", true, 6)), lines);
    List<Line> split = new LineCutter(4).feed(bytes("a😀b\n"));
    assertEquals(List.of(new Line("a", true, 6)), split);
  }

  @Test
  void aMultibyteCharacterSplitAcrossChunksIsDecodedWhole() {
    LineCutter cutter = new LineCutter(1024);
    byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
    assertEquals(List.of(), cutter.feed(ByteString.fromArray(euro, 0, 1)));
    assertEquals(
        List.of(whole("€ ok")),
        cutter.feed(ByteString.fromArray(euro, 1, 2).concat(bytes(" ok\n"))));
  }

  @Test
  void invalidUtf8BecomesReplacementCharacters() {
    LineCutter cutter = new LineCutter(1024);
    byte[] bad = {'a', (byte) 0xFF, (byte) 0xC3, 'b', '\n'};
    List<Line> lines = cutter.feed(ByteString.fromArray(bad));
    assertEquals(List.of(new Line("a\uFFFD\uFFFDb", false, 4)), lines);
  }

  @Test
  void finishReturnsTheUnterminatedLineFlaggedTruncated() {
    LineCutter cutter = new LineCutter(1024);
    cutter.feed(bytes("done\npartial {\"ty"));
    assertEquals(List.of(new Line("partial {\"ty", true, 12)), cutter.finish());
    assertEquals(List.of(), cutter.finish());
  }

  @Test
  void finishWithNothingPendingReturnsNothing() {
    LineCutter cutter = new LineCutter(1024);
    cutter.feed(bytes("done\n"));
    assertEquals(List.of(), cutter.finish());
    assertEquals(List.of(), new LineCutter(10).finish());
  }

  @Test
  void finishOfAnOverlongUnterminatedLineKeepsItsStartAndCount() {
    LineCutter cutter = new LineCutter(3);
    cutter.feed(bytes("abcdef"));
    cutter.feed(bytes("gh"));
    assertEquals(List.of(new Line("abc", true, 8)), cutter.finish());
  }

  @Test
  void aHundredThousandLinesInATenMegabyteChunkAreCutQuickly() {
    StringBuilder text = new StringBuilder();
    String line = "{\"type\":\"user\",\"message\":{\"content\":\"" + "z".repeat(60) + "\"}} ";
    for (int i = 0; i < 100_000; i++) {
      text.append(i).append(line).append('\n');
    }
    ByteString chunk = bytes(text.toString());
    assertTrue(chunk.size() > 10_000_000);
    LineCutter cutter = new LineCutter(1 << 20);
    List<Line> lines = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> cutter.feed(chunk));
    assertEquals(100_000, lines.size());
    assertEquals("99999" + line, lines.get(99_999).text());
    assertFalse(lines.get(0).truncated());
  }

  @Test
  void aLimitBelowOneIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new LineCutter(0));
  }
}
