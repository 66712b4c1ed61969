package ai.intercom.approval;

/**
 * What a message that passes the gate is, as {@code policies.yml} names it in a rule's {@code
 * type}: the opening of a mission of one of the four kinds, or a launched agent's request to use a
 * tool.
 */
public enum MessageType {
  ASK,
  SEND,
  START_AGENT,
  CHAT,
  /** A launched agent asks to use a tool, within its mission. */
  PERMISSION;

  /** Whether a message of this type starts an agent process once it passes. */
  public boolean launchesAgent() {
    return this == ASK || this == START_AGENT;
  }
}
