package io.dvs.volume.ssd;

import io.dvs.volume.LinuxLibC;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * Passes a discard to a block device: Linux {@code ioctl(BLKDISCARD)} (TRIM / UNMAP), or if the
 * device refuses it, {@code fallocate(PUNCH_HOLE | KEEP_SIZE)} (which block devices also
 * accept since Linux 4.9). It keeps its own descriptor (the JDK hides the FileChannel's). Where
 * neither works it becomes a no-op and says so once in the log: a discard is only a hint.
 */
final class BlockDiscarder implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(BlockDiscarder.class.getName());

  /** How discards reach the device; moves only downwards, each step logged once. */
  enum Mode { IOCTL, FALLOCATE, NONE }

  private final Path path;

  /** Guarded by {@code this}. */
  private int fd;

  private Mode mode;

  private BlockDiscarder(Path path, int fd) {
    this.path = path;
    this.fd = fd;
    this.mode = fd >= 0 ? Mode.IOCTL : Mode.NONE;
  }

  static BlockDiscarder open(Path path) {
    if (!LinuxLibC.available()) {
      LOG.info(() -> path + ": libc not available; discard is a no-op");
      return new BlockDiscarder(path, -1);
    }
    int fd = LinuxLibC.openReadWrite(path);
    if (fd < 0) {
      int errno = LinuxLibC.lastErrno();
      LOG.info(() -> path + ": cannot open for discard (errno " + errno
          + "); discard is a no-op");
    }
    return new BlockDiscarder(path, fd);
  }

  /** True while discards still reach the device (by either call). */
  synchronized boolean works() {
    return mode != Mode.NONE;
  }

  /** The call the next discard tries first: tests see each fallback step here. */
  synchronized Mode mode() {
    return mode;
  }

  synchronized void discard(long offsetBytes, long lengthBytes) {
    if (lengthBytes == 0) {
      return;
    }
    if (mode == Mode.IOCTL) {
      if (LinuxLibC.blockDiscard(fd, offsetBytes, lengthBytes)) {
        return;
      }
      int errno = LinuxLibC.lastErrno();
      LOG.info(() -> path + ": ioctl(BLKDISCARD) failed with errno " + errno
          + "; falling back to fallocate(PUNCH_HOLE)");
      mode = Mode.FALLOCATE;
    }
    if (mode == Mode.FALLOCATE) {
      if (LinuxLibC.punchHole(fd, offsetBytes, lengthBytes)) {
        return;
      }
      int errno = LinuxLibC.lastErrno();
      LOG.warning(() -> path + ": neither ioctl(BLKDISCARD) nor fallocate(PUNCH_HOLE) works"
          + " (errno " + errno + "); discard is a no-op from now on");
      mode = Mode.NONE;
      closeFd();
    }
  }

  @Override
  public synchronized void close() {
    closeFd();
    mode = Mode.NONE;
  }

  private void closeFd() {
    LinuxLibC.close(fd);
    fd = -1;
  }
}
