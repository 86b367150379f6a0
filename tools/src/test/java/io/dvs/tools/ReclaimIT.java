package io.dvs.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dvs.client.DvsClient;
import io.dvs.client.FuseMount;
import io.dvs.client.net.MetaClient;
import io.dvs.client.net.StorageClients;
import io.dvs.meta.MetadataServer;
import io.dvs.meta.MetadataServerConfig;
import io.dvs.node.StorageNode;
import io.dvs.node.StorageNodeConfig;
import io.dvs.protocol.ProtocolLimits;
import io.dvs.protocol.message.BlockOps;
import io.dvs.protocol.message.NodeStats;
import io.dvs.protocol.message.VolumeOps;
import io.dvs.protocol.message.VolumeStat;
import io.dvs.protocol.message.Wdacg;
import io.dvs.tools.cluster.EmbeddedCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Space reclaim measured where it lands: the SN's physical use ({@link StorageNode#stats()})
 * and the MS's PA use (VOLUME_STAT) return to where they started after (1) a client that took a
 * WDACG and wrote blocks dies without unmounting, and (2) 256 MiB of unique data written
 * through a real FUSE mount is deleted, and a file is truncated.
 */
class ReclaimIT {
  /** Short, so the dead client's lease expires within the test. */
  static final long LEASE_TIMEOUT_MS = 2_000;
  /** Reclaim is asynchronous (releaser ticks, SN commit); it must finish within this. */
  static final long RECLAIM_WAIT_MS = 30_000;
  /** The issue asks for 1 GiB; 256 MiB keeps this test near 30 s on two shared cores. */
  static final int UNIQUE_MIB = 256;

  @TempDir Path tmp;

  @Test
  void aDeadClientsUnmappedWdacgIsReclaimedWhenItsLeaseExpires() throws Exception {
    try (MetadataServer ms = MetadataServer.start(MetadataServerConfig.of(tmp.resolve("ms"))
            .withLeaseTimeoutMs(LEASE_TIMEOUT_MS));
        StorageNode sn = StorageNode.start(StorageNodeConfig.builder(tmp.resolve("sn0"))
            .metaAddress(ms.address()).newDeviceCapacityBytes(1L << 30).build());
        MetaClient admin = new MetaClient(ms.address())) {
      EmbeddedCluster.awaitNodeUp(ms.address());
      admin.createVolume("vol", 0);
      long snBefore = sn.stats().usedBlocks();
      long msBefore = admin.volumeStat("vol").msPasInUse();

      // The doomed client: mount, take a WDACG, write 64 unique blocks to the SN, FLUSH, die.
      int blocks = 64;
      MetaClient meta = new MetaClient(ms.address());
      StorageClients storage = new StorageClients(meta);
      VolumeOps.Mounted m = meta.mount("vol", "doomed", false);
      Wdacg w = meta.allocWdacg(m.volume().volumeId(), m.epoch(), blocks, Wdacg.Alloc.ANY_SN);
      assertEquals(1, w.paStarts().length);
      long[] pas = new long[blocks];
      for (int i = 0; i < blocks; i++) {
        pas[i] = w.paStarts()[0] + i;
      }
      byte[] data = TestTrees.bytes(new Random(1), blocks * ProtocolLimits.BLOCK_SIZE_BYTES);
      StorageClients.Write write =
          new StorageClients.Write(w.snId(), new BlockOps.WriteBlocks(pas, data, 0));
      storage.write(write);
      storage.flushWritten();
      assertTrue(write.settled().isDone(), "the write is durable after flushWritten");
      assertNull(storage.takeLostWrite());
      storage.close();
      meta.close(); // No UNMOUNT: the process "died".
      assertEquals(snBefore + blocks, sn.stats().usedBlocks(), "the SN stored the blocks");
      assertEquals(msBefore + blocks, admin.volumeStat("vol").msPasInUse());

      await("the SN and the MS back where they started", () ->
          sn.stats().usedBlocks() == snBefore && admin.volumeStat("vol").msPasInUse() == msBefore);
      VolumeStat after = admin.volumeStat("vol");
      assertEquals("", after.leaseHolder(), "the expired lease ended");
      assertEquals(0, after.leasedPas());
    }
  }

