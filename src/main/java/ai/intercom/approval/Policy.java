package ai.intercom.approval;

import java.util.List;

/**
 * The rules of policies.yml in their order, compiled, and the default for messages no rule matches.
 */
public final class Policy {

  /** The rule that decided a request: a rule of the file, or the default. */
  public record Match(ApprovalLevel level, String rule) {}

  private final ApprovalLevel defaultLevel;
  private final List<Rule> rules;
  private final List<Rule.Compiled> compiled;
  private final String source;

  public Policy(ApprovalLevel defaultLevel, List<Rule> rules, String source) {
    this.defaultLevel = defaultLevel;
    this.rules = List.copyOf(rules);
    this.compiled = this.rules.stream().map(Rule::compile).toList();
    this.source = source;
  }

  public ApprovalLevel defaultLevel() {
    return defaultLevel;
  }

  public List<Rule> rules() {
    return rules;
  }

  /** Where the policy was read from. */
  public String source() {
    return source;
  }

  /** The first rule that matches, else the default. */
  public Match evaluate(ApprovalRequest request) {
    for (Rule.Compiled rule : compiled) {
      if (rule.matches(request)) {
        return new Match(rule.rule().approval(), rule.rule().name());
      }
    }
    return new Match(defaultLevel, "default (" + defaultLevel.id() + ")");
  }

  /** Grants first (mission, then pair), then the rules. */
  public Verdict decide(ApprovalRequest request, Grants grants) {
    return grants
        .covering(request)
        .<Verdict>map(Verdict.Pass::new)
        .orElseGet(
            () -> {
              Match match = evaluate(request);
              return match.level() == ApprovalLevel.NEVER
                  ? new Verdict.Pass(match.rule() + ": no approval needed")
                  : new Verdict.Hold(match);
            });
  }

  /** What the gate does with a request. */
  public sealed interface Verdict {
    record Pass(String reason) implements Verdict {}

    record Hold(Match match) implements Verdict {}
  }
}
