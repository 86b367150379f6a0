package io.dvs.client.fs;

import io.dvs.client.net.Futures;
import io.dvs.protocol.DvsException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one place where a failure becomes an errno for the application (STYLE.md: one error
 * mapper per boundary). Typed cluster errors map by code, never by message text.
 */
public final class Errors {
  private static final Logger LOG = Logger.getLogger(Errors.class.getName());

  private Errors() {}

  /** Returns FUSE's negative errno for {@code failure}. */
  public static int toErrno(Throwable failure) {
    Throwable t = Futures.unwrap(failure);
    if (t instanceof FsException fs) {
      return -fs.errno();
    }
    if (t instanceof DvsException dvs) {
      LOG.log(Level.FINE, "cluster error", dvs);
      return -switch (dvs.code()) {
        case NOT_FOUND -> Errno.ENOENT;
        case NO_SPACE -> Errno.ENOSPC;
        case INVALID_ARGUMENT, BAD_REQUEST -> Errno.EINVAL;
        case ALREADY_EXISTS -> Errno.EEXIST;
        case NOT_EMPTY -> Errno.ENOTEMPTY;
        case TIMEOUT -> Errno.ETIMEDOUT;
        case LEASE_HELD, STALE_EPOCH -> Errno.EROFS; // The mount lost its lease.
        default -> Errno.EIO;
      };
    }
    LOG.log(Level.WARNING, "unexpected failure in the filesystem", t);
    return -Errno.EIO;
  }
}
