package ai.intercom.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/**
 * An actor test kit for event-sourced entities: in-memory journal, the product's JSON
 * serialization.
 */
public final class EntityTestKits {

  private EntityTestKits() {}

  public static Config config() {
    return EventSourcedBehaviorTestKit.config()
        .withFallback(ConfigFactory.parseResources("serialization.conf"))
        .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"));
  }

  public static ActorTestKit create() {
    return ActorTestKit.create(config());
  }
}
