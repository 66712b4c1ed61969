package ai.intercom.directory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.app.Node;
import ai.intercom.testing.ApiClient;
import ai.intercom.testing.ApiClient.Answer;
import ai.intercom.testing.Await;
import ai.intercom.testing.NodeProcess;
import ai.intercom.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The directory on a real node: discovered and registered projects, online sessions, profiles and
 * feedback that survive a restart, and the operator's tables as real CLI processes.
 */
class DirectoryTest {

  static final String MACHINE = "test-standalone";
  static final long SELF = ProcessHandle.current().pid();

  @TempDir Path home;

  private Node start(Path scan) {
    return TestNodes.start(home, "standalone", Map.of("INTERCOM_SCAN_PATHS", scan.toString()));
  }

  private List<String> cli(int port, String... args) throws Exception {
    try (NodeProcess process =
        NodeProcess.start(
            Map.of("INTERCOM_HOME", home.toString(), "INTERCOM_HTTP_PORT", String.valueOf(port)),
            args)) {
      assertEquals(0, process.awaitExit(30), String.join("\n", process.stderr()));
      return process.stdout();
    }
  }

  private static JsonNode agent(ApiClient api, String filter, String id) {
    for (JsonNode agent : api.get("/api/agents?filter=" + filter).json().path("agents")) {
      if (agent.path("agent").asText().equals(id)) {
        return agent;
      }
    }
    return null;
  }

  @Test
  void projectsFoundOrRegisteredAreListedWithTheirSessionsAndProfilesSurviveARestart()
      throws Exception {
    Path scan = Files.createDirectories(home.resolve("src"));
    Files.createDirectories(scan.resolve("billing/.git"));
    Files.writeString(
        Files.createDirectories(scan.resolve("webshop")).resolve("CLAUDE.md"),
        "# Shop\nThe web shop.\n");
    Files.createDirectories(scan.resolve("node_modules/left-pad/.git"));
    Node node = start(scan);
    try {
      ApiClient api = new ApiClient(node, home);
      // the registry has the profile once the machine registered its discoveries
      Await.until(
          () ->
              agent(api, "all", MACHINE + "/webshop") != null
                  && agent(api, "all", MACHINE + "/webshop")
                      .path("description")
                      .asText()
                      .equals("The web shop."));
      assertEquals(null, agent(api, "all", MACHINE + "/left-pad"), "node_modules is not searched");

      assertEquals(200, api.register("s-bill", "billing", SELF).status());
      JsonNode billing = agent(api, "online", MACHINE + "/billing");
      assertTrue(billing != null, api.get("/api/agents?filter=online").toString());
      assertTrue(billing.path("online").asBoolean());
      assertEquals("s-bill", billing.path("sessions").get(0).path("session_id").asText());
      assertEquals(
          0, agent(api, "machine:" + MACHINE, MACHINE + "/webshop").path("sessions").size());
      assertEquals(null, agent(api, "machine:elsewhere", MACHINE + "/billing"));
      assertEquals(400, api.get("/api/agents?filter=everything").status());

      Answer registered =
          api.post(
              "/api/register",
              Map.of(
                  "session_id",
                  "s-bill",
                  "description",
                  "Invoices and payments",
                  "capabilities",
                  List.of("refunds"),
                  "tags",
                  List.of("java")));
      assertEquals("registered", registered.text("status"), registered.toString());
      Answer reported =
          api.post(
              "/api/feedback",
              Map.of(
                  "session_id",
                  "s-bill",
                  "feedback_type",
                  "bug",
                  "description",
                  "intercom_history cuts long messages"));
      assertEquals("recorded", reported.text("status"), reported.toString());
      assertEquals(
          400,
          api.post(
                  "/api/feedback",
                  Map.of("session_id", "s-bill", "feedback_type", "rant", "description", "x"))
              .status());
    } finally {
      TestNodes.stop(node);
    }

    node = start(scan);
    try {
      ApiClient api = new ApiClient(node, home);
      Await.until(
          () ->
              agent(api, "all", MACHINE + "/billing") != null
                  && !agent(api, "all", MACHINE + "/billing")
                      .path("description")
                      .asText()
                      .isEmpty());
      JsonNode billing = agent(api, "all", MACHINE + "/billing");
      assertEquals("Invoices and payments", billing.path("description").asText());
      assertEquals("[\"refunds\"]", billing.path("capabilities").toString());
      assertEquals(0, billing.path("sessions").size(), "sessions do not outlive the node");

      String agents = String.join("\n", cli(api.port(), "agents"));
      assertTrue(
          agents.contains(MACHINE + "/billing") && agents.contains("Invoices and payments"),
          agents);
      String feedback = String.join("\n", cli(api.port(), "feedback"));
      assertTrue(
          feedback.contains("bug") && feedback.contains("intercom_history cuts long messages"),
          feedback);
      String machines = String.join("\n", cli(api.port(), "machines"));
      assertTrue(machines.contains(MACHINE) && machines.contains("yes"), machines);
    } finally {
      TestNodes.stop(node);
    }
  }

  @Test
  void theMissionsTableShowsChatsNewestFirst() throws Exception {
    Files.writeString(home.resolve("policies.yml"), "defaults:\n  require_approval: never\n");
    Node node = start(Files.createDirectories(home.resolve("src")));
    try {
      ApiClient api = new ApiClient(node, home);
      api.register("s-a", "alpha", SELF);
      api.register("s-b", "beta", SELF);
      api.chat("s-a", MACHINE + "/beta", "first question");
      api.chat("s-b", MACHINE + "/alpha", "second question");
      List<String> table = cli(api.port(), "missions", "--limit", "5");
      assertEquals(3, table.size(), String.join("\n", table));
      assertTrue(table.get(0).startsWith("MISSION"));
      assertTrue(
          table.get(1).contains("second question") && table.get(1).contains("running"),
          table.get(1));
      assertTrue(table.get(2).contains(MACHINE + "/alpha -> " + MACHINE + "/beta"), table.get(2));
    } finally {
      TestNodes.stop(node);
    }
  }
}
