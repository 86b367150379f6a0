package io.dvs.client.fs;

/**
 * A POSIX error for the application: {@code errno} is positive (ENOENT, ENOTEMPTY, ...).
 * {@link Errors#toErrno} turns it into FUSE's negative return value.
 */
public final class FsException extends RuntimeException {
  private final int errno;

  public FsException(int errno, String message) {
    super(message, null, false, false); // Thrown on hot paths (ENOENT): no stack trace needed.
    this.errno = errno;
  }

  public int errno() {
    return errno;
  }
}
