package ai.intercom.approval;

import ai.intercom.approval.Grants.Pair;
import ai.intercom.protocol.JsonSerializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the approval gate keeps in its journal: pending approvals, decisions not yet settled on
 * their missions, mission and always grants, and the latest outcomes (to tell a late decider).
 * Session grants are not here: they end with the hub's run.
 */
record GateState(
    Map<String, ApprovalGate.PendingApproval> pending,
    Map<String, ApprovalGate.Release> releasing,
    Set<String> missionGrants,
    Set<Pair> alwaysPairs,
    List<ApprovalGate.Outcome> recentOutcomes)
    implements JsonSerializable {

  GateState {
    pending = Map.copyOf(pending);
    releasing = Map.copyOf(releasing);
    missionGrants = Set.copyOf(missionGrants);
    alwaysPairs = Set.copyOf(alwaysPairs);
    recentOutcomes = List.copyOf(recentOutcomes);
  }

  static GateState empty() {
    return new GateState(Map.of(), Map.of(), Set.of(), Set.of(), List.of());
  }

  Grants grants(Set<Pair> sessionPairs) {
    return new Grants(missionGrants, sessionPairs, alwaysPairs);
  }

  GateState held(ApprovalGate.PendingApproval approval) {
    Map<String, ApprovalGate.PendingApproval> all = new HashMap<>(pending);
    all.put(approval.id(), approval);
    return new GateState(all, releasing, missionGrants, alwaysPairs, recentOutcomes);
  }

  GateState decided(ApprovalGate.Decided e) {
    ApprovalGate.PendingApproval approval = pending.get(e.approvalId());
    if (approval == null) {
      return this;
    }
    Map<String, ApprovalGate.PendingApproval> stillPending = new HashMap<>(pending);
    stillPending.remove(e.approvalId());
    Map<String, ApprovalGate.Release> toRelease = new HashMap<>(releasing);
    toRelease.put(
        e.approvalId(),
        new ApprovalGate.Release(
            e.approvalId(), approval.request(), e.approved(), e.by(), e.sentence()));
    Set<String> missions = new HashSet<>(missionGrants);
    Set<Pair> always = new HashSet<>(alwaysPairs);
    if (e.approved() && e.grant() == GrantLevel.MISSION) {
      missions.add(approval.request().missionId());
    }
    if (e.approved() && e.grant() == GrantLevel.ALWAYS) {
      always.add(new Pair(approval.request().from(), approval.request().to()));
    }
    List<ApprovalGate.Outcome> outcomes = new ArrayList<>(recentOutcomes);
    outcomes.add(new ApprovalGate.Outcome(e.approvalId(), e.sentence()));
    if (outcomes.size() > ApprovalGate.REMEMBERED_DECISIONS) {
      outcomes =
          outcomes.subList(outcomes.size() - ApprovalGate.REMEMBERED_DECISIONS, outcomes.size());
    }
    return new GateState(stillPending, toRelease, missions, always, outcomes);
  }

  GateState released(String approvalId) {
    Map<String, ApprovalGate.Release> rest = new HashMap<>(releasing);
    rest.remove(approvalId);
    return new GateState(pending, rest, missionGrants, alwaysPairs, recentOutcomes);
  }

  GateState missionEnded(String missionId) {
    Set<String> missions = new HashSet<>(missionGrants);
    missions.remove(missionId);
    return new GateState(pending, releasing, missions, alwaysPairs, recentOutcomes);
  }

  java.util.Optional<ApprovalGate.Outcome> outcomeOf(String approvalId) {
    return recentOutcomes.stream().filter(o -> o.approvalId().equals(approvalId)).findFirst();
  }
}
