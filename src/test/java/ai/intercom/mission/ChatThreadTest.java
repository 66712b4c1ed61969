package ai.intercom.mission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.mission.ChatThread.Message;
import ai.intercom.mission.ChatThread.State;
import ai.intercom.protocol.DeliveryState;
import ai.intercom.protocol.Ids;
import ai.intercom.testing.EntityTestBase;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;

class ChatThreadTest extends EntityTestBase<ChatThread.Command, ChatThread.Event, State> {

  private static final String ID = "t-0a1b2c3d";

  ChatThreadTest() {
    super(ChatThread.create(ID));
  }

  private void create() {
    kit.<StatusReply<State>>runCommand(
        r -> new ChatThread.Create("m-20261121-abc123", List.of("alpha/api", "beta/web"), r));
  }

  private StatusReply<Message> append(String from, String text) {
    StatusReply<ChatThread.Posted> posted =
        kit.<StatusReply<ChatThread.Posted>>runCommand(
                r -> new ChatThread.Append(from, "s-" + from.replace('/', '-'), text, r))
            .reply();
    return posted.isError()
        ? StatusReply.error(posted.getError())
        : StatusReply.success(posted.getValue().message());
  }

  @Test
  void participantsExchangeMessagesInOrder() {
    create();
    Message first = append("alpha/api", "is the schema migrated?").getValue();
    Message second = append("beta/web", "yes, since v12").getValue();
    assertEquals(1, first.seq());
    assertEquals(2, second.seq());

    State state = kit.<StatusReply<State>>runCommand(ChatThread.Get::new).reply().getValue();
    assertEquals(
        List.of("is the schema migrated?", "yes, since v12"),
        state.messages().stream().map(Message::text).toList());
    assertEquals("m-20261121-abc123", state.missionId());
    assertEquals(List.of("beta/web"), state.othersThan("alpha/api"));
  }

  @Test
  void aStrangerCannotWriteIntoTheThread() {
    create();
    var result =
        kit.<StatusReply<ChatThread.Posted>>runCommand(
            r -> new ChatThread.Append("gamma/ops", "s", "hi", r));
    assertTrue(result.reply().isError());
    assertEquals(
        "gamma/ops is not a participant of thread " + ID, result.reply().getError().getMessage());
    assertTrue(result.hasNoEvents());
  }

  @Test
  void anAddedParticipantMayWrite() {
    create();
    kit.<StatusReply<State>>runCommand(r -> new ChatThread.AddParticipant("human", r));
    assertEquals(1, append("human", "keep it short").getValue().seq());
    var again = kit.<StatusReply<State>>runCommand(r -> new ChatThread.AddParticipant("human", r));
    assertTrue(again.hasNoEvents());
  }

  @Test
  void aThreadNeedsTwoDifferentParticipantsAndIsCreatedOnce() {
    var alone =
        kit.<StatusReply<State>>runCommand(
            r -> new ChatThread.Create("m-20261121-abc123", List.of("alpha/api", "alpha/api"), r));
    assertTrue(alone.reply().isError());
    assertTrue(alone.hasNoEvents());
    create();
    var twice =
        kit.<StatusReply<State>>runCommand(
            r -> new ChatThread.Create("m-20261121-abc123", List.of("a/b", "c/d"), r));
    assertTrue(twice.reply().isError());
  }

  @Test
  void unknownThreadRefusesAppends() {
    var result =
        kit.<StatusReply<ChatThread.Posted>>runCommand(
            r -> new ChatThread.Append("alpha/api", "s", "hi", r));
    assertEquals("no thread " + ID, result.reply().getError().getMessage());
  }

  @Test
  void messagesSurviveARestart() {
    create();
    append("alpha/api", "one");
    append("beta/web", "two");
    State after = kit.restart().state();
    assertEquals(2, after.messages().size());
    assertEquals(3, append("alpha/api", "three").getValue().seq());
  }

