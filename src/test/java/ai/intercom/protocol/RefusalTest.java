package ai.intercom.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.testing.EntityTestKits;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class RefusalTest {

  // the product's serialization bindings, Java serialization off
  private static final ActorTestKit kit = EntityTestKits.create();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @Test
  void aRefusalCrossesTheWireWithItsCodeAndSentence() throws Exception {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
    StatusReply<Object> reply = StatusReply.error(Refusal.notFound("no mission m-20261202-000001"));
    var serializer = serialization.findSerializerFor(reply);
    byte[] bytes = serialization.serialize(reply).get();
    Object back =
        serialization
            .deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, reply))
            .get();
    Refusal refusal = assertInstanceOf(Refusal.class, ((StatusReply<?>) back).getError());
    assertEquals(Refusal.Code.NOT_FOUND, refusal.code());
    assertEquals("no mission m-20261202-000001", refusal.reason());
    assertEquals("no mission m-20261202-000001", refusal.getMessage());
  }

  @Test
  void aStageFailedByARefusalIsToldApartByItsCode() {
    CompletableFuture<Object> failed =
        CompletableFuture.failedFuture(new CompletionException(Refusal.conflict("decided")));
    Throwable failure = failed.handle((ok, error) -> error).join();
    assertTrue(Refusal.is(failure, Refusal.Code.CONFLICT));
    assertEquals("decided", Refusal.sentence(failure));
    assertEquals(
        "boom",
        Refusal.sentence(new CompletionException(new RuntimeException(new Exception("boom")))));
  }
}
