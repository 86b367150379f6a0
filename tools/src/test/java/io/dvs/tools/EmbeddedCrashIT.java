package io.dvs.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `dvs mount --data DIR` killed with {@code kill -9} (its MS, SN and client all die at once):
 * the same command mounts again at once, without waiting out the dead run's lease, and the
 * file fsync'd before the kill is there byte for byte. (Before, the second mount was refused:
 * "volume 'default' is mounted by client ...; unmount it there or wait".)
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

    try (DvsProcess mount = DvsProcess.start("mount", "--data", data, mnt.toString())) {
      mount.await("mounted at", START_TIMEOUT_MS);
      assertEquals(0, TestTrees.run(tmp, "dd", "if=" + tmp.resolve("fsynced.bin"),
          "of=" + mnt.resolve("fsynced.bin"), "bs=1M", "conv=fsync", "status=none"));
      mount.kill();
    }
    assertEquals(0, TestTrees.run(tmp, "fusermount", "-u", "-z", mnt.toString()));

    try (DvsProcess mount = DvsProcess.start("mount", "--data", data, mnt.toString())) {
      mount.await("mounted at", START_TIMEOUT_MS);
      assertArrayEquals(fsynced, Files.readAllBytes(mnt.resolve("fsynced.bin")));
      assertEquals(0, mount.terminate(), mount.output());
    }
  }
}
