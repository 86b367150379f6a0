package io.dvs.volume.file;

import java.io.IOException;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;

/**
 * Gives a file's space back with Linux {@code fallocate(PUNCH_HOLE | KEEP_SIZE)}, which the JDK
 * does not expose. It keeps its own descriptor on the file (the JDK hides the FileChannel's).
 * Where libc or the call is missing (not Linux, a file system without hole punching), it turns
 * into a no-op once and says so in the log: a discard is a hint, never needed for correctness.
 */
final class HolePuncher implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(HolePuncher.class.getName());

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

    @SaveError
    int fallocate(int fd, int mode, long offset, long length);

    int close(int fd);
  }

  private static final LibC LIBC = loadLibC();

  private final Path path;

  /** Guarded by {@code this}: the descriptor, or -1 once punching is known not to work. */
  private int fd;

  private HolePuncher(Path path, int fd) {
    this.path = path;
    this.fd = fd;
  }

  static HolePuncher open(Path path) {
    if (LIBC == null) {
      return new HolePuncher(path, -1);
    }
    int fd = LIBC.open(path.toAbsolutePath().toString(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      LOG.fine(() -> path + ": cannot open for hole punching (errno "
          + Runtime.getRuntime(LIBC).getLastError() + "); discard is a no-op");
    }
    return new HolePuncher(path, fd);
  }

  synchronized boolean works() {
    return fd >= 0;
  }

  synchronized void punch(long offsetBytes, long lengthBytes) throws IOException {
    if (fd < 0 || lengthBytes == 0) {
      return;
    }
    if (LIBC.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offsetBytes,
        lengthBytes) != 0) {
      int errno = Runtime.getRuntime(LIBC).getLastError();
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
    if (fd >= 0) {
      LIBC.close(fd);
      fd = -1;
    }
  }

  private static LibC loadLibC() {
    if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
      return null;
    }
    try {
      return LibraryLoader.create(LibC.class).load("c");
    } catch (Throwable e) { // UnsatisfiedLinkError and friends: run without hole punching.
      LOG.log(Level.FINE, "libc not loadable; discard is a no-op", e);
      return null;
    }
  }
}
