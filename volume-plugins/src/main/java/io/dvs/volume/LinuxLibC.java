package io.dvs.volume;

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
 * The few Linux calls the JDK does not expose and the plugins need: {@code fallocate(PUNCH_HOLE)}
 * and {@code ioctl(BLKDISCARD)} for discard, {@code sync_file_range} to start writeback early, on
 * a descriptor of our own (the JDK hides a FileChannel's). Shared by the {@code file} and
 * {@code ssd} plugins. Where libc cannot be loaded (not Linux), {@link #available()} is false and
 * callers make these calls no-ops: each is a hint, never needed for correctness.
 */
public final class LinuxLibC {
  private static final Logger LOG = Logger.getLogger(LinuxLibC.class.getName());

  /** From linux/falloc.h: keep the file length, and deallocate the range. */
  public static final int FALLOC_FL_KEEP_SIZE = 0x01;
  public static final int FALLOC_FL_PUNCH_HOLE = 0x02;

  /** From linux/fs.h: start writeback of the range's dirty pages, do not wait for it. */
  public static final int SYNC_FILE_RANGE_WRITE = 0x02;

  /** From linux/fs.h: _IO(0x12, 119), argument uint64_t[2] = {offset, length} in bytes. */
  public static final long BLKDISCARD = 0x1277;

  /** From fcntl.h (Linux, every architecture we run on). */
  private static final int O_RDWR = 0x02;
  private static final int O_CLOEXEC = 0x80000;

  /** The bound functions. Public so jnr-ffi can implement it. */
  public interface Calls {
    @SaveError
    int open(String path, int flags);

    /** {@code int ioctl(int fd, unsigned long request, ...)}: two fixed arguments. */
    @SaveError
    @Variadic(fixedCount = 2)
    int ioctl(int fd, NativeLong request, @In long[] range);

    @SaveError
    int fallocate(int fd, int mode, long offset, long length);

    @SaveError
    int sync_file_range(int fd, long offset, long nbytes, int flags);

    int close(int fd);
  }

  private static final Calls LIBC = load();

  private LinuxLibC() {}

  public static boolean available() {
    return LIBC != null;
  }

  /** Opens {@code path} read-write (close-on-exec); returns the descriptor, or -1. */
  public static int openReadWrite(Path path) {
    return LIBC == null ? -1 : LIBC.open(path.toAbsolutePath().toString(), O_RDWR | O_CLOEXEC);
  }

  /** fallocate(PUNCH_HOLE | KEEP_SIZE); true on success. */
  public static boolean punchHole(int fd, long offsetBytes, long lengthBytes) {
    return LIBC.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offsetBytes,
        lengthBytes) == 0;
  }

  /**
   * sync_file_range(0, 0, WRITE): starts writeback of every dirty page of the file, without
   * waiting for it (it may wait for room in the device's request queue); true on success.
   */
  public static boolean startWriteback(int fd) {
    return LIBC.sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0;
  }

  /** ioctl(BLKDISCARD) on a block device; true on success. */
  public static boolean blockDiscard(int fd, long offsetBytes, long lengthBytes) {
    return LIBC.ioctl(fd, new NativeLong(BLKDISCARD), new long[] {offsetBytes, lengthBytes}) == 0;
  }

  public static void close(int fd) {
    if (fd >= 0) {
      LIBC.close(fd);
    }
  }

  /** errno of the last failed call on this thread. */
  public static int lastErrno() {
    return Runtime.getRuntime(LIBC).getLastError();
  }

  private static Calls load() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
      return null;
    }
    try {
      return LibraryLoader.create(Calls.class).load("c");
    } catch (Throwable e) { // UnsatisfiedLinkError and friends: run without discard.
      LOG.log(Level.FINE, "libc not loadable; discard is a no-op", e);
      return null;
    }
  }
}
