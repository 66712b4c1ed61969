package ai.intercom.protocol;

import java.util.regex.Pattern;

/** Who sends and receives: an agent {@code machine/project}, or {@code human} (the operator). */
public record AgentId(String machine, String project) {

  public static final AgentId HUMAN = new AgentId("", "human");

  private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

  public AgentId {
    if (!(machine.isEmpty() && project.equals("human"))) {
      requireValidPart(machine, "machine");
      requireValidPart(project, "project");
    }
  }

  /**
   * Parses {@code machine/project} or {@code human}.
   *
   * @throws IllegalArgumentException with a sentence saying what is wrong
   */
  public static AgentId parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("agent id is empty; expected machine/project");
    }
    if (text.equals("human")) {
      return HUMAN;
    }
    int slash = text.indexOf('/');
    if (slash < 0 || slash != text.lastIndexOf('/')) {
      throw new IllegalArgumentException(
          "agent id '" + text + "' must be machine/project (exactly one '/')");
    }
    return new AgentId(text.substring(0, slash), text.substring(slash + 1));
  }

  public static boolean isValidPart(String part) {
    return part != null && PART.matcher(part).matches();
  }

  private static void requireValidPart(String part, String what) {
    if (!isValidPart(part)) {
      throw new IllegalArgumentException(
          what + " name '" + part + "' must be 1-63 letters, digits, '.', '_' or '-'");
    }
  }

  public boolean isHuman() {
    return this.equals(HUMAN);
  }

  @Override
  public String toString() {
    return isHuman() ? "human" : machine + "/" + project;
  }
}
