package io.dvs.node.dedup;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.node.Await;
import io.dvs.node.store.DataDirectory;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.message.NodeStats;
import io.dvs.volume.BlockDevice;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DedupEngineTest {
  @TempDir Path dir;
  private DedupEngine engine;

  private DedupEngine open(long capacityBlocks) {
    DataDirectory d = DataDirectory.openOrFormat(dir, capacityBlocks, Fingerprinters.SHA_256);
    engine = DedupEngine.open(d.meta(), d.device(), Fingerprinters.forName(
        d.superblock().fingerprintAlgorithm()), d.superblock().verifyOnMatch());
    return engine;
  }

  @AfterEach
  void closeEngine() {
    if (engine != null) {
      engine.close();
    }
  }

  /** A block whose every byte is {@code seed}: equal seeds, equal content. */
  static byte[] block(int seed) {
    byte[] b = new byte[BLOCK_SIZE_BYTES];
    java.util.Arrays.fill(b, (byte) seed);
    b[0] = (byte) (seed >> 8);
    return b;
  }

  static byte[] blocks(int... seeds) {
    byte[] out = new byte[seeds.length * BLOCK_SIZE_BYTES];
    for (int i = 0; i < seeds.length; i++) {
      System.arraycopy(block(seeds[i]), 0, out, i * BLOCK_SIZE_BYTES, BLOCK_SIZE_BYTES);
    }
    return out;
  }

  private void write(long pa, int seed) {
    engine.write(new long[] {pa}, block(seed), 0);
  }

  private void assertReads(long pa, byte[] expected) {
    assertArrayEquals(expected, engine.read(new long[] {pa}), "PA " + pa);
  }

  @Test
  void identicalBlocksAreStoredOnce() {
    open(100);
    engine.write(new long[] {1, 2, 3, 4}, blocks(7, 7, 8, 7), 0);
    write(5, 8);
    NodeStats s = engine.stats();
    assertEquals(2, s.usedBlocks(), "two distinct contents");
    assertEquals(5, s.mappedPas());
    assertEquals(2, s.uniqueWrites());
    assertEquals(3, s.duplicateWrites());
    assertEquals(100, s.capacityBlocks());
    assertEquals(engine.locationOf(1), engine.locationOf(4));
    assertEquals(3, engine.refCount(engine.locationOf(1)));
    assertEquals(2, engine.refCount(engine.locationOf(3)));
    assertReads(4, block(7));
    assertReads(5, block(8));
    assertReads(99, new byte[BLOCK_SIZE_BYTES]);
  }

  @Test
  void overwriteAndReleaseDropReferencesAndFreeSpace() {
    open(100);
    write(1, 7);
    write(2, 7);
    long l7 = engine.locationOf(1);
    write(1, 9); // overwrite: L of 7 keeps one reference
    assertEquals(1, engine.refCount(l7));
    assertEquals(2, engine.stats().usedBlocks());
    write(1, 9); // idempotent retry: nothing changes
    assertEquals(1, engine.refCount(engine.locationOf(1)));
    engine.release(new long[] {2, 2, 42}); // a PA twice and an unmapped PA: no-ops
    assertEquals(0, engine.refCount(l7));
    assertTrue(engine.isQuarantined(l7));
    assertReads(2, new byte[BLOCK_SIZE_BYTES]);
    NodeStats s = engine.stats();
    assertEquals(1, s.usedBlocks());
    assertEquals(1, s.mappedPas());
    write(3, 7); // content 7 is gone from the index: stored anew, at another L
    assertNotEquals(l7, engine.locationOf(3));
    engine.commit();
    engine.awaitDiscards();
    assertTrue(!engine.isQuarantined(l7), "commit, then its discard, frees the quarantined L");
  }

  @Test
  void restartKeepsEveryFlushedBlock() {
    open(1000);
    Random random = new Random(42);
    byte[] data = new byte[64 * BLOCK_SIZE_BYTES];
    random.nextBytes(data);
    long[] pas = new long[64];
    for (int i = 0; i < 64; i++) {
      pas[i] = 1_000_000L + i * 7;
    }
    engine.write(pas, data, 0);
    engine.write(new long[] {5, 6}, blocks(3, 3), 0);
    NodeStats before = engine.stats();
    engine.commit();
    engine.close();
    open(1); // the capacity only matters when formatting
    assertArrayEquals(data, engine.read(pas));
    assertReads(6, block(3));
    // Space and dedup counters persist; the filter counters count since start.
    assertEquals(new NodeStats(before.capacityBlocks(), before.usedBlocks(), before.mappedPas(),
        before.uniqueWrites(), before.duplicateWrites(), 0, 0, 0, 0), engine.stats());
    assertEquals(1000, engine.stats().capacityBlocks());
  }

  @Test
  void crashKeepsTheLastCommitAndNeverTheQuarantinedData() {
    open(10);
    engine.write(new long[] {1, 2, 3, 4, 5, 6, 7, 8}, blocks(1, 2, 3, 4, 5, 6, 7, 8), 0);
    engine.release(new long[] {3, 4});
    engine.commit();
    engine.awaitDiscards(); // L0, L1, L4..L7 hold data; L2, L3, L8, L9 are free
    write(1, 5); // overwrite with content stored at L4: L0 quarantined
    engine.release(new long[] {2}); // L1 quarantined
    // Three new blocks fill L8 and L9 and wrap around: they must skip L0 and L1 (quarantined) and
    // take L2, or the crash below would leave PAs 1 and 2 pointing at foreign data.
    engine.write(new long[] {20, 21, 22}, blocks(20, 21, 22), 0);
    assertTrue(engine.isQuarantined(0) && engine.isQuarantined(1));
    for (long pa : new long[] {20, 21, 22}) {
      assertTrue(engine.locationOf(pa) > 1, "PA " + pa + " at L " + engine.locationOf(pa));
    }
    engine.crash();
    engine = null;
    open(10);
    assertReads(1, block(1));
    assertReads(2, block(2));
    assertReads(3, new byte[BLOCK_SIZE_BYTES]);
    assertReads(20, new byte[BLOCK_SIZE_BYTES]);
    assertEquals(6, engine.stats().usedBlocks());
    assertEquals(6, engine.stats().mappedPas());
  }

  @Test
  void noSpaceThenRecoveryAfterRelease() {
    open(4);
    engine.write(new long[] {0, 1, 2, 3}, blocks(1, 2, 3, 4), 0);
    NodeStats full = engine.stats();
    DvsException e = assertThrows(DvsException.class, () -> write(4, 5));
    assertEquals(ErrorCode.NO_SPACE, e.code());
    write(5, 2); // duplicates still fit
    assertEquals(full.usedBlocks(), engine.stats().usedBlocks());
    for (int pa = 0; pa < 4; pa++) {
      assertReads(pa, block(pa + 1));
    }
    assertReads(4, new byte[BLOCK_SIZE_BYTES]);
    engine.release(new long[] {0});
    write(4, 5); // the freed L comes back through a commit, not a silent reuse
    assertReads(4, block(5));
    for (int pa = 1; pa < 4; pa++) {
      assertReads(pa, block(pa + 1));
    }
    assertEquals(4, engine.stats().usedBlocks());
  }

  /** The file device, whose discards wait for {@link #gate} and are recorded. */
  private static final class GatedDiscards extends ForwardingDevice {
    final CountDownLatch gate = new CountDownLatch(1);
    final CountDownLatch discarding = new CountDownLatch(1);
    final List<long[]> discards = new CopyOnWriteArrayList<>();

    GatedDiscards(BlockDevice inner) {
      super(inner);
    }

    @Override public void discard(long blockNo, long count) throws IOException {
      discarding.countDown();
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
      discards.add(new long[] {blockNo, count});
      inner.discard(blockNo, count);
    }
  }

  private static long[] pas(int from, int count) {
    long[] pas = new long[count];
    for (int i = 0; i < count; i++) {
      pas[i] = from + i;
    }
    return pas;
  }

  private static byte[] seeds(int from, int count) {
    int[] seeds = new int[count];
    for (int i = 0; i < count; i++) {
      seeds[i] = from + i;
    }
    return blocks(seeds);
  }

  /** A fresh engine whose device holds every discard until its gate opens. */
  private GatedDiscards openGated(long capacityBlocks) {
    DataDirectory d = DataDirectory.openOrFormat(dir, capacityBlocks, Fingerprinters.SHA_256);
    GatedDiscards device = new GatedDiscards(d.device());
    engine = DedupEngine.open(d.meta(), device, Fingerprinters.forName(Fingerprinters.SHA_256),
        false);
    return device;
  }

  @Test
  void slowDiscardsNeitherBlockWritersNorHitNewData() throws Exception {
    GatedDiscards device = openGated(48);
    engine.write(pas(1, 16), seeds(1, 16), 0); // L0..L15
    engine.release(pas(1, 16));
    engine.commit();
    assertTrue(device.discarding.await(10, TimeUnit.SECONDS), "the discard of L0..L15 started");
    ExecutorService writer = Executors.newSingleThreadExecutor();
    try {
      // The discard hangs, yet writes with free space go on: L16..L47.
      writer.submit(() -> engine.write(pas(101, 32), seeds(101, 32), 0))
          .get(10, TimeUnit.SECONDS);
      assertTrue(engine.isQuarantined(0), "L0 is not free before its discard ended");
      // Out of free space: this write needs L0.. and waits for the discard, not NO_SPACE.
      Future<?> needsFreed =
          writer.submit(() -> engine.write(pas(201, 2), seeds(201, 2), 0));
      Await.until("the writer parked for the discard", engine::writerWaitsForDiscard);
      assertTrue(!needsFreed.isDone(), "the write waits for the discard in progress");
      device.gate.countDown();
      needsFreed.get(10, TimeUnit.SECONDS);
    } finally {
      device.gate.countDown();
      writer.shutdownNow();
    }
    engine.awaitDiscards();
    assertEquals(1, device.discards.size());
    assertArrayEquals(new long[] {0, 16}, device.discards.get(0), "one run, L0..L15");
    assertArrayEquals(seeds(101, 32), engine.read(pas(101, 32)));
    assertArrayEquals(seeds(201, 2), engine.read(pas(201, 2)));
    assertReads(1, new byte[BLOCK_SIZE_BYTES]);
    engine.commit();
    engine.close();
    engine = null;
    open(48);
    assertArrayEquals(seeds(101, 32), engine.read(pas(101, 32)));
    assertArrayEquals(seeds(201, 2), engine.read(pas(201, 2)));
  }

  @Test
  void aCrashWhileDiscardingLosesNothingCommitted() throws Exception {
    GatedDiscards device = openGated(64);
    engine.write(pas(1, 32), seeds(1, 32), 0); // L0..L31
    engine.commit();
    engine.release(pas(1, 16));
    engine.commit(); // the discard of L0..L15 hangs
    assertTrue(device.discarding.await(10, TimeUnit.SECONDS));
    engine.write(pas(101, 8), seeds(101, 8), 0);
    engine.commit();
    ExecutorService crasher = Executors.newSingleThreadExecutor();
    try {
      Future<?> crashed = crasher.submit(engine::crash);
      Await.until("the crash stopping the discarder", engine::discardsStopping);
      assertTrue(!crashed.isDone(), "a crash waits for the hole being punched");
      device.gate.countDown();
      crashed.get(10, TimeUnit.SECONDS);
    } finally {
      device.gate.countDown();
      crasher.shutdownNow();
    }
    engine = null;
    open(64);
    assertArrayEquals(seeds(17, 16), engine.read(pas(17, 16)));
    assertArrayEquals(seeds(101, 8), engine.read(pas(101, 8)));
    assertArrayEquals(new byte[16 * BLOCK_SIZE_BYTES], engine.read(pas(1, 16)));
    assertEquals(24, engine.stats().usedBlocks());
    engine.write(pas(201, 40), seeds(201, 40), 0); // every L not in use is free again
    assertArrayEquals(seeds(201, 40), engine.read(pas(201, 40)));
  }

  @Test
  void discardPlanMergesAcrossFreeGapsAndSkipsScatteredLs() {
    // Free Ls (besides the freed ones): 20..29 and 40..41; 60..99 are in use.
    java.util.function.LongPredicate freeL = l -> (l >= 20 && l < 30) || (l >= 40 && l < 42);
    DedupEngine.FreeRange free = (from, to) -> {
      for (long l = from; l < to; l++) {
        if (!freeL.test(l)) {
          return false;
        }
      }
      return true;
    };
    long[] freed = {10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 30, 31, 35, 36, 37, 38, 39, 42, 43,
        50, 70, 71, 72};
    List<long[]> gaps = new ArrayList<>();
    List<long[]> ranges = DedupEngine.planDiscards(freed, free, 256, 16, gaps);
    // 10..31 (gap 20..29 free), then 35..43 (gap 32..34 in use: not merged; 40..41 free)
    // is 9 < 16 blocks and is skipped with 50 and 70..72.
    assertEquals(1, ranges.size());
    assertArrayEquals(new long[] {10, 32}, ranges.get(0));
    assertEquals(1, gaps.size());
    assertArrayEquals(new long[] {20, 30}, gaps.get(0));
    gaps.clear();
    ranges = DedupEngine.planDiscards(freed, free, 8, 1, gaps); // gap 20..29 too long now
    assertEquals(List.of("10-20", "30-32", "35-44", "50-51", "70-73"),
        ranges.stream().map(r -> r[0] + "-" + r[1]).collect(java.util.stream.Collectors.toList()));
    assertEquals(1, gaps.size());
    assertArrayEquals(new long[] {40, 42}, gaps.get(0));
  }

  @Test
  void batchWithDuplicatesInsideItAndARepeatedPa() {
    open(10);
    engine.write(new long[] {1, 2, 1}, blocks(5, 5, 6), 0);
    assertReads(1, block(6));
    assertReads(2, block(5));
    assertEquals(2, engine.stats().usedBlocks());
    assertEquals(2, engine.stats().mappedPas());
  }

  @Test
  void concurrentWritersKeepRefcountsExact() throws Exception {
    open(10_000);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          for (int i = 0; i < 200; i++) {
            // Shared contents (i % 50) across threads, disjoint PAs per thread.
            engine.write(new long[] {thread * 1000L + i}, block(i % 50), 0);
          }
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    NodeStats s = engine.stats();
    assertEquals(50, s.usedBlocks());
    assertEquals(800, s.mappedPas());
    assertEquals(16, engine.refCount(engine.locationOf(0)));
    engine.close();
    engine = null;
    open(1); // the reopen check recounts references against the counters
    assertReads(3199 - 3000 + 3000, block(199 % 50));
  }

  /**
   * A fingerprint that sees only the first byte of a block: collisions everywhere. With
   * verify-on-match the engine compares bytes before sharing, so different blocks under one
   * fingerprint are stored apart and every block reads back as written.
   */
  @Test
  void verifyOnMatchStoresCollidingBlocksApart() {
    DataDirectory d = DataDirectory.openOrFormat(dir, 100, Fingerprinters.SHA_256, true);
    Fingerprinter weak = new Fingerprinter() {
      @Override
      public String algorithm() {
        return "weak";
      }

      @Override
      public int digestBytes() {
        return 32;
      }

      @Override
      public byte[] fingerprint(byte[] src, int off) {
        byte[] fp = new byte[32];
        fp[0] = src[off];
        return fp;
      }
    };
    engine = DedupEngine.open(d.meta(), d.device(), weak, d.superblock().verifyOnMatch());
    byte[] a = block(0x0102); // first byte 0x01, rest 0x02
    byte[] b = block(0x0103); // first byte 0x01, rest 0x03: same weak fingerprint
    engine.write(new long[] {1}, a, 0);
    engine.write(new long[] {2}, b, 0);
    engine.write(new long[] {3}, a, 0);
    assertReads(1, a);
    assertReads(2, b);
    assertReads(3, a);
    assertEquals(2, engine.stats().usedBlocks());
    assertEquals(engine.locationOf(1), engine.locationOf(3), "true duplicates still share");
    assertTrue(engine.verifyMismatches() >= 1);
  }
}
