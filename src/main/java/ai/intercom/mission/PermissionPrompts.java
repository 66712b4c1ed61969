package ai.intercom.mission;

import ai.intercom.approval.ApprovalGate;
import ai.intercom.approval.ApprovalRequest;
import ai.intercom.protocol.MissionStatus;
import ai.intercom.protocol.Refusal;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * A launched agent's permission prompts ({@code --permission-prompt-tool}): each one is a request
 * to the approval gate from the mission's agent to the operator, showing the tool and its input.
 * The policy may let it pass; else the prompt waits here for the operator's decision, announced by
 * the gate on its topic; a prompt nobody decides expires, and is denied.
 */
public final class PermissionPrompts {

  /** What the agent is told: allow (with the input unchanged) or deny, and why. */
  public record Answer(boolean allow, String message, String approvalId) {}

  /** A prompt on its way: {@code approvalId} null when the policy decided at once. */
  public record Prompt(String approvalId, CompletableFuture<Answer> answer) {}

  /** How long an answer stays readable after its decision, for a waiter that comes back. */
  static final Duration ANSWER_KEPT = Duration.ofMinutes(2);

  private final ActorSystem<?> system;
  private final ActorRef<ApprovalGate.Command> gate;
  private final Duration timeout;
  private final Duration decisionWait;

  /**
   * Held prompts by approval id: waiting for their decision, then kept a while for a waiter that
   * comes back.
   */
  private final Map<String, CompletableFuture<Answer>> prompts = new ConcurrentHashMap<>();

  /**
   * {@code expiry}: the gate's approval timeout; a prompt waits a little longer than that for its
   * decision.
   */
  public PermissionPrompts(
      ActorSystem<?> system,
      ActorRef<ApprovalGate.Command> gate,
      Duration timeout,
      Duration expiry) {
    this.system = system;
    this.gate = gate;
    this.timeout = timeout;
    this.decisionWait = expiry.plusSeconds(30);
    ActorRef<ApprovalGate.Notice> listener =
        system.systemActorOf(
            Behaviors.receiveMessage(
                notice -> {
                  if (notice instanceof ApprovalGate.ApprovalDecided decided) {
                    Optional.ofNullable(prompts.get(decided.approvalId()))
                        .ifPresent(
                            prompt ->
                                prompt.complete(
                                    new Answer(
                                        decided.approved(),
                                        decided.sentence(),
                                        decided.approvalId())));
                  }
                  return Behaviors.same();
                }),
            "permission-decisions",
            Props.empty());
    ActorRef<Topic.Command<ApprovalGate.Notice>> topic =
        system.systemActorOf(
            Topic.create(ApprovalGate.Notice.class, ApprovalGate.TOPIC),
            "permission-notices",
            Props.empty());
    topic.tell(Topic.subscribe(listener));
  }

  /**
   * {@code agent} (a session of machine/project) asks to use {@code tool} with {@code input} (JSON)
   * within {@code missionId}, which must be running and be that agent's.
   */
  public CompletionStage<Prompt> ask(String agent, String missionId, String tool, String input) {
    return ClusterSharding.get(system)
        .entityRefFor(Mission.ENTITY_KEY, missionId)
        .<Mission.State>askWithStatus(Mission.Get::new, timeout)
        .thenCompose(
            mission -> {
              // only the mission's own agent (a session of that machine and project) asks for it
              if (mission.status() != MissionStatus.RUNNING || !mission.to().equals(agent)) {
                throw new Refusal(
                    Refusal.Code.FORBIDDEN,
                    "mission "
                        + missionId
                        + " is "
                        + mission.status().name().toLowerCase()
                        + " and not run by "
                        + agent
                        + ": no permission to ask for");
              }
              ApprovalRequest request =
                  ApprovalRequest.permission(mission.to(), missionId, tool, input);
              return AskPattern.<ApprovalGate.Command, ApprovalGate.Admission>ask(
                  gate, r -> new ApprovalGate.Submit(request, r), timeout, system.scheduler());
            })
        .thenApply(this::answer);
  }

  /** The answer of a held prompt, while it waits and for a while after. */
  public Optional<CompletableFuture<Answer>> prompt(String approvalId) {
    return Optional.ofNullable(prompts.get(approvalId));
  }

  private Prompt answer(ApprovalGate.Admission admission) {
    if (admission instanceof ApprovalGate.Passed passed) {
      return new Prompt(
          null,
          CompletableFuture.completedFuture(
              new Answer(true, "allowed by the policy: " + passed.reason(), null)));
    }
    if (admission instanceof ApprovalGate.Refused refused) {
      return new Prompt(
          null, CompletableFuture.completedFuture(new Answer(false, refused.reason(), null)));
    }
    String id = ((ApprovalGate.Held) admission).approval().id();
    CompletableFuture<Answer> answer = new CompletableFuture<>();
    prompts.put(id, answer);
    answer
        .completeOnTimeout(
            new Answer(false, "no decision from the operator in time", id),
            decisionWait.toMillis(),
            TimeUnit.MILLISECONDS)
        .whenComplete(
            (decided, error) ->
                system
                    .scheduler()
                    .scheduleOnce(
                        ANSWER_KEPT, () -> prompts.remove(id), system.executionContext()));
    return new Prompt(id, answer);
  }
}
