package io.dvs.tools.cli;

/** A mistake in what the user asked for; its message says what to do instead. */
public final class UserException extends RuntimeException {
  public UserException(String message) {
    super(message, null, false, false);
  }
}
