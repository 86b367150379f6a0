package io.dvs.volume.ssd;

import java.nio.file.Path;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;
import jnr.ffi.LibraryLoader;
import jnr.ffi.NativeLong;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.annotations.Variadic;

/**
 * Passes a discard to a block device: Linux {@code ioctl(BLKDISCARD)} (TRIM / UNMAP), or if the
 * device refuses it, {@code fallocate(PUNCH_HOLE | KEEP_SIZE)} (which block devices also
 * accept since Linux 4.9). It keeps its own descriptor (the JDK hides the FileChannel's). Where
 * neither works it becomes a no-op and says so once in the log: a discard is only a hint.
 */
final class BlockDiscarder implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(BlockDiscarder.class.getName());

  /** From linux/fs.h: _IO(0x12, 119), argument uint64_t[2] = {offset, length} in bytes. */
  private static final long BLKDISCARD = 0x1277;

  /** From linux/falloc.h: keep the file length, and deallocate the range. */
  private static final int FALLOC_FL_KEEP_SIZE = 0x01;

  private static final int FALLOC_FL_PUNCH_HOLE = 0x02;

  /** From fcntl.h (Linux, every architecture we run on). */
  private static final int O_RDWR = 0x02;

  private static final int O_CLOEXEC = 0x80000;

  /** Public so jnr-ffi can implement it. */
  public interface LibC {
    @SaveError
    int open(String path, int flags);

    /** {@code int ioctl(int fd, unsigned long request, ...)}: two fixed arguments. */
    @SaveError
    @Variadic(fixedCount = 2)
    int ioctl(int fd, NativeLong request, @In long[] range);

    @SaveError
    int fallocate(int fd, int mode, long offset, long length);

    int close(int fd);
  }

  /** How discards reach the device; moves only downwards, each step logged once. */
  private enum Mode { IOCTL, FALLOCATE, NONE }

  private static final LibC LIBC = loadLibC();

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
    if (LIBC == null) {
      LOG.info(() -> path + ": libc not available; discard is a no-op");
      return new BlockDiscarder(path, -1);
    }
    int fd = LIBC.open(path.toAbsolutePath().toString(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      LOG.info(() -> path + ": cannot open for discard (errno "
          + Runtime.getRuntime(LIBC).getLastError() + "); discard is a no-op");
    }
    return new BlockDiscarder(path, fd);
  }

  /** True while discards still reach the device (by either call). */
  synchronized boolean works() {
    return mode != Mode.NONE;
  }

  synchronized void discard(long offsetBytes, long lengthBytes) {
    if (lengthBytes == 0) {
      return;
    }
    if (mode == Mode.IOCTL) {
      long[] range = {offsetBytes, lengthBytes};
      if (LIBC.ioctl(fd, new NativeLong(BLKDISCARD), range) == 0) {
        return;
      }
      int errno = Runtime.getRuntime(LIBC).getLastError();
      LOG.info(() -> path + ": ioctl(BLKDISCARD) failed with errno " + errno
          + "; falling back to fallocate(PUNCH_HOLE)");
      mode = Mode.FALLOCATE;
    }
    if (mode == Mode.FALLOCATE) {
      if (LIBC.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offsetBytes,
          lengthBytes) == 0) {
        return;
      }
      int errno = Runtime.getRuntime(LIBC).getLastError();
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
    if (fd >= 0) {
      LIBC.close(fd);
      fd = -1;
    }
  }

  private static LibC loadLibC() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
      return null;
    }
    try {
      return LibraryLoader.create(LibC.class).load("c");
    } catch (Throwable e) { // UnsatisfiedLinkError and friends: run without discard.
      LOG.log(Level.FINE, "libc not loadable; discard is a no-op", e);
      return null;
    }
  }
}
