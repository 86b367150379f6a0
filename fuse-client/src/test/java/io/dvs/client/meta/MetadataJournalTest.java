package io.dvs.client.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.message.JournalGroup;
import io.dvs.protocol.message.JournalRecord;
import io.dvs.protocol.message.JournalRecord.DeleteDirent;
import io.dvs.protocol.message.JournalRecord.MapBlocks;
import io.dvs.protocol.message.JournalRecord.PutDirent;
import io.dvs.protocol.message.JournalRecord.TruncateBlocks;
import io.dvs.protocol.message.LptExtent;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** How queued LPT extents coalesce before a group is cut, and where a group may be cut. */
class MetadataJournalTest {
  private final MetadataJournal journal = new MetadataJournal(null, null, 1, 1, 0);

  /** File {@code ino} maps 32 blocks from {@code block} to PAs from {@code pa} on SN 1. */
  private void map(long ino, long block, long pa) {
    journal.append(new MapBlocks(ino, List.of(new LptExtent(block, 1, pa, 32))));
  }

  @Test
  void filesWrittenTogetherKeepOneGrowingRecordEach() {
    for (int i = 0; i < 8; i++) { // two files, 32 blocks at a time in turn, each from its reserve
      map(10, 32L * i, 1000 + 32L * i);
      map(20, 32L * i, 5000 + 32L * i);
    }
    List<JournalRecord> records = journal.nextGroup().records();
    assertEquals(List.of(new MapBlocks(10, List.of(new LptExtent(0, 1, 1000, 256))),
        new MapBlocks(20, List.of(new LptExtent(0, 1, 5000, 256)))), records);
  }

  @Test
  void anotherKindOfRecordClosesTheOpenRecordsSoOrderIsKept() {
    map(10, 0, 1000);
    journal.append(new TruncateBlocks(10, 16));
    map(10, 16, 2000); // after the truncate: must not be applied before it
    map(20, 0, 3000);
    List<JournalRecord> records = journal.nextGroup().records();
    assertEquals(List.of(new MapBlocks(10, List.of(new LptExtent(0, 1, 1000, 32))),
        new TruncateBlocks(10, 16),
        new MapBlocks(10, List.of(new LptExtent(16, 1, 2000, 32))),
        new MapBlocks(20, List.of(new LptExtent(0, 1, 3000, 32)))), records);
  }

  @Test
  void aRecordInAGroupIsNeverExtendedAfterwards() {
    map(10, 0, 1000);
    List<JournalRecord> first = journal.nextGroup().records();
    map(10, 32, 1032); // continues the extent, but the first record has left the queue
    assertEquals(List.of(new MapBlocks(10, List.of(new LptExtent(0, 1, 1000, 32)))), first);
    assertEquals(List.of(new MapBlocks(10, List.of(new LptExtent(32, 1, 1032, 32)))),
        journal.nextGroup().records());
  }

  @Test
  void aGroupIsNeverCutInsideAnOperation() throws Exception {
    Object namespace = new Object();
    journal.cutBetweenOperationsOf(namespace);
    CountDownLatch halfQueued = new CountDownLatch(1);
    CountDownLatch goOn = new CountDownLatch(1);
    Thread rename = new Thread(() -> { // a rename over "b": its two records, with a cut between
      synchronized (namespace) {
        journal.append(new DeleteDirent(1, "b"));
        halfQueued.countDown();
        try {
          goOn.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        journal.append(new PutDirent(1, "b", 7));
      }
    });
    rename.start();
    halfQueued.await();
    CompletableFuture<JournalGroup> cut = CompletableFuture.supplyAsync(journal::nextGroup);
    assertThrows(TimeoutException.class, () -> cut.get(200, TimeUnit.MILLISECONDS),
        "a group was cut while the rename had queued half its records");
    goOn.countDown();
    assertEquals(List.of(new DeleteDirent(1, "b"), new PutDirent(1, "b", 7)),
        cut.get(10, TimeUnit.SECONDS).records());
    rename.join();
  }

  @Test
  void anOperationPastTheQueueLimitLeavesShippingToItsCaller() throws Exception {
    Object namespace = new Object();
    journal.cutBetweenOperationsOf(namespace);
    synchronized (namespace) {
      // Past PENDING_BYTES_MAX: shipping here would wait for the cut lock we hold (and this
      // journal has no MS: a ship would fail). The thread pays after the operation.
      for (int i = 0; i < 250_000; i++) {
        journal.append(new DeleteDirent(1, "f" + i));
      }
    }
    // Another thread (a reader) owes nothing: it never waits for an MS that is away.
    CompletableFuture.runAsync(journal::throttleIfOwed).get(10, TimeUnit.SECONDS);
    int queued = 0;
    for (JournalGroup g; (g = journal.nextGroup()) != null; ) {
      queued += g.records().size();
    }
    assertEquals(250_000, queued, "every record queued, none shipped");
  }

  /**
   * libfuse hiding an open "b" (inode 7), as Namespace queues it under its lock. Returns
   * System.nanoTime() from just before the hide is marked.
   */
  private long hideB(Object namespace) {
    synchronized (namespace) {
      journal.append(new DeleteDirent(1, "b"));
      journal.append(new PutDirent(1, ".fuse_hidden0000000100000001", 7));
      long before = System.nanoTime();
      journal.hidden();
      return before;
    }
  }

  /** libfuse's rename over an open "b": hide "b", then rename "a" onto "b", on one thread. */
  @Test
  void aCutRightAfterAHideWaitsForItsRename() throws Exception {
    Object namespace = new Object();
    journal.cutBetweenOperationsOf(namespace);
    hideB(namespace);
    assertTrue(journal.awaitingHidePair());
    synchronized (namespace) { // the rename that follows, on the same thread
      journal.append(new DeleteDirent(1, "a"));
      journal.append(new PutDirent(1, "b", 8));
    }
    assertFalse(journal.awaitingHidePair(), "the hiding thread's next change ends the wait");
    assertEquals(4, journal.nextGroup().records().size());
  }

  @Test
  void theEndOfTheHidingRequestEndsTheWait() throws Exception {
    Object namespace = new Object();
    journal.cutBetweenOperationsOf(namespace);
    hideB(namespace); // unlink of an open file: a hide and nothing more
    CompletableFuture.runAsync(journal::requestEnded).get(); // another worker's request
    assertTrue(journal.awaitingHidePair());
    journal.requestEnded();
    assertFalse(journal.awaitingHidePair());
    assertEquals(2, journal.nextGroup().records().size());
  }

  @Test
  void aHideWithNothingAfterItShipsAfterTheWait() throws Exception {
    Object namespace = new Object();
    journal.cutBetweenOperationsOf(namespace);
    long start = hideB(namespace); // unlink of an open file: a hide and nothing more
    // Another thread's change does not end the wait: only the hiding thread's rename would.
    CompletableFuture.runAsync(() -> journal.append(new PutDirent(1, "c", 9))).get();
    assertTrue(journal.awaitingHidePair());
    assertEquals(3, journal.nextGroup().records().size());
    assertTrue(System.nanoTime() - start
        >= TimeUnit.MILLISECONDS.toNanos(MetadataJournal.HIDE_PAIR_WAIT_MS),
        "the cut waited for a rename that might follow");
  }
}
