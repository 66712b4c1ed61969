package ai.intercom.persistence;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Questions about the journal that no entity answers: which entities of a type were written to most
 * recently (for the operator's missions table). Blocking JDBC on its own read connection: call it
 * off the actors' threads.
 */
public final class JournalIndex {

  private final String url;
  private final String user;
  private final String password;

  /** The journal at JDBC {@code url}; {@code user} empty: no credentials (SQLite). */
  public JournalIndex(String url, String user, String password) {
    this.url = url;
    this.user = user;
    this.password = password;
  }

  private Connection connect() throws SQLException {
    return user == null || user.isEmpty()
        ? DriverManager.getConnection(url)
        : DriverManager.getConnection(url, user, password);
  }

  /** Ids of the entities of {@code entityType} with the latest writes, newest first. */
  public List<String> recentlyWritten(String entityType, int limit) throws SQLException {
    String prefix = entityType + "|";
    try (Connection connection = connect();
        PreparedStatement query =
            connection.prepareStatement(
                "SELECT persistence_id FROM event_journal WHERE persistence_id >= ? AND persistence_id < ?"
                    + " GROUP BY persistence_id ORDER BY MAX(ordering) DESC LIMIT ?")) {
      query.setString(1, prefix);
      query.setString(2, entityType + "}");
      query.setInt(3, limit);
      List<String> ids = new ArrayList<>();
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          ids.add(rows.getString(1).substring(prefix.length()));
        }
      }
      return ids;
    }
  }
}
