package io.dvs.node.dedup;

import static io.dvs.node.dedup.DedupEngineTest.block;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dvs.node.store.DataDirectory;
import io.dvs.protocol.DvsException;
import io.dvs.volume.BlockDevice;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * New content for a PA whose L nobody else references overwrites that L in place (DedupEngine's
 * class comment): the layout stays, and no crash leaves the index naming content the L no longer
 * holds.
 */
class InPlaceRewriteTest {
  @TempDir Path dir;
  private DedupEngine engine;

  /** The file device; once {@link #breakAt} names a call, that call fails. */
  private static final class Breakable extends ForwardingDevice {
    enum Call { NONE, WRITE, SYNC }

    volatile Call breakAt = Call.NONE;
    /** Runs when a write fails, before it throws (a DeviceSet retires the device's Ls there). */
    volatile Runnable onWriteFailure = () -> { };

    Breakable(BlockDevice inner) {
      super(inner);
    }

    @Override public void write(long blockNo, byte[] src, int off) throws IOException {
      if (breakAt == Call.WRITE) {
        onWriteFailure.run();
        throw new IOException("device write failed (test)");
      }
      inner.write(blockNo, src, off);
    }

    @Override public void sync() throws IOException {
      if (breakAt == Call.SYNC) {
        throw new IOException("device sync failed (test)");
      }
      inner.sync();
    }
  }

  private Breakable open(long capacityBlocks) {
    DataDirectory d = DataDirectory.openOrFormat(dir, capacityBlocks, Fingerprinters.SHA_256);
    Breakable device = new Breakable(d.device());
    engine = DedupEngine.open(d.meta(), device, Fingerprinters.forName(Fingerprinters.SHA_256),
        false);
    return device;
  }

  @AfterEach
  void closeEngine() {
    if (engine != null) {
      engine.close();
    }
  }

  private void write(long pa, int seed) {
    engine.write(new long[] {pa}, block(seed), 0);
  }

  private void assertReads(long pa, int seed) {
    assertArrayEquals(block(seed), engine.read(new long[] {pa}), "PA " + pa);
  }

  @Test
  void anUnsharedBlockIsOverwrittenWhereItIs() {
    open(100);
    engine.write(new long[] {1, 2, 3}, DedupEngineTest.blocks(1, 2, 3), 0);
    engine.commit();
    long l2 = engine.locationOf(2);
    write(2, 20);
    assertEquals(l2, engine.locationOf(2), "same L");
    assertReads(2, 20); // from memory: the data waits for the commit
    assertArrayEquals(DedupEngineTest.blocks(1, 20, 3), engine.read(new long[] {1, 2, 3}));
    assertEquals(3, engine.stats().usedBlocks());
    engine.commit();
    assertReads(2, 20); // from the device
    write(6, 20); // indexed again after the commit: a duplicate of L2's new content
    assertEquals(l2, engine.locationOf(6));
    assertEquals(2, engine.refCount(l2));
    write(7, 2); // L2's old content left the index: stored anew
    assertNotEquals(l2, engine.locationOf(7));
    engine.close();
    engine = null;
    open(100);
    assertReads(2, 20);
    assertReads(6, 20);
    assertReads(7, 2);
    write(8, 20); // the index survived the restart
    assertEquals(l2, engine.locationOf(8));
  }

  @Test
  void aLongRunGoesToFreshLsAndAShortOneStays() {
    open(100);
    long[] eight = {1, 2, 3, 4, 5, 6, 7, 8};
    engine.write(eight, DedupEngineTest.blocks(1, 2, 3, 4, 5, 6, 7, 8), 0);
    engine.commit();
    long[] before = new long[8];
    for (int i = 0; i < 8; i++) {
      before[i] = engine.locationOf(eight[i]);
    }
    engine.write(new long[] {1, 2, 3, 4, 5}, DedupEngineTest.blocks(11, 12, 13, 14, 15), 0);
    for (int i = 0; i < 5; i++) {
      assertNotEquals(before[i], engine.locationOf(eight[i]), "PA " + eight[i]);
    }
    engine.write(new long[] {6, 7, 8}, DedupEngineTest.blocks(16, 17, 18), 0);
    for (int i = 5; i < 8; i++) {
      assertEquals(before[i], engine.locationOf(eight[i]), "PA " + eight[i]);
    }
    engine.commit();
    assertArrayEquals(DedupEngineTest.blocks(11, 12, 13, 14, 15, 16, 17, 18), engine.read(eight));
  }

