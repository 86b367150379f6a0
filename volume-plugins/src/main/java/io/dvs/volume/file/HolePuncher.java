package io.dvs.volume.file;

import io.dvs.volume.LinuxLibC;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * Gives a file's space back with Linux {@code fallocate(PUNCH_HOLE | KEEP_SIZE)}, on the device's
 * native descriptor ({@link LinuxLibC}; the device owns and closes it). Where libc or the call is
 * missing (not Linux, a file system without hole punching), it turns into a no-op once and says
 * so in the log.
 */
final class HolePuncher {
  private static final Logger LOG = Logger.getLogger(HolePuncher.class.getName());

  private final Path path;
  private final int fd;

  /** Guarded by {@code this}: false once punching is known not to work, or after stop. */
  private boolean works;

  HolePuncher(Path path, int fd) {
    this.path = path;
    this.fd = fd;
    this.works = fd >= 0;
  }

  synchronized boolean works() {
    return works;
  }

  synchronized void punch(long offsetBytes, long lengthBytes) {
    if (!works || lengthBytes == 0) {
      return;
    }
    if (!LinuxLibC.punchHole(fd, offsetBytes, lengthBytes)) {
      int errno = LinuxLibC.lastErrno();
      LOG.info(() -> path + ": fallocate(PUNCH_HOLE) failed with errno " + errno
          + "; discard is a no-op from now on");
      works = false;
    }
  }

  /** Waits for a running punch and makes later ones no-ops: the descriptor is about to close. */
  synchronized void stop() {
    works = false;
  }
}
