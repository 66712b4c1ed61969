package ai.intercom.testing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The scripted model behind a {@link ModelApi}: an ordered list of rules "when the request matches
 * P, answer A". The first rule that matches and is not used up answers; an agent turn that no rule
 * matches gets {@link #defaultAnswer} ("ok"), a side request (one without tools: the CLI's title,
 * summary or topic requests) gets {@link #sideAnswer} without touching the agent-turn rules.
 *
 * <pre>{@code
 * script.on(contextContains("make the marker"))
 *     .answerOnce(text("On it.").then(toolUse("Bash", Map.of("command", "touch marker"))));
 * script.on(lastMessageIsToolResult()).answerOnce(text("done"));
 * }</pre>
 */
public final class ModelScript {

  /** One content block the model answers with. */
  public sealed interface Block permits TextBlock, ToolUseBlock {}

  public record TextBlock(String text) implements Block {}

  /** A tool call; its {@code toolu_...} id is made when it is sent. */
  public record ToolUseBlock(String name, Map<String, Object> input) implements Block {
    public ToolUseBlock {
      input = Collections.unmodifiableMap(new LinkedHashMap<>(input));
    }
  }

  /** An assistant message: its blocks, in order. */
  public record Answer(List<Block> blocks) {
    public Answer {
      blocks = List.copyOf(blocks);
    }

    /** This answer followed by the blocks of {@code next}, in one message. */
    public Answer then(Answer next) {
      List<Block> all = new ArrayList<>(blocks);
      all.addAll(next.blocks);
      return new Answer(all);
    }

    /** {@code tool_use} when the answer calls a tool, else {@code end_turn}. */
    public String stopReason() {
      return blocks.stream().anyMatch(ToolUseBlock.class::isInstance) ? "tool_use" : "end_turn";
    }
  }

  /** A rule being written: say what it answers, once or every time it matches. */
  public final class RuleBuilder {
    private final Predicate<ModelRequest> when;
    private final boolean agentTurns;

    private RuleBuilder(Predicate<ModelRequest> when, boolean agentTurns) {
      this.when = when;
      this.agentTurns = agentTurns;
    }

    /** Answers the first matching request, then steps aside. */
    public ModelScript answerOnce(Answer answer) {
      return add(new Rule(when, agentTurns, request -> answer, 1));
    }

    /** Answers every matching request. */
    public ModelScript answerAlways(Answer answer) {
      return add(new Rule(when, agentTurns, request -> answer, Integer.MAX_VALUE));
    }

    /** Answers the first {@code times} matching requests. */
    public ModelScript answerTimes(int times, Answer answer) {
      return add(new Rule(when, agentTurns, request -> answer, times));
    }

    /**
     * Answers the first matching request with what {@code answer} makes of it (say, a reply to the
     * thread id the request's context names), then steps aside.
     */
    public ModelScript answerOnceWith(Function<ModelRequest, Answer> answer) {
      return add(new Rule(when, agentTurns, answer, 1));
    }

    /** Answers every matching request with what {@code answer} makes of it. */
    public ModelScript answerAlwaysWith(Function<ModelRequest, Answer> answer) {
      return add(new Rule(when, agentTurns, answer, Integer.MAX_VALUE));
    }
  }

  private static final class Rule {
    final Predicate<ModelRequest> when;
    final boolean agentTurns;
    final Function<ModelRequest, Answer> answer;
    int left;

    Rule(
        Predicate<ModelRequest> when,
        boolean agentTurns,
        Function<ModelRequest, Answer> answer,
        int times) {
      this.when = when;
      this.agentTurns = agentTurns;
      this.answer = answer;
      this.left = times;
    }
  }

  private final List<Rule> rules = new ArrayList<>();
  private Answer defaultAnswer = text("ok");
  private Answer sideAnswer = text("ok");

  /** A rule for agent-loop turns (requests with tools). */
  public RuleBuilder on(Predicate<ModelRequest> when) {
    return new RuleBuilder(when, true);
  }

  /** A rule for side requests (requests without tools). */
  public RuleBuilder onSideRequest(Predicate<ModelRequest> when) {
    return new RuleBuilder(when, false);
  }

  /** What an agent turn that no rule matches gets. */
  public synchronized ModelScript defaultAnswer(Answer answer) {
    this.defaultAnswer = answer;
    return this;
  }

  /** What a side request that no side rule matches gets. */
  public synchronized ModelScript sideAnswer(Answer answer) {
    this.sideAnswer = answer;
    return this;
  }

  /** The answer to {@code request}, using up one firing of the rule that gives it. */
  public synchronized Answer answer(ModelRequest request) {
    boolean agentTurn = request.hasTools();
    for (Rule rule : rules) {
      if (rule.left > 0 && rule.agentTurns == agentTurn && rule.when.test(request)) {
        rule.left--;
        return rule.answer.apply(request);
      }
    }
    return agentTurn ? defaultAnswer : sideAnswer;
  }

  /** How many rules still have an answer to give (a test can check its script was played). */
  public synchronized int rulesLeft() {
    return (int) rules.stream().filter(rule -> rule.left > 0).count();
  }

  private synchronized ModelScript add(Rule rule) {
    rules.add(rule);
    return this;
  }

  // What a request matches.

  /** The text appears anywhere in the context: system, messages, tool calls and results. */
  public static Predicate<ModelRequest> contextContains(String text) {
    return request -> request.contextText().contains(text);
  }

  /** The last message contains the text (for a tool result: its content). */
  public static Predicate<ModelRequest> lastMessageContains(String text) {
    return request -> ModelRequest.messageText(request.lastMessage()).contains(text);
  }

  /** The last message answers a tool call. */
  public static Predicate<ModelRequest> lastMessageIsToolResult() {
    return ModelRequest::lastMessageIsToolResult;
  }

  /** The request offers tools: an agent-loop turn. */
  public static Predicate<ModelRequest> hasTools() {
    return ModelRequest::hasTools;
  }

  /** Any request. */
  public static Predicate<ModelRequest> anyRequest() {
    return request -> true;
  }

  // What the model answers.

  public static Answer text(String text) {
    return new Answer(List.of(new TextBlock(text)));
  }

  public static Answer toolUse(String toolName, Map<String, ?> input) {
    return new Answer(List.of(new ToolUseBlock(toolName, new LinkedHashMap<>(input))));
  }

  /** Several answers' blocks in one message, in order. */
  public static Answer blocks(Answer... parts) {
    List<Block> all = new ArrayList<>();
    for (Answer part : parts) {
      all.addAll(part.blocks());
    }
    return new Answer(all);
  }
}
