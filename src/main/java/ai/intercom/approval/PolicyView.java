package ai.intercom.approval;

import ai.intercom.protocol.JsonSerializable;
import java.util.List;

/** The policy in force and the runtime grants, as {@code ai-intercom policy show} prints them. */
public record PolicyView(
    String source,
    String defaultApproval,
    List<RuleView> rules,
    List<String> missionGrants,
    List<String> sessionGrants,
    List<String> alwaysGrants)
    implements JsonSerializable {

  public record RuleView(
      int number,
      String from,
      String to,
      String type,
      String messagePattern,
      String approval,
      String label)
      implements JsonSerializable {}

  static PolicyView of(Policy policy, Grants grants) {
    return new PolicyView(
        policy.source(),
        policy.defaultLevel().id(),
        policy.rules().stream()
            .map(
                r ->
                    new RuleView(
                        r.number(),
                        r.from(),
                        r.to(),
                        r.type() == null ? "*" : r.type().name().toLowerCase(),
                        r.messagePattern(),
                        r.approval().id(),
                        r.label()))
            .toList(),
        grants.missions().stream().sorted().toList(),
        grants.sessionPairs().stream().map(Grants.Pair::toString).sorted().toList(),
        grants.alwaysPairs().stream().map(Grants.Pair::toString).sorted().toList());
  }
}