  @Test
  void aSharedBlockIsNeverOverwritten() {
    open(100);
    write(1, 7);
    write(2, 7);
    long shared = engine.locationOf(1);
    write(1, 8);
    assertNotEquals(shared, engine.locationOf(1));
    assertReads(1, 8);
    assertReads(2, 7);
    engine.commit();
    assertReads(2, 7);
  }

  @Test
  void aPendingRewriteWhosePaMovesOnIsDropped() {
    open(100);
    write(1, 1);
    write(2, 2);
    engine.commit();
    long l1 = engine.locationOf(1);
    write(1, 10); // pending in place
    write(1, 2); // now a duplicate of PA 2's content: L1 is freed, its pending data moot
    engine.commit();
    assertReads(1, 2);
    assertEquals(engine.locationOf(2), engine.locationOf(1));
    assertEquals(0, engine.refCount(l1));
    write(3, 10); // the dropped content was never indexed
    assertReads(3, 10);
  }

  @Test
  void aDeviceFailingUnderARewriteMovesItsDataToAFreshL() {
    Breakable device = open(100);
    write(1, 1);
    write(2, 2);
    engine.commit();
    long l1 = engine.locationOf(1);
    write(1, 10); // waits in memory to go over L1
    device.breakAt = Breakable.Call.WRITE;
    device.onWriteFailure = () -> {
      device.breakAt = Breakable.Call.NONE;
      engine.retire(l1, 1); // as a DeviceSet does when a member fails
    };
    engine.commit(); // no error: the data went elsewhere, and that move is durable
    assertNotEquals(l1, engine.locationOf(1));
    assertReads(1, 10);
    engine.crash();
    engine = null;
    open(100);
    assertReads(1, 10);
    assertReads(2, 2);
  }

  @Test
  void aCrashBeforeTheCommitKeepsTheOldContentAndItsIndexEntry() {
    open(100);
    write(1, 1);
    engine.commit();
    long l1 = engine.locationOf(1);
    write(1, 2);
    engine.crash();
    engine = null;
    open(100);
    assertReads(1, 1);
    write(9, 1);
    assertEquals(l1, engine.locationOf(9), "content 1 is still indexed at L1");
  }

  @Test
  void aCrashAfterTheRecordButBeforeTheDataFingerprintsTheOldContentAgain() {
    Breakable device = open(100);
    write(1, 1);
    engine.commit();
    long l1 = engine.locationOf(1);
    write(1, 2);
    device.breakAt = Breakable.Call.WRITE; // REWRITE is durable, the data write fails
    assertThrows(DvsException.class, engine::commit);
    engine.crash();
    engine = null;
    open(100);
    assertReads(1, 1);
    write(9, 1); // re-fingerprinted at open: L1 holds content 1 and is indexed under it
    assertEquals(l1, engine.locationOf(9));
    write(10, 2); // and never under content 2
    assertNotEquals(l1, engine.locationOf(10));
  }

  @Test
  void aCrashAfterTheDataButBeforeItsIndexRecordFingerprintsTheNewContent() {
    Breakable device = open(100);
    write(1, 1);
    engine.commit();
    long l1 = engine.locationOf(1);
    write(1, 2);
    device.breakAt = Breakable.Call.SYNC; // the first sync fails: the REWRITE record is not durable
    assertThrows(DvsException.class, engine::commit);
    engine.crash();
    engine = null;
    // Nothing durable changed: the old content at L1, indexed.
    open(100);
    assertReads(1, 1);
    write(1, 2);
    engine.commit(); // REWRITE durable, data written and synced; its INDEX record is not
    engine.crash();
    engine = null;
    open(100);
    assertReads(1, 2);
    write(9, 2); // fingerprinted again at open: indexed under its new content
    assertEquals(l1, engine.locationOf(9));
    write(10, 1);
    assertNotEquals(l1, engine.locationOf(10));
  }
}