  @Test
  void openingAThreadStoresItsFirstMessageAndAnswersGoBackToTheWritingSession() {
    var opened =
        kit.<StatusReply<ChatThread.Posted>>runCommand(
            r ->
                new ChatThread.Open(
                    "m-20261121-abc123", "alpha/api", "s-one", "beta/web", "ping", r));
    assertEquals(2, opened.events().size());
    ChatThread.Posted first = opened.reply().getValue();
    assertEquals(1, first.message().seq());
    assertEquals(List.of(new ChatThread.Recipient("beta/web", null)), first.recipients());

    var answer =
        kit.<StatusReply<ChatThread.Posted>>runCommand(
                r -> new ChatThread.Append("beta/web", "s-two", "pong", r))
            .reply()
            .getValue();
    assertEquals(List.of(new ChatThread.Recipient("alpha/api", "s-one")), answer.recipients());
    var next =
        kit.<StatusReply<ChatThread.Posted>>runCommand(
                r -> new ChatThread.Append("alpha/api", "s-one", "thanks", r))
            .reply()
            .getValue();
    assertEquals(List.of(new ChatThread.Recipient("beta/web", "s-two")), next.recipients());
  }

  @Test
  void aDeniedMessageIsMarkedOnceAndNeverReleasedAfterwards() {
    kit.<StatusReply<ChatThread.Posted>>runCommand(
        r -> new ChatThread.Open("m-20261121-abc123", "alpha/api", "s-one", "beta/web", "ping", r));
    var denied =
        kit.<StatusReply<ChatThread.Posted>>runCommand(
            r -> new ChatThread.Release(1, false, "alice", "not now", r));
    assertEquals("not now", denied.reply().getValue().message().denied());
    assertEquals(1, denied.events().size());
    var again =
        kit.<StatusReply<ChatThread.Posted>>runCommand(
            r -> new ChatThread.Release(1, true, "bob", null, r));
    assertTrue(again.hasNoEvents());
    assertEquals("not now", again.reply().getValue().message().denied());
    assertEquals("not now", kit.restart().state().messages().get(0).denied());
    var missing =
        kit.<StatusReply<ChatThread.Posted>>runCommand(
            r -> new ChatThread.Release(7, true, "bob", null, r));
    assertEquals("thread " + ID + " has no message 7", missing.reply().getError().getMessage());
  }

  @Test
  void idsHaveTheDocumentedShape() {
    assertTrue(Ids.isThreadId(ChatThread.newId()));
    assertTrue(!Ids.isThreadId("t-XYZ") && !Ids.isThreadId("t-0a1b2c3d/.."));
  }

  private ChatThread.Receipt receiptOf(long seq, String agent) {
    return kit.getState().message(seq).orElseThrow().receiptOf(agent).orElseThrow();
  }

  private boolean advance(long seq, String agent, DeliveryState state, String hookEvent) {
    return !kit.<StatusReply<Done>>runCommand(
            r -> new ChatThread.Advance(seq, agent, state, "s-b", hookEvent, r))
        .hasNoEvents();
  }

  @Test
  void receiptsOnlyMoveForwardAndSurviveARestart() {
    create();
    append("alpha/api", "ping");
    assertEquals(DeliveryState.PENDING_APPROVAL, receiptOf(1, "beta/web").state());
    assertTrue(kit.getState().message(1).orElseThrow().receiptOf("alpha/api").isEmpty());

    assertTrue(advance(1, "beta/web", DeliveryState.IN_INBOX, null));
    assertTrue(advance(1, "beta/web", DeliveryState.INJECTED, "PostToolUse"));
    assertFalse(advance(1, "beta/web", DeliveryState.IN_INBOX, null), "never backwards");
    assertFalse(advance(1, "beta/web", DeliveryState.INJECTED, "Stop"), "injected once");
    assertFalse(advance(1, "alpha/api", DeliveryState.READ, null), "the author has no receipt");
    assertFalse(advance(9, "beta/web", DeliveryState.READ, null), "no such message");
    assertTrue(advance(1, "beta/web", DeliveryState.READ, null));

    ChatThread.Receipt read =
        kit.restart().state().message(1).orElseThrow().receiptOf("beta/web").orElseThrow();
    assertEquals(DeliveryState.READ, read.state());
    assertEquals("PostToolUse", read.hookEvent(), "which hook injected it stays known");
    assertEquals("s-b", read.session());
  }

  @Test
  void anAnswerReadsWhatItsAuthorHadReceived() {
    create();
    append("alpha/api", "one");
    append("alpha/api", "two");
    append("beta/web", "both answered");
    assertEquals(DeliveryState.READ, receiptOf(1, "beta/web").state());
    assertEquals(DeliveryState.READ, receiptOf(2, "beta/web").state());
    assertEquals(DeliveryState.PENDING_APPROVAL, receiptOf(3, "alpha/api").state());
  }
}
