package ai.intercom.persistence;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Creates the pekko-persistence-jdbc tables in the SQLite journal file. The upstream schemas do not
 * fit SQLite ({@code AUTOINCREMENT} needs an {@code INTEGER PRIMARY KEY}), so the journal is keyed
 * by {@code ordering} with a unique index on (persistence_id, sequence_number).
 */
public final class SqliteJournalSchema {

  private static final List<String> STATEMENTS =
      List.of(
          """
          CREATE TABLE IF NOT EXISTS event_journal (
            ordering INTEGER PRIMARY KEY AUTOINCREMENT,
            deleted BOOLEAN DEFAULT 0 NOT NULL,
            persistence_id VARCHAR(255) NOT NULL,
            sequence_number BIGINT NOT NULL,
            writer TEXT NOT NULL,
            write_timestamp BIGINT NOT NULL,
            adapter_manifest TEXT NOT NULL,
            event_payload BLOB NOT NULL,
            event_ser_id INTEGER NOT NULL,
            event_ser_manifest TEXT NOT NULL,
            meta_payload BLOB,
            meta_ser_id INTEGER,
            meta_ser_manifest TEXT)
          """,
          """
          CREATE UNIQUE INDEX IF NOT EXISTS event_journal_pid_seq_idx
            ON event_journal (persistence_id, sequence_number)
          """,
          """
          CREATE TABLE IF NOT EXISTS event_tag (
            event_id BIGINT NOT NULL,
            tag TEXT NOT NULL,
            PRIMARY KEY (event_id, tag),
            FOREIGN KEY (event_id) REFERENCES event_journal (ordering) ON DELETE CASCADE)
          """,
          """
          CREATE TABLE IF NOT EXISTS snapshot (
            persistence_id VARCHAR(255) NOT NULL,
            sequence_number BIGINT NOT NULL,
            created BIGINT NOT NULL,
            snapshot_ser_id INTEGER NOT NULL,
            snapshot_ser_manifest TEXT NOT NULL,
            snapshot_payload BLOB NOT NULL,
            meta_ser_id INTEGER,
            meta_ser_manifest TEXT,
            meta_payload BLOB,
            PRIMARY KEY (persistence_id, sequence_number))
          """);

  private SqliteJournalSchema() {}

  /** Creates whatever tables are missing; existing data is kept. */
  public static void ensure(Path databaseFile) throws SQLException {
    try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + databaseFile);
        Statement statement = connection.createStatement()) {
      statement.execute("PRAGMA journal_mode=WAL");
      for (String sql : STATEMENTS) {
        statement.execute(sql);
      }
    }
  }
}
