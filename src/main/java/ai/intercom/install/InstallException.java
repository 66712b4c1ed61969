package ai.intercom.install;

/** Why a set-up step cannot be done, in one line; thrown before anything was changed. */
public final class InstallException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public InstallException(String message) {
    super(message);
  }

  public InstallException(String message, Throwable cause) {
    super(message, cause);
  }
}
