package ai.intercom.protocol;

import java.util.regex.Pattern;

/**
 * The forms of the ids that cross the product's boundaries: missions {@code m-YYYYMMDD-xxxxxx},
 * threads {@code t-xxxxxxxx}, and agent sessions (file names: {@code inbox/<id>.jsonl}).
 */
public final class Ids {

  private static final Pattern MISSION = Pattern.compile("m-\\d{8}-[0-9a-f]{6}");
  private static final Pattern THREAD = Pattern.compile("t-[0-9a-f]{8}");
  private static final Pattern SESSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,127}");

  private Ids() {}

  public static boolean isMissionId(String id) {
    return id != null && MISSION.matcher(id).matches();
  }

  public static boolean isThreadId(String id) {
    return id != null && THREAD.matcher(id).matches();
  }

  /** Session ids are file names: no separators, dots or spaces. */
  public static boolean isSessionId(String id) {
    return id != null && SESSION.matcher(id).matches();
  }
}
