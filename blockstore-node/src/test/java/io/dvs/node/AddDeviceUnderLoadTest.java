package io.dvs.node;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Paper 1, algorithm 4 under load: clients keep writing unique blocks over the wire while the
 * node's only device fills up and ADD_DEVICE (as {@code dvs node add-device} sends it) adds a
 * second. No write fails, except NO_SPACE sent before the device was added; capacity grows by
 * the new device; every acknowledged block reads back, also after a restart.
 */
class AddDeviceUnderLoadTest {
  static final int FIRST_BLOCKS = 512;
  static final int ADDED_BLOCKS = 512;
  static final int WRITERS = 3;
  static final int BATCH_BLOCKS = 4;
  /** ADD_DEVICE goes out once this much is acknowledged: the first device is nearly full. */
  static final long ADD_AT_BLOCKS = FIRST_BLOCKS * 7 / 8;
  /** Writers stop past this: well into the added device. */
  static final long STOP_AT_BLOCKS = FIRST_BLOCKS + ADDED_BLOCKS / 2;
  /** Each writer's PAs start at a multiple of this: disjoint ranges, unique content. */
  static final long PAS_PER_WRITER = 1L << 20;
  static final long DEADLINE_MS = 30_000;

  @TempDir Path dir;
  private StorageNode node;

  private final AtomicLong acknowledged = new AtomicLong();
  private final CountDownLatch nearlyFull = new CountDownLatch(1);
  private final CountDownLatch added = new CountDownLatch(1);

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void writesGoOnWhileADeviceIsAddedAndSurviveARestart() throws Exception {
    node = StorageNode.start(StorageNodeConfig.builder(dir)
        .newDeviceCapacityBytes((long) FIRST_BLOCKS * BLOCK_SIZE_BYTES).build());
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
    List<Future<List<Long>>> writers = new ArrayList<>();
    for (int w = 0; w < WRITERS; w++) {
      long firstPa = w * PAS_PER_WRITER;
      writers.add(pool.submit(() -> writeUntilStop(firstPa)));
    }
    long capacity;
    List<Long> pas = new ArrayList<>();
    try (SnWire wire = new SnWire(node)) {
      assertTrue(nearlyFull.await(DEADLINE_MS, TimeUnit.MILLISECONDS), "writers stalled");
      capacity = wire.addDevice("file", "", ADDED_BLOCKS);
      added.countDown();
      for (Future<List<Long>> writer : writers) {
        pas.addAll(writer.get(DEADLINE_MS, TimeUnit.MILLISECONDS)); // rethrows a failed write
      }
      assertEquals(FIRST_BLOCKS + ADDED_BLOCKS, capacity);
      assertEquals(capacity, wire.stats().capacityBlocks());
      assertEquals(pas.size(), wire.stats().usedBlocks(), "one L per unique block");
      wire.flush();
      assertReadBack(wire, pas);
    } finally {
      pool.shutdownNow();
    }
    assertTrue(pas.stream().anyMatch(pa -> node.engine().locationOf(pa) >= FIRST_BLOCKS),
        "some blocks landed on the added device");

    node.close();
    node = StorageNode.start(StorageNodeConfig.builder(dir).build());
    try (SnWire wire = new SnWire(node)) {
      assertEquals(capacity, wire.stats().capacityBlocks(), "the superblock lists both devices");
      assertReadBack(wire, pas);
    }
  }

  /**
   * One client: batches of unique blocks until enough are acknowledged. NO_SPACE is allowed
   * only for a batch sent before the device was added; that batch waits for it and goes again.
   */
  private List<Long> writeUntilStop(long firstPa) throws InterruptedException {
    List<Long> written = new ArrayList<>();
    try (SnWire wire = new SnWire(node)) {
      long pa = firstPa;
      while (acknowledged.get() < STOP_AT_BLOCKS) {
        long[] batch = SnWire.range(pa, BATCH_BLOCKS);
        boolean sentAfterAdd = added.getCount() == 0;
        try {
          wire.writeOwn(batch);
        } catch (DvsException e) {
          if (e.code() != ErrorCode.NO_SPACE || sentAfterAdd) {
            throw e;
          }
          assertTrue(added.await(DEADLINE_MS, TimeUnit.MILLISECONDS), "device never added");
          continue; // the same batch again: rewriting a PA with its content is idempotent
        }
        Arrays.stream(batch).forEach(written::add);
        pa += BATCH_BLOCKS;
        if (acknowledged.addAndGet(BATCH_BLOCKS) >= ADD_AT_BLOCKS) {
          nearlyFull.countDown();
        }
      }
    }
    return written;
  }

  private static void assertReadBack(SnWire wire, List<Long> pas) {
    for (int i = 0; i < pas.size(); i += BATCH_BLOCKS * 16) {
      long[] some = pas.subList(i, Math.min(pas.size(), i + BATCH_BLOCKS * 16)).stream()
          .mapToLong(Long::longValue).toArray();
      assertArrayEquals(SnWire.contents(some), wire.read(some), "PAs from " + some[0]);
    }
  }
}