  @Test
  void deleteAndTruncateReturnSnAndMsSpace() throws Exception {
    assumeTrue(TestTrees.fuseAvailable(), "needs root, /dev/fuse and libfuse2 (CI has them)");
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));
    try (EmbeddedCluster cluster = EmbeddedCluster.start(tmp.resolve("data"), 4L << 30);
        MetaClient admin = new MetaClient(cluster.metaAddress())) {
      DvsClient client = DvsClient.open(cluster.metaAddress(), "default", "reclaim-it", true);
      FuseMount mount = FuseMount.mount(client.filesystem(), mnt, List.of());
      try {
        NodeStats snBefore = cluster.node().stats();
        VolumeStat msBefore = admin.volumeStat("default");

        long t0 = System.nanoTime();
        assertEquals(0, TestTrees.run(tmp, "dd", "if=/dev/urandom", "of=" + mnt.resolve("big"),
            "bs=1M", "count=" + UNIQUE_MIB, "conv=fsync", "status=none"));
        client.sync();
        long writeMs = (System.nanoTime() - t0) / 1_000_000;
        long blocks = UNIQUE_MIB * 256L;
        NodeStats written = cluster.node().stats();
        assertTrue(written.usedBlocks() - snBefore.usedBlocks() >= blocks,
            "SN stores the unique data: " + written);
        assertEquals(msBefore.volume().mappedBlocks() + blocks,
            admin.volumeStat("default").volume().mappedBlocks());

        long t1 = System.nanoTime();
        Files.delete(mnt.resolve("big"));
        client.sync();
        awaitReclaimed(cluster, admin, snBefore, msBefore);
        long reclaimMs = (System.nanoTime() - t1) / 1_000_000;
        System.out.printf("reclaim: wrote %d MiB unique in %d ms; delete reclaimed SN and MS"
            + " space in %d ms%n", UNIQUE_MIB, writeMs, reclaimMs);

        // Truncate: 16 MiB written, cut to 1 block; 4095 blocks come back.
        assertEquals(0, TestTrees.run(tmp, "dd", "if=/dev/urandom", "of=" + mnt.resolve("t"),
            "bs=1M", "count=16", "conv=fsync", "status=none"));
        assertEquals(0, TestTrees.run(tmp, "truncate", "-s", "4096", mnt.resolve("t").toString()));
        client.sync();
        await("truncate reclaimed", () -> cluster.node().stats().usedBlocks()
            == snBefore.usedBlocks() + 1
            && admin.volumeStat("default").volume().mappedBlocks()
                == msBefore.volume().mappedBlocks() + 1);
      } finally {
        mount.unmount();
        client.close();
      }
      // Unmounted: the unused rest of the mount's WDACGs went back too.
      await("MS PA use back after unmount", () ->
          admin.volumeStat("default").msPasInUse() == 1 && admin.volumeStat("default")
              .leasedPas() == 0);
    }
  }

  /** SN physical use and the MS's mapped + releasing PAs are back to the baseline. */
  private static void awaitReclaimed(EmbeddedCluster cluster, MetaClient admin,
      NodeStats snBefore, VolumeStat msBefore) throws Exception {
    await("SN physical use and MS PA use back to the start", () -> {
      VolumeStat now = admin.volumeStat("default");
      return cluster.node().stats().usedBlocks() == snBefore.usedBlocks()
          && now.volume().mappedBlocks() == msBefore.volume().mappedBlocks()
          && now.msPasReleasing() == 0
          && now.msPasInUse() - now.leasedPas() == msBefore.msPasInUse() - msBefore.leasedPas();
    });
  }

  private static void await(String what, BooleanSupplier condition) throws Exception {
    TestTrees.await(what, RECLAIM_WAIT_MS, condition);
  }
}
