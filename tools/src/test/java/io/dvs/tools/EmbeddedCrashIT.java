package io.dvs.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `dvs mount --data DIR` killed with {@code kill -9} (its MS, SN and client all die at once):
 * the same command mounts again at once, without waiting out the dead run's lease, and the
 * file fsync'd before the kill is there byte for byte. (Before, the second mount was refused:
 * "volume 'default' is mounted by client ...; unmount it there or wait".) A file that was open
 * and unlinked at the kill leaves no name behind (Namespace drops libfuse's hidden name).
 */
class EmbeddedCrashIT {
  static final long START_TIMEOUT_MS = 60_000;

  @TempDir Path tmp;

  @Test
  void mountingAgainAfterKill9NeedsNoWaitAndKeepsWhatWasFsynced() throws Exception {
    assumeTrue(TestTrees.fuseAvailable(), "needs root, /dev/fuse and libfuse2 (CI has them)");
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));
    byte[] fsynced = TestTrees.bytes(new Random(9), 5 * 1024 * 1024 + 3);
    Files.write(tmp.resolve("fsynced.bin"), fsynced);
    String data = tmp.resolve("data").toString();

    RandomAccessFile unlinkedOpen;
    try (DvsProcess mount = DvsProcess.start("mount", "--data", data, mnt.toString())) {
      mount.await("mounted at", START_TIMEOUT_MS);
      assertEquals(0, TestTrees.run(tmp, "dd", "if=" + tmp.resolve("fsynced.bin"),
          "of=" + mnt.resolve("fsynced.bin"), "bs=1M", "conv=fsync", "status=none"));
      // A file open and unlinked at the kill: libfuse had renamed it to .fuse_hiddenN.
      Path dir = Files.createDirectories(mnt.resolve("dir"));
      unlinkedOpen = new RandomAccessFile(dir.resolve("tmp").toFile(), "rw");
      unlinkedOpen.write(fsynced, 0, 1024 * 1024);
      unlinkedOpen.getFD().sync();
      Files.delete(dir.resolve("tmp"));
      assertEquals(1024 * 1024, unlinkedOpen.length(), "fstat of the unlinked open file");
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true); // the unlink, durable: without this the kill may undo it (POSIX)
      }
      mount.kill();
    }
    assertEquals(0, TestTrees.run(tmp, "fusermount", "-u", "-z", mnt.toString()));
    try {
      unlinkedOpen.close();
    } catch (IOException expected) {
      // its mount is gone
    }

    try (DvsProcess mount = DvsProcess.start("mount", "--data", data, mnt.toString())) {
      mount.await("mounted at", START_TIMEOUT_MS);
      assertArrayEquals(fsynced, Files.readAllBytes(mnt.resolve("fsynced.bin")));
      try (Stream<Path> left = Files.list(mnt.resolve("dir"))) {
        assertEquals(List.of(), left.collect(Collectors.toList()), "no .fuse_hidden leftover");
      }
      Files.delete(mnt.resolve("dir"));
      assertEquals(0, mount.terminate(), mount.output());
    }
  }
}
