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

  private LoopDevice(Path backingFile, Path device) {
    this.backingFile = backingFile;
    this.device = device;
  }

  /** Creates a sparse {@code sizeBytes} file in {@code dir} and attaches it with losetup. */
  public static LoopDevice attach(Path dir, long sizeBytes) throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")),
        "skipped: loop-device tests need root (running as " + System.getProperty("user.name")
            + ")");
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/losetup"))
            || Files.isExecutable(Path.of("/sbin/losetup")),
        "skipped: losetup not installed");
    Path file = dir.resolve("backing.img");
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(sizeBytes);
    }
    Result r = run("losetup", "--find", "--show", file.toString());
    assumeTrue(r.exitCode == 0 && r.out.startsWith("/dev/"),
        "skipped: losetup --find --show failed (no loop devices here?): " + r.out);
    return new LoopDevice(file, Path.of(r.out));
  }

  public Path device() {
    return device;
  }

  public Path backingFile() {
    return backingFile;
  }

  /** st_blocks x 512 of the backing file via stat(1): the JDK does not expose it. */
  public long backingAllocatedBytes() throws Exception {
    return Long.parseLong(run("stat", "-c", "%b", backingFile.toString()).out) * 512;
  }

  @Override
  public void close() throws Exception {
    Result r = run("losetup", "-d", device.toString());
    if (r.exitCode != 0) {
      throw new IOException("losetup -d " + device + " failed: " + r.out);
    }
  }

  private record Result(int exitCode, String out) {}

  private static Result run(String... command) throws Exception {
    Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    return new Result(p.waitFor(), out);
  }
}
