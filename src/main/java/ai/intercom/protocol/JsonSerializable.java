package ai.intercom.protocol;

/**
 * Marks the messages, events and states that cross a process boundary (the journal or the cluster).
 * Bound to Jackson JSON in {@code serialization.conf}; Java serialization stays off.
 */
public interface JsonSerializable {}
