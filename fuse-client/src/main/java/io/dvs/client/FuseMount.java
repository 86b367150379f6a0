package io.dvs.client;

import io.dvs.client.fs.DvsFilesystem;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A {@link DvsFilesystem} mounted in the kernel through libfuse2: jnr-fuse's callbacks, served
 * by {@link FuseSessionLoop} on Java threads; {@link #unmount} or an outside `fusermount -u`
 * ends it.
 */
public final class FuseMount {
  /** How long the kernel may take to mount us and send FUSE_INIT. */
  static final long MOUNT_TIMEOUT_MS = 30_000;
  /** How long an unmount may take before we detach lazily. */
  static final long UNMOUNT_TIMEOUT_MS = 30_000;

  /**
   * 128 KiB requests (the kernel sends 4 KiB writes without big_writes), the root's mount
   * shared with all users, kernel permission checks, our inode numbers in st_ino.
   *
   * <p>No hard_remove: unlink of an open file makes libfuse2 rename it to .fuse_hiddenN and
   * unlink that name at the last close. With hard_remove the file kept working for I/O by handle,
   * but fstat(2) of it failed ENOENT: the kernel sends GETATTR of an inode without its handle,
   * and libfuse finds no path for a removed name (open, unlink, fstat is how mkstemp users and
   * stress-ng's fallocate, hdd and readahead stressors size their temporary files). Namespace
   * keeps the hidden names out of readdir and out of rmdir's emptiness check.
   *
   * <p>auto_cache: the page cache survives close/open while the file's mtime and size stay the
   * same (libfuse compares them at each open). Safe because this mount holds the volume's only
   * read-write lease: every change comes through this kernel. Not kernel_cache, which keeps
   * pages unconditionally: libfuse2 gives each hard-link name its own kernel inode and page
   * cache, so a read through one name after a write through another returned the old bytes.
   *
   * <p>attr_timeout=0: libfuse2's high-level API gives each name its own kernel inode, so
   * cached attributes of one hard link would miss a change made through another (nlink,
   * ctime, mode). A getattr is an in-memory answer here, so correctness costs little.
   *
   * <p>entry_timeout=60, negative_timeout=60: names (and their absence) may be cached far longer
   * than libfuse's 1 s, for the same reason as auto_cache: every create, unlink and rename of
   * this volume passes through this kernel, which updates its dentries itself. A stat sweep over
   * a large tree then costs one request per file, not a LOOKUP and a GETATTR once a second.
   */
  static final String BASE_OPTIONS =
      "big_writes,max_write=131072,max_read=131072,fsname=dvs,subtype=dvs,use_ino,"
          + "default_permissions,auto_cache,attr_timeout=0,entry_timeout=60,"
          + "negative_timeout=60";

  /**
   * The kernel's read-ahead on the mount, set after FUSE_INIT (as root): 8 requests of max_read.
   * The kernel caps it at 128 KiB for FUSE (the init reply can only lower that), so a sequential
   * reader had one 128 KiB request at a time in our multi-threaded loop; with 1 MiB the kernel
   * sends the next ones while we serve the first, and the SNs' reads overlap. By hand, 512 MiB
   * files read with 1 MiB reads after a cache drop: embedded mount 492–806 → 907–1085 MB/s,
   * multi-process mount 483–619 → 637–699 MB/s; 4 KiB random reads unchanged.
   */
  public static final int READ_AHEAD_KB = 1024;

  private final DvsFilesystem fs;
  private final Path mountPoint;
  private final CompletableFuture<Integer> loop;

  private FuseMount(DvsFilesystem fs, Path mountPoint, CompletableFuture<Integer> loop) {
    this.fs = fs;
    this.mountPoint = mountPoint;
    this.loop = loop;
  }

  /** Checks the mount point, mounts, and returns once the kernel has initialised the mount. */
  public static FuseMount mount(DvsFilesystem fs, Path mountPoint, List<String> extraOptions) {
    Path mp = mountPoint.toAbsolutePath().normalize();
    checkMountPoint(mp);
    List<String> args = new ArrayList<>(List.of("dvs", "-f", mp.toString()));
    StringBuilder options = new StringBuilder(BASE_OPTIONS);
    if (isRoot()) {
      options.append(",allow_other");
    }
    for (String o : extraOptions) {
      options.append(',').append(o);
    }
    args.add("-o");
    args.add(options.toString());
    CompletableFuture<Integer> loop = new CompletableFuture<>();
    Thread thread = new Thread(() -> {
      try {
        int status = FuseSessionLoop.run(fs.operations(), args.toArray(new String[0]),
            "dvs-fuse", fs::requestEnded);
        if (status == 0) {
          loop.complete(0);
        } else {
          loop.completeExceptionally(new DvsException(ErrorCode.UNAVAILABLE,
              "libfuse ended the mount of " + mp + " with status " + status));
        }
      } catch (Throwable t) {
        loop.completeExceptionally(t);
      }
    }, "dvs-fuse-loop");
    thread.setDaemon(true);
    thread.start();
    awaitInit(fs, mp, loop);
    raiseReadAhead(mp);
    return new FuseMount(fs, mp, loop);
  }

  /**
   * Sets {@link #READ_AHEAD_KB} on the mount's backing device info, found by its device number
   * in /proc/self/mountinfo. Only root may write there; anyone else keeps the kernel's 128 KiB,
   * which costs speed and nothing else, so a failure is not an error.
   */
  private static void raiseReadAhead(Path mp) {
    String device = deviceOf(mp, Path.of("/proc/self/mountinfo"));
    if (device == null || !isRoot()) {
      return;
    }
    try {
      Files.writeString(Path.of("/sys/class/bdi", device, "read_ahead_kb"),
          Integer.toString(READ_AHEAD_KB));
    } catch (IOException | RuntimeException e) {
      // no bdi entry for it (an old kernel) or not writable here: keep the kernel's read-ahead
    }
  }

  /**
   * The "major:minor" of the last mount at {@code mp} listed in {@code mountinfo} (proc(5):
   * the third field; the fifth is the mount point, with space, tab, newline and backslash as
   * octal escapes), or null if none is or the file cannot be read.
   */
  public static String deviceOf(Path mp, Path mountinfo) {
    String escaped = mp.toString().replace("\\", "\\134").replace(" ", "\\040")
        .replace("\t", "\\011").replace("\n", "\\012");
    String device = null;
    try {
      for (String line : Files.readAllLines(mountinfo)) {
        String[] fields = line.split(" ");
        if (fields.length > 4 && fields[4].equals(escaped)
            && fields[2].matches("[0-9]+:[0-9]+")) {
          device = fields[2];
        }
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    return device;
  }

  private static void awaitInit(DvsFilesystem fs, Path mp, CompletableFuture<Integer> loop) {
    long deadline = System.currentTimeMillis() + MOUNT_TIMEOUT_MS;
    try {
      while (!fs.initialized().await(50, TimeUnit.MILLISECONDS)) {
        if (loop.isDone()) {
          throw new DvsException(ErrorCode.UNAVAILABLE, "cannot mount " + mp
              + ": libfuse refused (is /dev/fuse usable? run as root, or install fuse3)");
        }
        if (System.currentTimeMillis() > deadline) {
          throw new DvsException(ErrorCode.TIMEOUT, "mounting " + mp + " took over "
              + MOUNT_TIMEOUT_MS + " ms");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DvsException(ErrorCode.UNAVAILABLE, "interrupted while mounting " + mp);
    }
  }

  private static void checkMountPoint(Path mp) {
    if (!Files.isDirectory(mp)) {
      throw new DvsException(ErrorCode.INVALID_ARGUMENT, "mount point " + mp
          + " is not a directory; create it first: mkdir -p " + mp);
    }
    try (Stream<Path> entries = Files.list(mp)) {
      if (entries.findAny().isPresent()) {
        throw new DvsException(ErrorCode.INVALID_ARGUMENT, "mount point " + mp
            + " is not empty (is something mounted there already?); choose an empty directory");
      }
    } catch (IOException e) {
      throw new DvsException(ErrorCode.INVALID_ARGUMENT,
          "cannot read mount point " + mp + ": " + e.getMessage());
    }
    if (!Files.exists(Path.of("/dev/fuse"))) {
      throw new DvsException(ErrorCode.UNAVAILABLE,
          "/dev/fuse is missing: load the fuse module (modprobe fuse) or install fuse3");
    }
  }

  static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  public Path mountPoint() {
    return mountPoint;
  }

  /** Waits until the kernel unmounted us (by {@link #unmount} or `fusermount -u`). */
  public void awaitUnmounted() {
    loop.handle((v, e) -> null).join();
  }

  public boolean isMounted() {
    return !loop.isDone();
  }

  /**
   * Unmounts and waits for libfuse's loop to end. A busy mount point (a process has a file
   * open or its cwd there) cannot simply go: as root, a forced unmount makes the kernel end the
   * FUSE connection, so the loop ends and the caller can flush and stop (that process then gets
   * "Transport endpoint is not connected" there); the mount point is detached lazily either way.
   * Without root, the lazy detach is all there is, and the kernel ends the mount only when the
   * last user leaves: past UNMOUNT_TIMEOUT_MS this throws TIMEOUT saying so.
   */
  public void unmount() {
    if (loop.isDone()) {
      return;
    }
    String mp = mountPoint.toString();
    if (run("fusermount", "-u", mp) != 0) {
      if (isRoot() && run("umount", "-f", mp) >= 0) { // fails "busy", but ends the connection
        System.err.println("dvs: " + mp + " was in use (a process has a file or its working "
            + "directory there); closed it under that process");
      }
      run("fusermount", "-u", "-z", mp);
    }
    try {
      loop.handle((v, e) -> null).get(UNMOUNT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new DvsException(ErrorCode.TIMEOUT, "unmounting " + mp + " did not finish in "
          + UNMOUNT_TIMEOUT_MS + " ms: a process still has a file or its working directory "
          + "there; the mount ends when it leaves (as root, dvs closes it under that process)");
    }
  }

  private static int run(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(UNMOUNT_TIMEOUT_MS, TimeUnit.MILLISECONDS) ? p.exitValue() : -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }
}
