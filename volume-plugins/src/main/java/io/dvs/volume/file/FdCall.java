package io.dvs.volume.file;

import io.dvs.volume.LinuxLibC;
import java.nio.file.Path;
import java.util.function.IntPredicate;
import java.util.logging.Logger;

/**
 * A {@link LinuxLibC} call on a device's native descriptor (the device owns and closes it) that
 * turns into a no-op once it fails, saying so once in the log: hole punching and early writeback
 * are services a file system or platform may lack, and the device works without them. Without a
 * descriptor (no libc, the open failed) it is a no-op from the start.
 */
final class FdCall {
  private static final Logger LOG = Logger.getLogger(FdCall.class.getName());

  private final Path path;
  private final int fd;
  private final String name;
  private final String withoutIt;

  /** Guarded by {@code this}: false once the call failed, or after stop. */
  private boolean works;

  /** {@code name} as the log names the call; {@code withoutIt}: what happens once it failed. */
  FdCall(Path path, int fd, String name, String withoutIt) {
    this.path = path;
    this.fd = fd;
    this.name = name;
    this.withoutIt = withoutIt;
    this.works = fd >= 0;
  }

  synchronized boolean works() {
    return works;
  }

  /** Runs {@code call} on the descriptor unless a call failed or stop ran; true if it ran fine. */
  synchronized boolean run(IntPredicate call) {
    if (!works) {
      return false;
    }
    if (call.test(fd)) {
      return true;
    }
    int errno = LinuxLibC.lastErrno();
    LOG.info(() -> path + ": " + name + " failed with errno " + errno + "; " + withoutIt);
    works = false;
    return false;
  }

  /** Waits for a running call and makes later ones no-ops: the descriptor is about to close. */
  synchronized void stop() {
    works = false;
  }
}
