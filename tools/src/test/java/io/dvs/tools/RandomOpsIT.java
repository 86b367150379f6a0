package io.dvs.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A random-operation data-integrity exerciser in the spirit of fsx: thousands of seeded
 * operations on one file through a real mount — buffered writes and reads at any offset,
 * writes through a shared mmap, O_DIRECT writes and reads, truncates down and up, punched
 * holes, fsyncs, close and reopen — each checked against an in-memory model of the file;
 * then unmount, restart the cluster, and compare the whole file once more.
 *
 * <p>A failure message names the seed and the operation number, so a failure replays exactly.
 */
class RandomOpsIT {
  /** Operations per run: enough to cross block edges, holes and the write-behind window often. */
  static final int OPERATIONS = 3000;
  /** The file stays under this: small enough to compare whole, large enough for many blocks. */
  static final int FILE_BYTES_MAX = 4 * 1024 * 1024;
  /** O_DIRECT needs block-aligned offsets, lengths and buffers. */
  static final int ALIGN_BYTES = 4096;

  @TempDir Path tmp;

  @Test
  void randomOperationsMatchTheModel() throws Exception {
    assumeTrue(TestTrees.fuseAvailable(), PosixIT.SKIP);
    long seed = Long.getLong("dvs.randomops.seed", 20261121L);
    Path data = tmp.resolve("data");
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));
    Path file = mnt.resolve("fsx.bin");
    // The mount runs in its own process, as `dvs mount` always does: a process that page-faults
    // on an mmap of a FUSE file it also serves deadlocks in the kernel (the fault holds the
    // process's mmap lock that the serving threads need), so mmap tests need two processes.
    Exerciser x;
    try (DvsProcess mount = DvsProcess.start("mount", "--data", data.toString(), mnt.toString())) {
      mount.await("mounted at", 60_000);
      x = new Exerciser(new Random(seed), file);
      try {
        for (int op = 0; op < OPERATIONS; op++) {
          try {
            x.step();
          } catch (AssertionError | IOException e) {
            throw new AssertionError("seed " + seed + ", operation " + op + " (" + x.last
                + "): " + e.getMessage(), e);
          }
        }
      } finally {
        x.close(); // An open file would keep the unmount waiting.
      }
      x.verifyWhole("before unmount");
      assertEquals(0, mount.terminate(), "clean unmount");
    }
    try (DvsProcess mount = DvsProcess.start("mount", "--data", data.toString(), mnt.toString())) {
      mount.await("mounted at", 60_000);
      x.verifyWhole("after unmount and restart");
      assertEquals(0, mount.terminate(), "clean unmount");
    }
  }

  /** The file under test, its model, and the operations on both. */
  private static final class Exerciser {
    private final Random random;
    private final Path file;
    private byte[] model = new byte[0];
    private FileChannel channel;
    String last = "start";

    Exerciser(Random random, Path file) throws IOException {
      this.random = random;
      this.file = file;
      this.channel = open();
    }

    private FileChannel open() throws IOException {
      return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
    }

    void step() throws IOException {
      int kind = random.nextInt(100);
      if (kind < 30) {
        write();
      } else if (kind < 50) {
        read();
      } else if (kind < 58) {
        mmapWrite();
      } else if (kind < 64) {
        directWrite();
      } else if (kind < 70) {
        directRead();
      } else if (kind < 78) {
        truncate();
      } else if (kind < 82) {
        punch();
      } else if (kind < 88) {
        last = "fsync";
        channel.force(true);
      } else if (kind < 92) {
        last = "close and reopen";
        channel.close();
        channel = open();
      } else {
        read();
      }
    }

    private void write() throws IOException {
      int offset = random.nextInt(FILE_BYTES_MAX - 1);
      int length = 1 + random.nextInt(Math.min(256 * 1024, FILE_BYTES_MAX - offset));
      byte[] bytes = randomBytes(length);
      last = "write " + length + " at " + offset;
      channel.write(ByteBuffer.wrap(bytes), offset);
      apply(offset, bytes);
    }

    private void read() throws IOException {
      if (model.length == 0) {
        last = "read of an empty file";
        assertEquals(0, Files.size(file));
        return;
      }
      int offset = random.nextInt(model.length);
      int length = 1 + random.nextInt(Math.min(256 * 1024, model.length - offset + 4096));
      last = "read " + length + " at " + offset;
      ByteBuffer buf = ByteBuffer.allocate(length);
      while (buf.hasRemaining() && channel.read(buf, offset + buf.position()) > 0) {
        // Keep reading: FUSE may return short reads at request boundaries.
      }
      int expected = Math.min(length, model.length - offset);
      assertEquals(expected, buf.position(), "bytes read");
      assertSame(offset, Arrays.copyOf(buf.array(), expected));
    }

    /** A write through a shared mapping, forced out: the page cache path to FUSE write. */
    private void mmapWrite() throws IOException {
      if (model.length < 2) {
        write();
        return;
      }
      int offset = random.nextInt(model.length - 1);
      int length = 1 + random.nextInt(Math.min(64 * 1024, model.length - offset));
      byte[] bytes = randomBytes(length);
      last = "mmap write " + length + " at " + offset;
      MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_WRITE, offset, length);
      map.put(bytes);
      map.force();
      unmap(map); // A mapping left to the GC keeps the mount busy at unmount.
      apply(offset, bytes);
    }

    private void directWrite() throws IOException {
      int blocks = 1 + random.nextInt(32);
      int offset = random.nextInt(FILE_BYTES_MAX / ALIGN_BYTES - blocks) * ALIGN_BYTES;
      byte[] bytes = randomBytes(blocks * ALIGN_BYTES);
      last = "O_DIRECT write " + bytes.length + " at " + offset;
      channel.force(true); // Our buffered writes first, as an application mixing modes must.
      try (FileChannel direct = FileChannel.open(file, StandardOpenOption.WRITE,
          ExtendedOpenOption.DIRECT)) {
        ByteBuffer buf = aligned(bytes.length);
        buf.put(bytes).flip();
        assertEquals(bytes.length, direct.write(buf, offset));
      }
      apply(offset, bytes);
    }

    private void directRead() throws IOException {
      int blocks = 1 + random.nextInt(32);
      int offset = random.nextInt(FILE_BYTES_MAX / ALIGN_BYTES - blocks) * ALIGN_BYTES;
      last = "O_DIRECT read " + blocks * ALIGN_BYTES + " at " + offset;
      channel.force(true);
      try (FileChannel direct = FileChannel.open(file, StandardOpenOption.READ,
          ExtendedOpenOption.DIRECT)) {
        ByteBuffer buf = aligned(blocks * ALIGN_BYTES);
        int n = Math.max(0, direct.read(buf, offset));
        int expected = Math.max(0, Math.min(blocks * ALIGN_BYTES, model.length - offset));
        assertEquals(expected, n, "bytes read with O_DIRECT");
        byte[] got = new byte[n];
        buf.flip();
        buf.get(got);
        if (n > 0) {
          assertSame(offset, got);
        }
      }
    }

    private void truncate() throws IOException {
      int size = random.nextInt(FILE_BYTES_MAX);
      last = "truncate to " + size;
      try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
        raf.setLength(size); // ftruncate: shrinks or grows.
      }
      model = Arrays.copyOf(model, size);
    }

    /** fallocate(PUNCH_HOLE|KEEP_SIZE) through the real tool, as the loop driver would. */
    private void punch() throws IOException {
      if (model.length < 2) {
        return;
      }
      int offset = random.nextInt(model.length - 1);
      int length = 1 + random.nextInt(Math.min(512 * 1024, model.length - offset));
      last = "punch " + length + " at " + offset;
      channel.force(true);
      int rc = TestTrees.run(file.getParent(), "fallocate", "--punch-hole", "--keep-size",
          "--offset", String.valueOf(offset), "--length", String.valueOf(length),
          file.toString());
      assertEquals(0, rc, "fallocate --punch-hole");
      Arrays.fill(model, offset, offset + length, (byte) 0);
    }

    void verifyWhole(String when) throws IOException {
      byte[] actual = Files.readAllBytes(file);
      assertEquals(model.length, actual.length, "size " + when);
      int mismatch = Arrays.mismatch(model, actual);
      assertTrue(mismatch < 0, "first difference at byte " + mismatch + " " + when);
    }

    void close() throws IOException {
      channel.force(true);
      channel.close();
    }

    private void apply(int offset, byte[] bytes) {
      if (offset + bytes.length > model.length) {
        model = Arrays.copyOf(model, offset + bytes.length);
      }
      System.arraycopy(bytes, 0, model, offset, bytes.length);
    }

    private void assertSame(int offset, byte[] got) {
      byte[] expected = Arrays.copyOfRange(model, offset, offset + got.length);
      int mismatch = Arrays.mismatch(expected, got);
      assertTrue(mismatch < 0, "data differs at file offset " + (offset + mismatch));
    }

    private byte[] randomBytes(int length) {
      byte[] b = new byte[length];
      random.nextBytes(b);
      if (random.nextInt(4) == 0) {
        Arrays.fill(b, 0, Math.min(length, 8192), (byte) 0); // Zero blocks become holes.
      }
      return b;
    }

    /** Unmaps now (sun.misc.Unsafe.invokeCleaner), instead of whenever the GC gets to it. */
    private static void unmap(MappedByteBuffer map) {
      try {
        java.lang.reflect.Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
        f.setAccessible(true);
        Object unsafe = f.get(null);
        unsafe.getClass().getMethod("invokeCleaner", ByteBuffer.class).invoke(unsafe, map);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot unmap a test mapping", e);
      }
    }

    private static ByteBuffer aligned(int length) {
      return ByteBuffer.allocateDirect(length + ALIGN_BYTES).alignedSlice(ALIGN_BYTES)
          .limit(length);
    }
  }
}
