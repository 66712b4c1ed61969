package ai.intercom.persistence;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Creates the pekko-persistence-jdbc tables in a PostgreSQL database, as the plugin's own Postgres
 * schema has them, but each statement safe to run again (several hubs start against one database).
 */
public final class PostgresJournalSchema {

  private static final List<String> STATEMENTS =
      List.of(
          """
          CREATE TABLE IF NOT EXISTS event_journal (
            ordering BIGSERIAL,
            persistence_id VARCHAR(255) NOT NULL,
            sequence_number BIGINT NOT NULL,
            deleted BOOLEAN DEFAULT FALSE NOT NULL,
            writer VARCHAR(255) NOT NULL,
            write_timestamp BIGINT,
            adapter_manifest VARCHAR(255),
            event_ser_id INTEGER NOT NULL,
            event_ser_manifest VARCHAR(255) NOT NULL,
            event_payload BYTEA NOT NULL,
            meta_ser_id INTEGER,
            meta_ser_manifest VARCHAR(255),
            meta_payload BYTEA,
            PRIMARY KEY (persistence_id, sequence_number))
          """,
          "CREATE UNIQUE INDEX IF NOT EXISTS event_journal_ordering_idx ON event_journal (ordering)",
          """
          CREATE TABLE IF NOT EXISTS event_tag (
            event_id BIGINT,
            tag VARCHAR(256),
            PRIMARY KEY (event_id, tag),
            CONSTRAINT fk_event_journal FOREIGN KEY (event_id)
              REFERENCES event_journal (ordering) ON DELETE CASCADE)
          """,
          """
          CREATE TABLE IF NOT EXISTS snapshot (
            persistence_id VARCHAR(255) NOT NULL,
            sequence_number BIGINT NOT NULL,
            created BIGINT NOT NULL,
            snapshot_ser_id INTEGER NOT NULL,
            snapshot_ser_manifest VARCHAR(255) NOT NULL,
            snapshot_payload BYTEA NOT NULL,
            meta_ser_id INTEGER,
            meta_ser_manifest VARCHAR(255),
            meta_payload BYTEA,
            PRIMARY KEY (persistence_id, sequence_number))
          """);

  private PostgresJournalSchema() {}

  public static void ensure(String url, String user, String password) throws SQLException {
    try (Connection connection = DriverManager.getConnection(url, user, password);
        Statement statement = connection.createStatement()) {
      // two hubs starting at once: one creates, the other waits for it
      statement.execute("SELECT pg_advisory_lock(7701)");
      try {
        for (String sql : STATEMENTS) {
          statement.execute(sql);
        }
      } finally {
        statement.execute("SELECT pg_advisory_unlock(7701)");
      }
    }
  }
}
