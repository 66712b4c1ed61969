package ai.intercom.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.intercom.registry.Machine.JoinStatus;
import ai.intercom.registry.Machine.State;
import ai.intercom.testing.EntityTestBase;
import java.util.List;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;

class MachineTest extends EntityTestBase<Machine.Command, Machine.Event, State> {

  MachineTest() {
    super(Machine.create("alpha"));
  }

  private static Project project(String name, String path) {
    return new Project(name, path, "", List.of(), List.of());
  }

  private StatusReply<State> register(List<Project> projects) {
    return kit.<StatusReply<State>>runCommand(
            r -> new Machine.Register("Alpha box", "dev laptop", projects, r))
        .reply();
  }

  @Test
  void registrationMakesAMemberWithItsProjectsAndLastSeen() {
    State state =
        register(List.of(project("api", "/src/api"), project("web", "/src/web"))).getValue();
    assertEquals(JoinStatus.APPROVED, state.joinStatus());
    assertEquals("Alpha box", state.displayName());
    assertEquals(2, state.projects().size());
    assertEquals("/src/api", state.projects().get("api").path());
    assertNotNull(state.lastSeen());
  }

  @Test
  void aProfileSetByTheAgentSurvivesTheNextDiscovery() {
    register(List.of(project("api", "/src/api")));
    kit.<StatusReply<State>>runCommand(
        r ->
            new Machine.UpdateProject(
                "api", "REST backend", List.of("python", "sql"), List.of("backend"), r));
    kit.<StatusReply<State>>runCommand(
        r -> new Machine.UpdateProject("scratch", "notes", null, null, r));
    State state = register(List.of(project("api", "/src/api2"))).getValue();
    Project api = state.projects().get("api");
    assertEquals("/src/api2", api.path());
    assertEquals("REST backend", api.description());
    assertEquals(List.of("python", "sql"), api.capabilities());
    assertEquals(List.of("backend"), api.tags());
    assertEquals("notes", state.projects().get("scratch").description());
  }

  @Test
  void joinRequestIsDecidedOnce() {
    State pending =
        kit.<StatusReply<State>>runCommand(
                r -> new Machine.RequestJoin("Alpha", "", "csr", "claim", r))
            .reply()
            .getValue();
    assertEquals(JoinStatus.PENDING, pending.joinStatus());
    assertTrue(
        kit.<StatusReply<State>>runCommand(
                r -> new Machine.RequestJoin("Alpha", "", "csr", "claim", r))
            .hasNoEvents());
    State approved =
        kit.<StatusReply<State>>runCommand(
                r -> new Machine.ApproveJoin("sha256:abc", "cert", "1f", r))
            .reply()
            .getValue();
    assertEquals(JoinStatus.APPROVED, approved.joinStatus());
    assertEquals("sha256:abc", approved.tokenHash());
    assertEquals("1f", approved.serial());
    assertEquals("csr", approved.admission().certificateRequest());
    var late = kit.<StatusReply<State>>runCommand(r -> new Machine.DenyJoin("too late", r));
    assertTrue(late.reply().isError());
    assertTrue(late.hasNoEvents());
  }

  @Test
  void deniedOrRevokedMachineCannotRegister() {
    kit.<StatusReply<State>>runCommand(
        r -> new Machine.RequestJoin("Alpha", "", "csr", "claim", r));
    kit.<StatusReply<State>>runCommand(r -> new Machine.DenyJoin("unknown box", r));
    var denied =
        kit.<StatusReply<State>>runCommand(r -> new Machine.Register("x", "", List.of(), r));
    assertTrue(denied.reply().isError());
    assertEquals(
        "machine alpha is denied: cannot register", denied.reply().getError().getMessage());

    kit.clear();
    register(List.of());
    State revoked =
        kit.<StatusReply<State>>runCommand(r -> new Machine.Revoke("laptop stolen", r))
            .reply()
            .getValue();
    assertEquals(JoinStatus.REVOKED, revoked.joinStatus());
    assertEquals(null, revoked.tokenHash());
    assertTrue(register(List.of()).isError());
  }

  @Test
  void heartbeatsPersistLastSeenSparingly() {
    register(List.of());
    var touch = kit.<StatusReply<State>>runCommand(Machine.Touch::new);
    assertTrue(touch.hasNoEvents(), "a heartbeat right after registration changes nothing");
    assertTrue(touch.reply().isSuccess());
  }

  @Test
  void unknownMachineIsReportedAsSuch() {
    assertEquals(
        "no machine alpha",
        kit.<StatusReply<State>>runCommand(Machine.Get::new).reply().getError().getMessage());
    assertTrue(kit.<StatusReply<State>>runCommand(Machine.Touch::new).reply().isError());
  }

  @Test
  void stateSurvivesARestart() {
    register(List.of(project("api", "/src/api")));
    kit.<StatusReply<State>>runCommand(
        r -> new Machine.UpdateProject("api", "REST backend", null, null, r));
    State before = kit.<StatusReply<State>>runCommand(Machine.Get::new).reply().getValue();
    assertEquals(before, kit.restart().state());
  }
}
