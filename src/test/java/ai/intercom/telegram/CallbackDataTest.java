package ai.intercom.telegram;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.approval.GrantLevel;
import ai.intercom.telegram.CallbackData.Approve;
import ai.intercom.telegram.CallbackData.Button;
import ai.intercom.telegram.CallbackData.Deny;
import ai.intercom.telegram.CallbackData.Join;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CallbackDataTest {

  private static final long SEED = 20240611L;

  private static final String LONGEST_APPROVAL_ID = "a-" + "f".repeat(32);
  private static final String LONGEST_MACHINE_ID = "m" + "a._-9".repeat(10) + "zzz";

  @Test
  void payloadsHaveTheDocumentedForm() {
    assertEquals("a:a-3f9c1e:once", new Approve("a-3f9c1e", GrantLevel.ONCE).encode());
    assertEquals("a:a-3f9c1e:mission", new Approve("a-3f9c1e", GrantLevel.MISSION).encode());
    assertEquals("d:a-3f9c1e", new Deny("a-3f9c1e").encode());
    assertEquals("j:laptop-1:approve", new Join("laptop-1", true).encode());
    assertEquals("j:laptop-1:deny", new Join("laptop-1", false).encode());
  }

  @Test
  void everyPayloadFitsTelegramsLimitAndRoundTrips() {
    assertEquals(CallbackData.MAX_MACHINE_ID_CHARS, LONGEST_MACHINE_ID.length());
    List<CallbackData> all = new ArrayList<>();
    for (String id : List.of("a-3f9c1e", LONGEST_APPROVAL_ID)) {
      for (GrantLevel level : GrantLevel.values()) {
        all.add(new Approve(id, level));
      }
      all.add(new Deny(id));
    }
    for (String machine : List.of("x", "laptop.home_1", LONGEST_MACHINE_ID)) {
      all.add(new Join(machine, true));
      all.add(new Join(machine, false));
    }
    for (CallbackData data : all) {
      String encoded = data.encode();
      assertTrue(
          encoded.getBytes(StandardCharsets.UTF_8).length <= CallbackData.MAX_BYTES, encoded);
      assertEquals(Optional.of(data), CallbackData.decode(encoded));
    }
  }

  @Test
  void aMachineIdTooLongForAJoinButtonIsRefused() {
    String tooLong = LONGEST_MACHINE_ID + "x";
    assertThrows(IllegalArgumentException.class, () -> new Join(tooLong, true));
    assertThrows(IllegalArgumentException.class, () -> CallbackData.joinButtons("a".repeat(63)));
    assertEquals(Optional.empty(), CallbackData.decode("j:" + "a".repeat(55) + ":deny"));
    assertTrue(CallbackData.isJoinableMachineId(LONGEST_MACHINE_ID));
  }

  @Test
  void idsOfTheWrongFormAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Deny("a-3F9C1E"));
    assertThrows(IllegalArgumentException.class, () -> new Deny("m-3f9c1e"));
    assertThrows(IllegalArgumentException.class, () -> new Approve("a-3f9c1e", null));
    assertThrows(IllegalArgumentException.class, () -> new Join("-laptop", true));
    assertThrows(IllegalArgumentException.class, () -> CallbackData.approvalButtons(null, false));
  }

  @Test
  void garbageDecodesToNothing() {
    List<String> garbage =
        List.of(
            "",
            "a",
            "a:",
            "a::once",
            "a:a-3f9c1e",
            "a:a-3f9c1e:",
            "a:a-3f9c1e:forever",
            "a:a-3f9c1e:ONCE",
            "a:a-3f9c1e:once:",
            "a:a-3f9c1e:once\n",
            " a:a-3f9c1e:once",
            "a:A-3F9C1E:once",
            "a:a-3f9c:once",
            "a:a-3f9c1g:once",
            "a:" + LONGEST_APPROVAL_ID + "0:once",
            "d:",
            "d:a-3f9c1e:once",
            "d:a-3f9c1e ",
            "x:a-3f9c1e",
            "A:a-3f9c1e:once",
            "j:laptop",
            "j:laptop:maybe",
            "j:laptop:Approve",
            "j::approve",
            "j:-laptop:approve",
            "j:lap top:approve",
            "j:lap/top:approve",
            "j:laptöp:approve",
            "j:laptop:approve:x",
            "😀:a-3f9c1e",
            "a:a-3f9c1e:once".repeat(5),
            "\uD800");
    for (String data : garbage) {
      assertEquals(Optional.empty(), CallbackData.decode(data), data);
    }
    assertEquals(Optional.empty(), CallbackData.decode(null));
  }

  @Test
  void randomAndMutatedPayloadsNeverThrowAndOnlyDecodeToWhatTheyEncode() {
    Random random = new Random(SEED);
    String alphabet = "ad j:-_.x0123456789abcdefABCDEF😀\u0000\uD800:";
    List<String> valid =
        List.of("a:a-3f9c1e:session", "d:a-3f9c1e", "j:laptop:approve", "j:laptop:deny");
    int decoded = 0;
    for (int round = 0; round < 20_000; round++) {
      StringBuilder data = new StringBuilder();
      if (random.nextBoolean()) {
        data.append(valid.get(random.nextInt(valid.size())));
        int edits = 1 + random.nextInt(3);
        for (int i = 0; i < edits && data.length() > 0; i++) {
          int at = random.nextInt(data.length());
          char c = alphabet.charAt(random.nextInt(alphabet.length()));
          switch (random.nextInt(3)) {
            case 0 -> data.setCharAt(at, c);
            case 1 -> data.insert(at, c);
            default -> data.deleteCharAt(at);
          }
        }
      } else {
        int length = random.nextInt(80);
        for (int i = 0; i < length; i++) {
          data.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
      }
      String text = data.toString();
      Optional<CallbackData> result = CallbackData.decode(text);
      if (result.isPresent()) {
        decoded++;
        assertEquals(text, result.get().encode());
      }
    }
    assertTrue(decoded > 0, "some mutations are still valid payloads");
  }

  @Test
  void heldMessagesGetFiveButtonsAndPermissionPromptsThree() {
    List<List<Button>> held = CallbackData.approvalButtons("a-3f9c1e", false);
    assertEquals(
        List.of(List.of("Once", "This mission", "This session"), List.of("Always", "Deny")),
        labels(held));
    assertEquals(
        List.of(
            List.of("a:a-3f9c1e:once", "a:a-3f9c1e:mission", "a:a-3f9c1e:session"),
            List.of("a:a-3f9c1e:always", "d:a-3f9c1e")),
        payloads(held));

    List<List<Button>> permission = CallbackData.approvalButtons("a-3f9c1e", true);
    assertEquals(
        List.of(List.of("Allow", "Allow for this mission"), List.of("Deny")), labels(permission));
    assertEquals(
        List.of(List.of("a:a-3f9c1e:once", "a:a-3f9c1e:mission"), List.of("d:a-3f9c1e")),
        payloads(permission));

    assertEquals(
        List.of(List.of("j:laptop:approve", "j:laptop:deny")),
        payloads(CallbackData.joinButtons("laptop")));
    for (List<List<Button>> rows :
        List.of(held, permission, CallbackData.joinButtons(LONGEST_MACHINE_ID))) {
      rows.forEach(row -> assertTrue(row.size() <= 3));
    }
  }

  private static List<List<String>> labels(List<List<Button>> rows) {
    return rows.stream().map(row -> row.stream().map(Button::label).toList()).toList();
  }

  private static List<List<String>> payloads(List<List<Button>> rows) {
    return rows.stream().map(row -> row.stream().map(b -> b.data().encode()).toList()).toList();
  }
}
