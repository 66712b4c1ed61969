package ai.intercom.mission;

import ai.intercom.approval.ApprovalGate;
import ai.intercom.approval.ApprovalRequest;
import ai.intercom.protocol.AgentId;
import ai.intercom.protocol.MissionStatus;
import ai.intercom.protocol.Refusal;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * Missions that start an agent ({@code intercom_ask}, {@code intercom_start_agent}, Telegram's
 * {@code /start_agent}): the mission is written, passes the approval gate, and the target machine's
 * agent supervisor runs it. Also their follow-ups (more work in the same agent conversation) and
 * stops.
 */
public final class Launches {

  private final Router router;
  private final Courier courier;

  Launches(Router router, Courier courier) {
    this.router = router;
    this.courier = courier;
  }

  /**
   * A new mission for {@code to}'s agent. {@code agentCommand}: the name of one of the target
   * machine's commands (null: the project's or the default one); {@code notifyAfterSeconds}: past
   * this the requester gets the result in its inbox.
   */
  public CompletionStage<Router.Outcome> start(
      Router.Sender from,
      String to,
      Mission.Kind kind,
      String prompt,
      String agentCommand,
      long notifyAfterSeconds) {
    AgentId target;
    try {
      target = AgentId.parse(to);
      router.checkText(prompt);
      checkCommand(agentCommand);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(Refusal.invalid(e.getMessage()));
    }
    if (target.isHuman()) {
      return CompletableFuture.failedFuture(
          Refusal.invalid("an agent runs on a machine: address machine/project, not 'human'"));
    }
    String request = agentCommand == null ? prompt : prompt + "\n[agent: " + agentCommand + "]";
    Mission.Launch launch = new Mission.Launch(from.sessionId(), agentCommand, notifyAfterSeconds);
    return router
        .accepts(target)
        .thenCompose(ok -> router.nextMissionId())
        .thenCompose(
            missionId ->
                router
                    .submit(
                        new ApprovalRequest(
                            from.agent(), to, kind.messageType(), missionId, request))
                    .thenCompose(
                        admission -> {
                          if (admission instanceof ApprovalGate.Refused refused) {
                            throw Refusal.invalid(
                                "the approval gate refused the mission: " + refused.reason());
                          }
                          String passedBy =
                              admission instanceof ApprovalGate.Passed passed
                                  ? "policy: " + passed.reason()
                                  : null;
                          return mission(missionId)
                              .<Mission.Summary>askWithStatus(
                                  r ->
                                      new Mission.Create(
                                          from.agent(),
                                          to,
                                          kind,
                                          prompt,
                                          null,
                                          passedBy,
                                          launch,
                                          r),
                                  router.timeout())
                              .thenCompose(
                                  created -> {
                                    if (admission instanceof ApprovalGate.Held held) {
                                      return CompletableFuture.completedFuture(
                                          Router.Outcome.ofMission(
                                              MissionStatus.PENDING_APPROVAL.wire(),
                                              missionId,
                                              to,
                                              held.approval().id(),
                                              "the operator approves or denies it (ai-intercom"
                                                  + " approvals, or Telegram); follow it with intercom_status"));
                                    }
                                    return launched(missionId, to);
                                  });
                        }));
  }

