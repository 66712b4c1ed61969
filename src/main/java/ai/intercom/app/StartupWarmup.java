package ai.intercom.app;

import ai.intercom.protocol.NodeRole;
import org.slf4j.LoggerFactory;

/**
 * Uses the second core during a node's start: sets up logging, loads the SQLite native library and
 * the HTTP server's classes while the main thread reads the configuration and starts the actor
 * system. A warm-up only: failures are ignored.
 */
final class StartupWarmup {

  private static final String[] CLASSES = {
    "org.apache.pekko.http.javadsl.server.AllDirectives",
    "org.apache.pekko.http.scaladsl.server.Directives$",
    "org.apache.pekko.http.scaladsl.model.HttpResponse",
    "org.apache.pekko.http.scaladsl.server.RejectionHandler$",
    "org.apache.pekko.http.impl.engine.server.HttpServerBluePrint$",
    "org.apache.pekko.http.impl.engine.parsing.HttpRequestParser",
    "org.apache.pekko.http.impl.engine.rendering.HttpResponseRendererFactory",
    "org.apache.pekko.http.scaladsl.settings.ServerSettings$",
    "com.fasterxml.jackson.databind.ObjectMapper",
  };

  private StartupWarmup() {}

  static void start(NodeRole role) {
    Thread thread = new Thread(() -> warm(role), "intercom-warmup");
    thread.setDaemon(true);
    thread.start();
  }

  private static void warm(NodeRole role) {
    try {
      LoggerFactory.getILoggerFactory();
      if (role.hostsEntities()) {
        org.sqlite.SQLiteJDBCLoader.initialize();
      }
      for (String name : CLASSES) {
        Class.forName(name, true, StartupWarmup.class.getClassLoader());
      }
    } catch (Exception | LinkageError e) {
      // the main thread loads whatever is missing, a little later
    }
  }
}
