package ai.intercom.approval;

import ai.intercom.protocol.JsonSerializable;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * What operators allowed beyond one message: whole missions, agent pairs for the hub's run
 * (session), agent pairs for good (always).
 */
public record Grants(Set<String> missions, Set<Pair> sessionPairs, Set<Pair> alwaysPairs) {

  /** Sender and receiver. */
  public record Pair(String from, String to) implements JsonSerializable {
    @Override
    public String toString() {
      return from + " -> " + to;
    }
  }

  public Grants {
    missions = Set.copyOf(missions);
    sessionPairs = Set.copyOf(sessionPairs);
    alwaysPairs = Set.copyOf(alwaysPairs);
  }

  public static Grants none() {
    return new Grants(Set.of(), Set.of(), Set.of());
  }

  /** Why a grant lets this request through: mission grants are looked at before pair grants. */
  public Optional<String> covering(ApprovalRequest request) {
    if (request.missionId() != null && missions.contains(request.missionId())) {
      return Optional.of("mission " + request.missionId() + " was approved for its whole run");
    }
    Pair pair = new Pair(request.from(), request.to());
    if (sessionPairs.contains(pair)) {
      return Optional.of(pair + " was approved for this hub session");
    }
    if (alwaysPairs.contains(pair)) {
      return Optional.of(pair + " is always allowed");
    }
    return Optional.empty();
  }

  public Grants withMission(String missionId) {
    Set<String> all = new HashSet<>(missions);
    all.add(missionId);
    return new Grants(all, sessionPairs, alwaysPairs);
  }

  public Grants withoutMission(String missionId) {
    Set<String> all = new HashSet<>(missions);
    all.remove(missionId);
    return new Grants(all, sessionPairs, alwaysPairs);
  }

  public Grants withSessionPair(Pair pair) {
    Set<Pair> all = new HashSet<>(sessionPairs);
    all.add(pair);
    return new Grants(missions, all, alwaysPairs);
  }

  public Grants withAlwaysPair(Pair pair) {
    Set<Pair> all = new HashSet<>(alwaysPairs);
    all.add(pair);
    return new Grants(missions, sessionPairs, all);
  }
}