  /**
   * More work for a mission's agent, from its requester (or the operator as {@code human}):
   * continues the same agent conversation once the gate lets it.
   */
  public CompletionStage<Router.Outcome> followUp(
      Router.Sender from, String missionId, String text) {
    try {
      router.checkText(text);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(Refusal.invalid(e.getMessage()));
    }
    return mission(missionId)
        .<Mission.State>askWithStatus(Mission.Get::new, router.timeout())
        .exceptionally(
            error -> {
              if (Refusal.of(error).isPresent()) {
                throw Refusal.notFound(
                    "no mission " + missionId + " (take the id from the message you answer)");
              }
              throw new CompletionException(Refusal.cause(error));
            })
        .thenCompose(
            state -> {
              if (!state.kind().launchesAgent()) {
                throw Refusal.invalid(
                    "mission "
                        + missionId
                        + " is a "
                        + state.kind().name().toLowerCase()
                        + (state.threadId() == null
                            ? ""
                            : ": answer in its thread " + state.threadId()));
              }
              if (!from.agent().equals(state.from())
                  && !from.agent().equals(AgentId.HUMAN.toString())) {
                throw Refusal.invalid(
                    "mission "
                        + missionId
                        + " belongs to "
                        + state.from()
                        + "; start your own with intercom_ask or intercom_start_agent");
              }
              if (state.status() == MissionStatus.PENDING_APPROVAL
                  || state.status() == MissionStatus.DENIED) {
                throw Refusal.invalid(
                    "mission "
                        + missionId
                        + " is "
                        + state.status().name().toLowerCase()
                        + ": it takes no follow-ups");
              }
              long seq = state.transcript().size() + 1L;
              return router
                  .accepts(AgentId.parse(state.to()))
                  .thenCompose(
                      ok ->
                          router.submit(
                              new ApprovalRequest(
                                  from.agent(),
                                  state.to(),
                                  state.kind().messageType(),
                                  missionId,
                                  text,
                                  missionId,
                                  seq)))
                  .thenCompose(
                      admission -> {
                        if (admission instanceof ApprovalGate.Refused refused) {
                          throw Refusal.invalid(
                              "the approval gate refused the message: " + refused.reason());
                        }
                        if (admission instanceof ApprovalGate.Held held) {
                          return CompletableFuture.completedFuture(
                              Router.Outcome.ofMission(
                                  MissionStatus.PENDING_APPROVAL.wire(),
                                  missionId,
                                  state.to(),
                                  held.approval().id(),
                                  "the operator approves or denies it (ai-intercom approvals, or Telegram)"));
                        }
                        return courier
                            .continueMission(
                                from.agent(), missionId, text, UUID.randomUUID().toString())
                            .thenCompose(done -> statusOf(missionId, state.to()));
                      });
            });
  }

  /** Stops a mission that is not finished; its agent, if one runs, is ended. */
  public CompletionStage<Router.Outcome> stop(String missionId, String by) {
    return mission(missionId)
        .<Mission.Summary>askWithStatus(r -> new Mission.Stop(by, r), router.timeout())
        .thenCompose(
            state ->
                courier
                    .stopRun(state, by)
                    .thenApply(
                        done ->
                            Router.Outcome.ofMission(
                                MissionStatus.STOPPED.wire(), missionId, state.to(), null, null)));
  }

  /**
   * The mission's status once its machine took it on (approved: queued or starting; running;
   * failed).
   */
  private CompletionStage<Router.Outcome> launched(String missionId, String to) {
    return courier
        .launch(AgentId.parse(to).machine(), missionId, null, null)
        .exceptionallyCompose(
            error -> {
              if (Refusal.is(error, Refusal.Code.OFFLINE)) {
                // nobody will run it: the mission says so
                String why = Refusal.sentence(error) + " when the mission was to start";
                return mission(missionId)
                    .<Mission.Summary>askWithStatus(r -> new Mission.Fail(why, r), router.timeout())
                    .thenApply(failed -> Done.getInstance());
              }
              return CompletableFuture.failedFuture(Refusal.cause(error));
            })
        .thenCompose(done -> statusOf(missionId, to));
  }

  private CompletionStage<Router.Outcome> statusOf(String missionId, String to) {
    return mission(missionId)
        .<Mission.Summary>askWithStatus(Mission.Summarize::new, router.timeout())
        .thenApply(
            state ->
                Router.Outcome.ofMission(
                    state.status().name().toLowerCase(),
                    missionId,
                    to,
                    null,
                    state.status() == MissionStatus.FAILED ? state.reason() : null));
  }

  private static void checkCommand(String agentCommand) {
    if (agentCommand != null && !agentCommand.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException(
          "agent_command names one of the target machine's configured commands"
              + " (claude, codex, gemini unless configured otherwise), not a command line");
    }
  }

  private EntityRef<Mission.Command> mission(String missionId) {
    return router.sharding().entityRefFor(Mission.ENTITY_KEY, missionId);
  }
}
