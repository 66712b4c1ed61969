package ai.intercom.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InboxTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final long COMPACT = 4096;

  @TempDir Path dir;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static Letter letter(String id, String text) {
    return new Letter(
        id,
        "t-0a1b2c3d",
        "m-20261121-abc123",
        "alpha/api",
        text,
        Instant.parse("2026-11-21T10:00:00Z"));
  }

  private ActorRef<Inbox.Command> inbox() {
    return testKit.spawn(Inbox.create(dir, "s1", COMPACT));
  }

  private void deliver(ActorRef<Inbox.Command> inbox, Letter letter) {
    TestProbe<Done> done = testKit.createTestProbe();
    inbox.tell(new Inbox.Deliver(letter, done.ref()));
    done.expectMessage(Done.getInstance());
  }

  private Inbox.Batch check(ActorRef<Inbox.Command> inbox, int budget) {
    TestProbe<Inbox.Batch> probe = testKit.createTestProbe();
    inbox.tell(new Inbox.Check(budget, probe.ref()));
    return probe.receiveMessage();
  }

  private static List<String> texts(Inbox.Batch batch) {
    return batch.letters().stream().map(d -> d.letter().text()).toList();
  }

  private void stop(ActorRef<Inbox.Command> inbox) {
    testKit.stop(inbox, Duration.ofSeconds(5));
  }

  @Test
  void aLetterIsHandedOutOnceInOrder() {
    ActorRef<Inbox.Command> inbox = inbox();
    deliver(inbox, letter("t:1", "first"));
    deliver(inbox, letter("t:2", "second"));
    assertTrue(Files.exists(dir.resolve("s1.pending")), "hooks see that something is new");
    assertEquals(List.of("first", "second"), texts(check(inbox, 0)));
    assertFalse(Files.exists(dir.resolve("s1.pending")));
    assertTrue(check(inbox, 0).isEmpty());
  }

  @Test
  void aSecondCopyOfTheSameLetterIsDropped() {
    ActorRef<Inbox.Command> inbox = inbox();
    deliver(inbox, letter("t:1", "hello"));
    deliver(inbox, letter("t:1", "hello"));
    assertEquals(List.of("hello"), texts(check(inbox, 0)));
  }

  @Test
  void undeliveredLettersSurviveARestartAndDeliveredOnesDoNotComeBack() {
    ActorRef<Inbox.Command> inbox = inbox();
    deliver(inbox, letter("t:1", "read before the crash"));
    check(inbox, 0);
    deliver(inbox, letter("t:2", "still unread"));
    stop(inbox);

    ActorRef<Inbox.Command> again = inbox();
    assertEquals(List.of("still unread"), texts(check(again, 0)));
    deliver(again, letter("t:3", "after the restart"));
    assertEquals(List.of("after the restart"), texts(check(again, 0)));
  }

  @Test
  void aDamagedLineIsSkippedAndTheRestIsKept() throws Exception {
    ActorRef<Inbox.Command> inbox = inbox();
    deliver(inbox, letter("t:1", "good one"));
    stop(inbox);
    Files.writeString(
        dir.resolve("s1.jsonl"),
        "{\"seq\":2,\"letter\":{\"letter_id\":\"t:2\",\"te",
        java.nio.file.StandardOpenOption.APPEND);
    assertEquals(List.of("good one"), texts(check(inbox(), 0)));
  }

  @Test
  void aHookGetsLongTextsCutAndTheFullCheckShowsThemWhole() {
    ActorRef<Inbox.Command> inbox = inbox();
    String longText = "x".repeat(3000);
    deliver(inbox, letter("t:1", "short"));
    deliver(inbox, letter("t:2", longText));
    int budget = 1000;
    Inbox.Batch hook = check(inbox, budget);
    assertEquals("short", hook.letters().get(0).letter().text());
    assertFalse(hook.letters().get(0).cut());
    Inbox.Delivered cut = hook.letters().get(1);
    assertTrue(cut.cut());
    // the headers count too: what the hook shows of both stays within the budget
    int shown =
        HookText.letterCost(hook.letters().get(0).letter(), "short", false)
            + HookText.letterCost(cut.letter(), cut.letter().text(), true);
    assertTrue(shown <= budget && cut.letter().text().length() > 500, shown + " characters");
    assertFalse(Files.exists(dir.resolve("s1.pending")), "the hook does not show it again");
    assertTrue(check(inbox, budget).isEmpty());

    Inbox.Batch full = check(inbox, 0);
    assertEquals(List.of(longText), texts(full));
    assertTrue(check(inbox, 0).isEmpty());
  }

  @Test
  void manyPendingLettersComeOverSeveralHooksNoneLostNoneTwiceEachHookUnderTheLimit() {
    ActorRef<Inbox.Command> inbox = inbox();
    List<String> sent = new java.util.ArrayList<>();
    for (int i = 0; i < 150; i++) {
      String text = String.format("message %03d: ", i) + "y".repeat(75);
      assertEquals(88, text.length());
      sent.add(text);
      deliver(inbox, letter("t:" + i, text));
    }
    List<String> shown = new java.util.ArrayList<>();
    int hooks = 0;
    for (Inbox.Batch batch = check(inbox, HookText.TEXT_BUDGET);
        !batch.isEmpty();
        batch = check(inbox, HookText.TEXT_BUDGET)) {
      hooks++;
      String context = HookText.of(batch.letters(), batch.waiting());
      assertTrue(context.length() <= HookText.LIMIT, context.length() + " characters");
      for (Inbox.Delivered delivered : batch.letters()) {
        assertFalse(delivered.cut(), "short letters are never cut");
        assertTrue(context.contains(delivered.letter().text()), "in the hook's text");
        shown.add(delivered.letter().text());
      }
      assertEquals(batch.waiting() > 0, context.contains("more messages wait"), context);
      assertEquals(
          batch.waiting() > 0,
          Files.exists(dir.resolve("s1.pending")),
          "the next hook knows there is more");
    }
    assertEquals(sent, shown, "every letter once, in order");
    assertTrue(hooks >= 2, "they needed more than one hook: " + hooks);
  }

  @Test
  void aWaitingHookWakesWhenALetterArrivesAndTimesOutOtherwise() {
    ActorRef<Inbox.Command> inbox = inbox();
    TestProbe<Inbox.Batch> waiting = testKit.createTestProbe();
    inbox.tell(new Inbox.Await(Duration.ofSeconds(30), 1000, waiting.ref()));
    waiting.expectNoMessage(Duration.ofMillis(200));
    deliver(inbox, letter("t:1", "wake up"));
    assertEquals(List.of("wake up"), texts(waiting.receiveMessage()));
    assertTrue(check(inbox, 0).isEmpty(), "the waiter took it");

    TestProbe<Inbox.Batch> bored = testKit.createTestProbe();
    inbox.tell(new Inbox.Await(Duration.ofMillis(200), 1000, bored.ref()));
    assertTrue(bored.receiveMessage(Duration.ofSeconds(5)).isEmpty());
  }

  @Test
  void deliveredLinesAreCompactedAway() throws Exception {
    ActorRef<Inbox.Command> inbox = inbox();
    for (int i = 0; i < 100; i++) {
      deliver(
          inbox, letter("t:" + i, "message number " + i + " with some padding to grow the file"));
    }
    assertTrue(Files.size(dir.resolve("s1.jsonl")) > COMPACT);
    assertEquals(100, check(inbox, 0).letters().size());
    assertEquals(0, Files.size(dir.resolve("s1.jsonl")));
    deliver(inbox, letter("t:100", "after compaction"));
    stop(inbox);
    assertEquals(List.of("after compaction"), texts(check(inbox(), 0)));
  }

  @Test
  void aSurrenderedInboxHandsOverWhatIsUnreadAndStops() {
    ActorRef<Inbox.Command> inbox = inbox();
    deliver(inbox, letter("t:1", "seen"));
    check(inbox, 0);
    deliver(inbox, letter("t:2", "unseen"));
    TestProbe<Inbox.Handover> probe = testKit.createTestProbe();
    inbox.tell(new Inbox.Surrender(probe.ref()));
    assertEquals(
        List.of("unseen"), probe.receiveMessage().letters().stream().map(Letter::text).toList());
    probe.expectTerminated(inbox);
    assertTrue(check(inbox(), 0).isEmpty(), "nothing is left to deliver twice");
  }
}
