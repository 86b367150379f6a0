package io.dvs.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dvs.client.DvsClient;
import io.dvs.client.FuseMount;
import io.dvs.protocol.message.NodeStats;
import io.dvs.tools.cluster.EmbeddedCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walking skeleton end to end, in one process: an embedded cluster (real MS and SN servers
 * on loopback), a real FUSE mount, real `cp`, then unmount, restart everything and compare every
 * byte; and the SN's own counters show that a file copied twice is stored once.
 */
class EmbeddedMountIT {
  @TempDir Path tmp;

  /** A mounted volume over a running embedded cluster, closed in order. */
  private record Mounted(EmbeddedCluster cluster, DvsClient client, FuseMount mount)
      implements AutoCloseable {
    static Mounted start(Path data, Path mountPoint) {
      EmbeddedCluster cluster = EmbeddedCluster.start(data, 8L << 30);
      DvsClient client = DvsClient.open(cluster.metaAddress(), "default", "test-client", true);
      FuseMount mount = FuseMount.mount(client.filesystem(), mountPoint, List.of());
      return new Mounted(cluster, client, mount);
    }

    @Override
    public void close() {
      try {
        mount.unmount();
        client.close();
      } finally {
        cluster.close();
      }
    }
  }

  @Test
  void treeSurvivesUnmountAndRestartByteForByte() throws Exception {
    assumeTrue(TestTrees.fuseAvailable(), "needs root, /dev/fuse and libfuse2 (CI has them)");
    Path src = tmp.resolve("src");
    TestTrees.build(src, 3000, 42);
    Path data = tmp.resolve("data");
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));

    try (Mounted m = Mounted.start(data, mnt)) {
      String device = FuseMount.deviceOf(mnt, Path.of("/proc/self/mountinfo"));
      assertEquals(FuseMount.READ_AHEAD_KB + "", Files.readString(
          Path.of("/sys/class/bdi", device, "read_ahead_kb")).trim(), "read-ahead of " + device);
      assertEquals(0, TestTrees.run(tmp, "cp", "-a", src + "/.", mnt.toString()), "cp -a");
      TestTrees.assertSameTree(src, mnt);
    }
    try (Mounted m = Mounted.start(data, mnt)) {
      TestTrees.assertSameTree(src, mnt);
      assertEquals(0, TestTrees.run(tmp, "diff", "-r", "--no-dereference", src.toString(),
          mnt.toString()), "diff -r after remount");
    }
  }

  @Test
  void aFileCopiedTwiceIsStoredOnce() throws Exception {
    assumeTrue(TestTrees.fuseAvailable(), "needs root, /dev/fuse and libfuse2 (CI has them)");
    Path original = tmp.resolve("random.bin");
    Files.write(original, TestTrees.bytes(new Random(7), 4 * 1024 * 1024));
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));
    try (Mounted m = Mounted.start(tmp.resolve("data"), mnt)) {
      NodeStats before = m.cluster().node().stats();
      assertEquals(0, TestTrees.run(tmp, "cp", original.toString(), mnt.resolve("a.bin").toString()));
      m.client().sync();
      NodeStats once = m.cluster().node().stats();
      assertEquals(0, TestTrees.run(tmp, "cp", original.toString(), mnt.resolve("b.bin").toString()));
      m.client().sync();
      NodeStats twice = m.cluster().node().stats();

      long blocks = 1024;
      assertEquals(blocks, once.usedBlocks() - before.usedBlocks(), "first copy stores 1024 blocks");
      assertEquals(0, twice.usedBlocks() - once.usedBlocks(), "second copy stores nothing new");
      assertEquals(blocks, twice.duplicateWrites() - once.duplicateWrites());
      assertEquals(2 * blocks, twice.mappedPas() - before.mappedPas(), "both names map PAs");
      assertTrue(Files.mismatch(original, mnt.resolve("b.bin")) < 0);
    }
  }
}
