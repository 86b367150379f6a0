package io.dvs.volume.file;

import io.dvs.volume.LinuxLibC;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * Gives a file's space back with Linux {@code fallocate(PUNCH_HOLE | KEEP_SIZE)}, on a
 * descriptor of its own ({@link LinuxLibC}). Where libc or the call is missing (not Linux, a
 * file system without hole punching), it turns into a no-op once and says so in the log.
 */
final class HolePuncher implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(HolePuncher.class.getName());

  private final Path path;

  /** Guarded by {@code this}: the descriptor, or -1 once punching is known not to work. */
  private int fd;

  private HolePuncher(Path path, int fd) {
    this.path = path;
    this.fd = fd;
  }

  static HolePuncher open(Path path) {
    if (!LinuxLibC.available()) {
      return new HolePuncher(path, -1);
    }
    int fd = LinuxLibC.openReadWrite(path);
    if (fd < 0) {
      int errno = LinuxLibC.lastErrno();
      LOG.fine(() -> path + ": cannot open for hole punching (errno " + errno
          + "); discard is a no-op");
    }
    return new HolePuncher(path, fd);
  }

  synchronized boolean works() {
    return fd >= 0;
  }

  synchronized void punch(long offsetBytes, long lengthBytes) {
    if (fd < 0 || lengthBytes == 0) {
      return;
    }
    if (!LinuxLibC.punchHole(fd, offsetBytes, lengthBytes)) {
      int errno = LinuxLibC.lastErrno();
      LOG.info(() -> path + ": fallocate(PUNCH_HOLE) failed with errno " + errno
          + "; discard is a no-op from now on");
      closeFd();
    }
  }

  @Override
  public synchronized void close() {
    closeFd();
  }

  private void closeFd() {
    LinuxLibC.close(fd);
    fd = -1;
  }
}
