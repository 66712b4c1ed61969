package ai.intercom.testing;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * One entity under test: an actor test kit per test class (in-memory journal, the product's
 * serialization, checked for every command, event and state) and an empty journal before each test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class EntityTestBase<C, E, S> {

  private final ActorTestKit testKit = EntityTestKits.create();
  protected final EventSourcedBehaviorTestKit<C, E, S> kit;

  protected EntityTestBase(Behavior<C> entity) {
    this.kit = EventSourcedBehaviorTestKit.create(testKit.system(), entity);
  }

  @BeforeEach
  void emptyJournal() {
    kit.clear();
  }

  @AfterAll
  void shutdownTestKit() {
    testKit.shutdownTestKit();
  }
}
