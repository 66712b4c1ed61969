package ai.intercom.mission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.mission.ChatThread.Message;
import ai.intercom.mission.ChatThread.State;
import ai.intercom.testing.EntityTestBase;
import java.util.List;
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
    return kit.<StatusReply<Message>>runCommand(r -> new ChatThread.Append(from, text, r)).reply();
  }

  @Test
  void participantsExchangeMessagesInOrder() {
    create();
    Message first = append("alpha/api", "is the schema migrated?").getValue();
    Message second = append("beta/web", "yes, since v12").getValue();
    assertEquals(1, first.seq());
    assertEquals(2, second.seq());

    State state = kit.<StatusReply<State>>runCommand(ChatThread.Get::new).reply().getValue();
    assertEquals(List.of("is the schema migrated?", "yes, since v12"), state.messages().stream().map(Message::text).toList());
    assertEquals("m-20261121-abc123", state.missionId());
    assertEquals(List.of("beta/web"), state.othersThan("alpha/api"));
  }

  @Test
  void aStrangerCannotWriteIntoTheThread() {
    create();
    var result = kit.<StatusReply<Message>>runCommand(r -> new ChatThread.Append("gamma/ops", "hi", r));
    assertTrue(result.reply().isError());
    assertEquals("gamma/ops is not a participant of thread " + ID, result.reply().getError().getMessage());
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
    var alone = kit.<StatusReply<State>>runCommand(
        r -> new ChatThread.Create("m-20261121-abc123", List.of("alpha/api", "alpha/api"), r));
    assertTrue(alone.reply().isError());
    assertTrue(alone.hasNoEvents());
    create();
    var twice = kit.<StatusReply<State>>runCommand(
        r -> new ChatThread.Create("m-20261121-abc123", List.of("a/b", "c/d"), r));
    assertTrue(twice.reply().isError());
  }

  @Test
  void unknownThreadRefusesAppends() {
    var result = kit.<StatusReply<Message>>runCommand(r -> new ChatThread.Append("alpha/api", "hi", r));
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
  void idsHaveTheDocumentedShape() {
    assertTrue(ChatThread.isValidId(ChatThread.newId()));
    assertTrue(!ChatThread.isValidId("t-XYZ") && !ChatThread.isValidId("t-0a1b2c3d/.."));
  }
}
