package ai.intercom.mission;

import ai.intercom.approval.ApprovalGate;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Ends mission grants with their missions: follows the missions' events in the journal and tells
 * the gate about every mission that finished. Replays from the start at each hub start, so a
 * mission that ended while the gate was away is not missed (ending a grant twice changes nothing).
 */
public final class MissionEnds {

  private MissionEnds() {}

  public static void follow(ActorSystem<?> system, ActorRef<ApprovalGate.Command> gate) {
    JdbcReadJournal journal =
        PersistenceQuery.get(system)
            .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    RestartSource.withBackoff(
            RestartSettings.create(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2),
            () -> journal.eventsByTag(Mission.TAG, Offset.noOffset()))
        .filter(MissionEnds::isEnd)
        .map(envelope -> envelope.persistenceId().substring(Mission.ENTITY_KEY.name().length() + 1))
        .runWith(
            Sink.foreach(missionId -> gate.tell(new ApprovalGate.EndMission(missionId))), system);
  }

  private static boolean isEnd(EventEnvelope envelope) {
    Object event = envelope.event();
    return event instanceof Mission.Completed
        || event instanceof Mission.Failed
        || event instanceof Mission.Interrupted
        || event instanceof Mission.Stopped
        || event instanceof Mission.Denied;
  }
}
