package io.dvs.volume.disk;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A loop device over a sparse backing file, for testing raw-device plugins without a spare disk.
 * Needs root and losetup(8); {@link #attach} skips the test (with the reason) when either is
 * missing. Always {@link #close} it: a leaked loop device outlives the JVM.
 */
public final class LoopDevice implements AutoCloseable {
  private final Path backingFile;
  private final Path device;
  /** The ramfs holding the backing file, unmounted on close; or null. */
  private final Path ramfs;

  private LoopDevice(Path backingFile, Path device, Path ramfs) {
    this.backingFile = backingFile;
    this.device = device;
    this.ramfs = ramfs;
  }

  /** Creates a sparse {@code sizeBytes} file in {@code dir} and attaches it with losetup. */
  public static LoopDevice attach(Path dir, long sizeBytes) throws Exception {
    assumeRootAndLosetup();
    return attachFile(Files.createTempFile(dir, "loop", ".img"), sizeBytes, null);
  }

  /**
   * As {@link #attach}, with the backing file on a ramfs, which has no fallocate: the loop
   * driver then offers neither discard nor write-zeroes, like a drive without TRIM, so both
   * ioctl(BLKDISCARD) and fallocate(PUNCH_HOLE) on the device fail (EOPNOTSUPP). Unlike turning
   * discard off in sysfs, this leaves nothing behind in the loop device for its next user.
   */
  public static LoopDevice attachWithoutDiscard(Path dir, long sizeBytes) throws Exception {
    assumeRootAndLosetup();
    Path mount = Files.createDirectory(dir.resolve("ramfs"));
    Result r = run("mount", "-t", "ramfs", "ramfs", mount.toString());
    assumeTrue(r.exitCode == 0, "skipped: cannot mount a ramfs: " + r.out);
    try {
      return attachFile(mount.resolve("backing.img"), sizeBytes, mount);
    } catch (Throwable e) { // including a skipped attach: never leave the mount behind
      unmount(mount);
      throw e;
    }
  }

  private static void assumeRootAndLosetup() {
    assumeTrue("root".equals(System.getProperty("user.name")),
        "skipped: loop-device tests need root (running as " + System.getProperty("user.name")
            + ")");
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/losetup"))
            || Files.isExecutable(Path.of("/sbin/losetup")),
        "skipped: losetup not installed");
  }

  private static LoopDevice attachFile(Path file, long sizeBytes, Path ramfs) throws Exception {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(sizeBytes);
    }
    Result r = run("losetup", "--find", "--show", file.toString());
    assumeTrue(r.exitCode == 0 && r.out.startsWith("/dev/"),
        "skipped: losetup --find --show failed (no loop devices here?): " + r.out);
    return new LoopDevice(file, Path.of(r.out), ramfs);
  }

  public Path device() {
    return device;
  }

  public Path backingFile() {
    return backingFile;
  }

  /**
   * The device vanishes under its users, as a hot-unplugged disk does: the kernel sets its
   * size to 0, so reads hit end-of-device and writes fail (ENOSPC). Truncating the backing file
   * alone is not enough: the loop driver reads zeros past the end of its file.
   */
  public void vanish() throws Exception {
    try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(backingFile.toFile(), "rw")) {
      raf.setLength(0);
    }
    Result r = run("losetup", "--set-capacity", device.toString());
    if (r.exitCode != 0) {
      throw new IOException("losetup --set-capacity " + device + " failed: " + r.out);
    }
  }

  /** st_blocks x 512 of the backing file via stat(1): the JDK does not expose it. */
  public long backingAllocatedBytes() throws Exception {
    return Long.parseLong(run("stat", "-c", "%b", backingFile.toString()).out) * 512;
  }

  @Override
  public void close() throws Exception {
    Result r = run("losetup", "-d", device.toString());
    if (ramfs != null) {
      unmount(ramfs);
    }
    if (r.exitCode != 0) {
      throw new IOException("losetup -d " + device + " failed: " + r.out);
    }
  }

  /** Lazily if the loop driver still holds the backing file: it goes when the driver lets go. */
  private static void unmount(Path mount) throws Exception {
    if (run("umount", mount.toString()).exitCode != 0) {
      Result r = run("umount", "-l", mount.toString());
      if (r.exitCode != 0) {
        throw new IOException("umount -l " + mount + " failed: " + r.out);
      }
    }
  }

  private record Result(int exitCode, String out) {}

  private static Result run(String... command) throws Exception {
    Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    return new Result(p.waitFor(), out);
  }
}
