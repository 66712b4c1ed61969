package ai.intercom.security;

import java.util.List;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hides secrets in a command line, URL or short text before a human sees it (Telegram, mission
 * progress). The secret value becomes {@code ***}; the key, flag or token prefix stays, so the
 * reader still knows what was there.
 */
public final class Secrets {

  /** What replaces a secret. */
  public static final String MASK = "***";

  /** A word that makes a key, flag or header name secret. */
  private static final Pattern SECRET_WORD =
      Pattern.compile(
          "token(?!s|i[sz])|secret|passw(?:or)?d|passphrase|pwd|api[_-]?key"
              + "|auth(?!ors?(?![a-z]))|credential|private[_-]?key",
          Pattern.CASE_INSENSITIVE);

  /** Secret-looking keys whose value is only where the secret lives, or the shell's directory. */
  private static final Pattern HARMLESS_KEY =
      Pattern.compile("(?i:.*[_.-](?:file|stdin|path|dir|type|url))|(?:OLD)?PWD");

  /** A shell expansion ({@code $TOKEN}, {@code ${TOKEN}}, {@code $(cat f)}), not a literal. */
  private static final Pattern EXPANSION = Pattern.compile("\"?\\$.*");

  /**
   * A double-quoted, single-quoted or bare value. A bare one ends at a space, a quote, a shell
   * operator or a closing bracket; a comma stays in, as a password's tail matters more than a lost
   * comma.
   */
  private static final Pattern VALUE =
      Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'|[^\\s&\"'`;|<>)\\]}]+");

  private static final Pattern URL_CREDENTIALS =
      Pattern.compile("\\b([A-Za-z][A-Za-z0-9+.-]*://[^\\s/:@]+):([^\\s/@]+)@");

  /** The head of {@code KEY=value}, {@code --key=value}, {@code ?key=value&}. */
  private static final Pattern KEY_EQUALS =
      Pattern.compile("(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]+)=");

  /** The head of {@code --key value} or {@code -key value}; the value starts with no dash. */
  private static final Pattern FLAG_VALUE =
      Pattern.compile("(?<![^\\s\"'])(--?[A-Za-z][A-Za-z0-9_.-]*)[ \\t]+(?!-)");

  /** The head of {@code key: value}, {@code "key": "value"}, {@code Authorization: Bearer x}. */
  private static final Pattern KEY_COLON =
      Pattern.compile(
          "(?<![A-Za-z0-9_.-])([\"']?)([A-Za-z][A-Za-z0-9_.-]*)\\1([ \\t]*:[ \\t]*)"
              + "(?:((?i:bearer|basic|token|digest))[ \\t]+)?");

  private static final Pattern BEARER =
      Pattern.compile(
          "\\bBearer[ \\t]+(?![A-Za-z0-9._~+/=-]*\\*\\*\\*|tokens?\\b|\\$)([A-Za-z0-9._~+/=-]+)");

  private static final Pattern MYSQL_PASSWORD =
      Pattern.compile("(\\bmysql(?:dump|admin)?\\b[^|;&\\n]*?\\s-p)(?!\\*\\*\\*)[^\\s|;&]+");

  private static final Pattern CURL_USER =
      Pattern.compile(
          "(\\bcurl\\b[^|;&\\n]*?\\s(?:-u|--user)[ \\t=]*['\"]?[^\\s:'\"]+:)"
              + "(?!\\*\\*\\*)[^\\s'\"]+");

  /** A plain lowercase word after {@code key:} reads as prose ("auth: fix login"). */
  private static final Pattern PROSE_WORD = Pattern.compile("[a-z]+");

  /** A well-known token shape (prefix kept in group 1), looked for only where its hint occurs. */
  private record Shape(String hint, Pattern pattern) {}

  /** Well-known token shapes, each with the prefix kept in group 1. */
  private static final List<Shape> TOKENS =
      List.of(
          new Shape("sk-", Pattern.compile("(?<![A-Za-z0-9_-])(sk-)[A-Za-z0-9_-]{20,}")),
          new Shape("gh", Pattern.compile("(?<![A-Za-z0-9_])(gh[pousr]_)[A-Za-z0-9]{20,}")),
          new Shape(
              "github_pat_", Pattern.compile("(?<![A-Za-z0-9_])(github_pat_)[A-Za-z0-9_]{20,}")),
          new Shape("xox", Pattern.compile("(?<![A-Za-z0-9_-])(xox[abposr]-)[A-Za-z0-9-]{10,}")),
          new Shape("AKIA", Pattern.compile("(?<![A-Za-z0-9])(AKIA)[0-9A-Z]{16}(?![A-Za-z0-9])")),
          new Shape(
              "ict_",
              Pattern.compile(
                  "(?<![A-Za-z0-9_])(ict_[A-Za-z0-9][A-Za-z0-9._-]{0,62}?_)[0-9a-fA-F]{8,}"
                      + "(?![A-Za-z0-9])")),
          new Shape(
              ":", Pattern.compile("(?<![0-9])([0-9]{8,10}:)[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])")));

  private Secrets() {}

  /** The text with every secret value it recognises replaced by {@code ***}; null stays null. */
  public static String redact(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    // each pattern runs only where a plain search finds what it needs: most text holds no secret at
    // all
    String out =
        text.contains("://")
            ? replace(URL_CREDENTIALS, text, m -> m.group(1) + ":" + MASK + "@")
            : text;
    for (Shape token : TOKENS) {
      if (out.contains(token.hint())) {
        out = replace(token.pattern(), out, m -> m.group(1) + MASK);
      }
    }
    if (out.contains("mysql")) {
      out = replace(MYSQL_PASSWORD, out, m -> m.group(1) + MASK);
    }
    if (out.contains("curl")) {
      out = replace(CURL_USER, out, m -> m.group(1) + MASK);
    }
    // a key, flag or header is only masked when its name holds a secret word
    if (SECRET_WORD.matcher(out).find()) {
      out = maskValues(out, KEY_EQUALS, (head, value) -> isSecretKey(head.group(1)));
      out = maskValues(out, FLAG_VALUE, (head, value) -> isSecretKey(head.group(1)));
      out = maskValues(out, KEY_COLON, Secrets::isColonSecret);
    }
    return out.contains("Bearer") ? replace(BEARER, out, m -> "Bearer " + MASK) : out;
  }

  private static String replace(Pattern pattern, String text, Function<MatchResult, String> how) {
    Matcher matcher = pattern.matcher(text);
    if (!matcher.find()) {
      return text;
    }
    return matcher.reset().replaceAll(m -> Matcher.quoteReplacement(how.apply(m)));
  }

  /**
   * Masks the value after each {@code head} that {@code secret} accepts. Only the head is matched
   * first, so a key that is not secret does not swallow the text after it ({@code
   * --from-literal=password=x}, {@code yaml: {password: x}}).
   */
  private static String maskValues(
      String text, Pattern head, BiPredicate<MatchResult, String> secret) {
    Matcher heads = head.matcher(text);
    Matcher values = VALUE.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    int copied = 0;
    int from = 0;
    while (from < text.length() && heads.find(from)) {
      from = heads.end();
      values.region(heads.end(), text.length());
      if (values.lookingAt()
          && !isHarmless(values.group())
          && secret.test(heads.toMatchResult(), values.group())) {
        out.append(text, copied, heads.end()).append(mask(values.group()));
        copied = values.end();
        from = values.end();
      }
    }
    return copied == 0 ? text : out.append(text, copied, text.length()).toString();
  }

  /** A {@code key: value} is secret when it looks structured (quoted, a header scheme, a space). */
  private static boolean isColonSecret(MatchResult head, String value) {
    boolean quoted = !head.group(1).isEmpty();
    boolean scheme = head.group(4) != null;
    String separator = head.group(3);
    boolean spaced = separator.length() > separator.stripTrailing().length();
    if (!isSecretKey(head.group(2)) || !(quoted || scheme || spaced)) {
      return false;
    }
    return quoted || scheme || !PROSE_WORD.matcher(value).matches();
  }

  private static boolean isSecretKey(String key) {
    return SECRET_WORD.matcher(key).find() && !HARMLESS_KEY.matcher(key).matches();
  }

  private static boolean isHarmless(String value) {
    return value.contains(MASK) || EXPANSION.matcher(value).matches();
  }

  /** The mask, inside the value's quotes if it had some. */
  private static String mask(String value) {
    char first = value.charAt(0);
    if ((first == '"' || first == '\'') && value.length() > 1) {
      return first + MASK + first;
    }
    return MASK;
  }
}
