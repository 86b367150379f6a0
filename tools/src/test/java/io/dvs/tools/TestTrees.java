package io.dvs.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Builds test trees of mixed file sizes, runs real tools, and compares trees byte by byte. */
final class TestTrees {
  /** Sizes around the 4 KiB block edges, where read-modify-write bugs live. */
  static final int[] EDGE_SIZES = {0, 1, 511, 4095, 4096, 4097, 8191, 8192, 12289, 65536, 131073};

  private TestTrees() {}

  /**
   * Writes {@code smallFiles} files spread over subdirectories with edge sizes, a few MiB-sized
   * files, a sparse file with data far apart, and a symlink. Deterministic for a seed.
   */
  static void build(Path root, int smallFiles, long seed) throws IOException {
    Random random = new Random(seed);
    Files.createDirectories(root);
    for (int i = 0; i < smallFiles; i++) {
      Path dir = root.resolve("d" + (i % 40)).resolve("s" + (i % 7));
      Files.createDirectories(dir);
      int size = i < EDGE_SIZES.length * 4 ? EDGE_SIZES[i % EDGE_SIZES.length]
          : random.nextInt(20_000);
      Files.write(dir.resolve("f" + i + ".bin"), bytes(random, size));
    }
    for (int i = 0; i < 3; i++) {
      Files.write(root.resolve("big" + i + ".bin"), bytes(random, (3 + i) * 1024 * 1024 + 123));
    }
    try (RandomAccessFile sparse = new RandomAccessFile(root.resolve("sparse.img").toFile(), "rw")) {
      sparse.seek(2L * 1024 * 1024 * 1024 + 17); // Past 2 GiB: offsets beyond a signed int.
      sparse.write(bytes(random, 10_000));
      sparse.seek(300_000);
      sparse.write(bytes(random, 5000));
    }
    Files.createSymbolicLink(root.resolve("link-to-big0"), Path.of("big0.bin"));
  }

  static byte[] bytes(Random random, int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    return b;
  }

  /** Every regular file under {@code expected} has identical bytes under {@code actual}. */
  static void assertSameTree(Path expected, Path actual) throws IOException {
    List<Path> files = list(expected);
    assertEquals(files, list(actual), "same names under " + actual);
    for (Path rel : files) {
      Path e = expected.resolve(rel);
      Path a = actual.resolve(rel);
      if (Files.isSymbolicLink(e)) {
        assertEquals(Files.readSymbolicLink(e), Files.readSymbolicLink(a), rel.toString());
      } else if (Files.isRegularFile(e)) {
        assertEquals(Files.size(e), Files.size(a), "size of " + rel);
        if (Files.size(e) < 64L * 1024 * 1024) {
          assertArrayEquals(Files.readAllBytes(e), Files.readAllBytes(a), "bytes of " + rel);
        }
      }
    }
    assertEquals(0, run(actual.getParent(), "cmp", expected.resolve("sparse.img").toString(),
        actual.resolve("sparse.img").toString()), "cmp of the sparse file");
  }

  static List<Path> list(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.map(root::relativize).sorted().collect(Collectors.toList());
    }
  }

  /** Runs a real tool and returns its exit code; output goes to the test log. */
  static int run(Path dir, String... command) {
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile()).inheritIO().start();
      if (!p.waitFor(10, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        return -1;
      }
      return p.exitValue();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** FUSE tests need /dev/fuse, libfuse2 and root (CI runs as root). */
  /** Polls {@code condition} (another process or thread makes it true) for {@code timeoutMs}. */
  static void await(String what, long timeoutMs, BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeoutMs + " ms: " + what);
      }
      Thread.sleep(50);
    }
  }

  static boolean fuseAvailable() {
    return Files.exists(Path.of("/dev/fuse")) && "root".equals(System.getProperty("user.name"))
        && (Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libfuse.so.2"))
            || Files.exists(Path.of("/lib/x86_64-linux-gnu/libfuse.so.2")));
  }
}
