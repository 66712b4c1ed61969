package ai.intercom.approval;

import java.util.regex.Pattern;

/**
 * Shell-style agent patterns of policies.yml: {@code *} any run of characters (also '/'), {@code ?}
 * one.
 */
final class Glob {

  private Glob() {}

  static Pattern compile(String glob) {
    StringBuilder regex = new StringBuilder();
    StringBuilder literal = new StringBuilder();
    for (char c : glob.toCharArray()) {
      if (c == '*' || c == '?') {
        regex.append(Pattern.quote(literal.toString()));
        literal.setLength(0);
        regex.append(c == '*' ? ".*" : ".");
      } else {
        literal.append(c);
      }
    }
    regex.append(Pattern.quote(literal.toString()));
    return Pattern.compile(regex.toString());
  }
}
