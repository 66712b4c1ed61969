package ai.intercom.launcher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of one agent run, made from a command or a template.
 *
 * <p>A plain command ({@code claude}, {@code /opt/bin/claude --model x}) is a stream-json agent: it
 * gets the default arguments, {@code --resume} for a follow-up, the permission relay's arguments,
 * then the prompt. A template holds {@code {prompt}} where the prompt goes ({@code codex exec
 * {prompt}}, {@code gemini -p {prompt}}) and is used as written: such agents print plain text,
 * which is then their result.
 */
public record AgentCommand(List<String> argv, boolean template) {

  static final String PROMPT = "{prompt}";

  public AgentCommand {
    argv = List.copyOf(argv);
  }

  /**
   * @param resumeSession the agent conversation to continue, or null
   * @param relay the permission relay's arguments (for plain commands), maybe empty
   */
  public static AgentCommand of(
      String commandOrTemplate,
      List<String> defaultArgs,
      String prompt,
      String resumeSession,
      List<String> relay) {
    List<String> words = words(commandOrTemplate);
    if (words.isEmpty()) {
      throw new IllegalArgumentException("the agent command is empty");
    }
    if (words.stream().anyMatch(word -> word.contains(PROMPT))) {
      return new AgentCommand(
          words.stream().map(word -> word.replace(PROMPT, prompt)).toList(), true);
    }
    List<String> argv = new ArrayList<>(words);
    argv.addAll(defaultArgs);
    if (resumeSession != null) {
      argv.add("--resume");
      argv.add(resumeSession);
    }
    argv.addAll(relay);
    // after the end of the options: no variadic option (--mcp-config, --allowedTools, --add-dir,
    // ... take every word up to the next option) can eat it, and one that starts like an option
    // stays the prompt
    argv.add("--");
    argv.add(prompt);
    return new AgentCommand(argv, false);
  }

  /** The program's file name ({@code claude} for {@code /usr/local/bin/claude}). */
  public static String executableOf(String commandOrTemplate) {
    List<String> words = words(commandOrTemplate);
    return words.isEmpty() ? "" : Path.of(words.get(0)).getFileName().toString();
  }

  public String executable() {
    return Path.of(argv.get(0)).getFileName().toString();
  }

  /**
   * Splits a command line into words as a POSIX shell would for plain words and quotes ('single',
   * "double", backslash escapes); no variables, no globbing.
   */
  static List<String> words(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote == '\'') {
        if (c == '\'') {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (quote == '"') {
        if (c == '"') {
          quote = 0;
        } else if (c == '\\'
            && i + 1 < line.length()
            && "\"\\$`".indexOf(line.charAt(i + 1)) >= 0) {
          word.append(line.charAt(++i));
        } else {
          word.append(c);
        }
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        inWord = true;
        if (c == '\'' || c == '"') {
          quote = c;
        } else if (c == '\\' && i + 1 < line.length()) {
          word.append(line.charAt(++i));
        } else {
          word.append(c);
        }
      }
    }
    if (quote != 0) {
      throw new IllegalArgumentException("unclosed " + quote + " in the agent command: " + line);
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }

  /** The command line as a human reads it (arguments with spaces quoted, the prompt cut). */
  public String display() {
    List<String> shown = new ArrayList<>();
    for (String arg : argv) {
      String flat = arg.length() > 60 ? arg.substring(0, 57) + "..." : arg;
      shown.add(
          flat.matches("[A-Za-z0-9_./:=@%+,-]+") ? flat : "'" + flat.replace("'", "'\\''") + "'");
    }
    return String.join(" ", shown);
  }
}
