package io.dvs.meta.store;

import com.google.common.base.Preconditions;
import com.google.common.base.Verify;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mapdb.DB;
import org.mapdb.Serializer;

/**
 * Each SN's virtual PA space, tracked compactly as runs, and the queue of PAs waiting to be
 * released on their SN. A PA is in exactly one state:
 * <ul>
 *   <li><b>free</b>: inside a run of {@code paFree};
 *   <li><b>used</b>: handed out in a WDACG, and possibly mapped by an LPT extent;
 *   <li><b>releasing</b>: inside a run of {@code paReleaseRuns}, waiting for its SN to
 *       acknowledge RELEASE_BLOCKS; only then it becomes free again, so an SN never holds data
 *       for a PA handed out anew.
 * </ul>
 * Both are {@link RunMap}s with prefix {@code snId u32}, so deleting a 1 GiB file queues one
 * run, not 262,144 rows. Call inside {@link MetaStore#read} or {@link MetaStore#write}.
 */
public final class PaTable {
  /**
   * Blocks in one SN's virtual PA space: 2^40 x 4 KiB = 4 EiB of addresses, far above any
   * physical capacity, so dedup can hand out more PAs than the SN has blocks (thin PA space).
   */
  public static final long PA_SPACE_BLOCKS = 1L << 40;

  /** A pending release batch for one SN. */
  public record ReleaseBatch(int snId, long[] pas) {}

  /** A run of PAs {@code [start, start + count)}. */
  public record PaRun(long start, int count) {}

  private final RunMap free;
  private final RunMap releasing;

  PaTable(DB db) {
    this.free = new RunMap(
        db.treeMap("paFree", Serializer.BYTE_ARRAY, Serializer.LONG).createOrOpen());
    this.releasing = new RunMap(
        db.treeMap("paReleaseRuns", Serializer.BYTE_ARRAY, Serializer.LONG).createOrOpen());
  }

  /** Re-reads both run sets from the store (a rollback discarded changes). */
  void reload() {
    free.reload();
    releasing.reload();
  }

  /** A new SN: its whole PA space is free. */
  public void addSn(int snId) {
    Verify.verify(!hasFree(snId), "snId %s already has PA space", snId);
    free.add(sn(snId), 0, PA_SPACE_BLOCKS);
  }

  public boolean hasFree(int snId) {
    return !free.runs(sn(snId)).isEmpty();
  }

  /**
   * Takes up to {@code count} free PAs of {@code snId}, lowest first, in at most
   * {@code runsMax} runs; they are used from now on. Fewer come back if the SN has fewer free.
   */
  public List<PaRun> allocate(int snId, int count, int runsMax) {
    Preconditions.checkArgument(count > 0 && runsMax > 0, "count %s, runsMax %s", count, runsMax);
    List<PaRun> taken = new ArrayList<>();
    long remaining = count;
    for (Map.Entry<byte[], Long> run : free.runs(sn(snId)).entrySet()) {
      if (remaining == 0 || taken.size() == runsMax) {
        break;
      }
      long start = RunMap.start(run.getKey());
      long end = run.getValue();
      Verify.verify(start < end && end <= PA_SPACE_BLOCKS, "bad free run [%s, %s)", start, end);
      long take = Math.min(remaining, end - start);
      taken.add(new PaRun(start, (int) take));
      remaining -= take;
    }
    for (PaRun run : taken) {
      free.remove(sn(snId), run.start(), run.start() + run.count());
    }
    return taken;
  }

  /** True if any PA of {@code [start, start + count)} is free (was never handed out). */
  public boolean anyFree(int snId, long start, long count) {
    return free.overlaps(sn(snId), start, start + count);
  }

  /** True if any PA of {@code [start, start + count)} waits for release. */
  public boolean anyReleasing(int snId, long start, long count) {
    return releasing.overlaps(sn(snId), start, start + count);
  }

  /**
   * Used PAs {@code [start, start + count)} are no longer referenced: queue them for
   * RELEASE_BLOCKS on their SN. Queuing a PA twice releases it once.
   */
  public void queueRelease(int snId, long start, long count) {
    Verify.verify(start >= 0 && count > 0 && start + count <= PA_SPACE_BLOCKS,
        "releasing PAs %s+%s of SN %s: out of range", start, count, snId);
    Verify.verify(!anyFree(snId, start, count),
        "releasing PAs %s+%s of SN %s, which are free", start, count, snId);
    releasing.add(sn(snId), start, start + count);
  }

  /** PAs waiting for release on every SN (walks the runs; for status and tests). */
  public long releasingCount() {
    long total = 0;
    for (int snId : releasingSns()) {
      total += releasing.total(sn(snId));
    }
    return total;
  }

  /** For each SN with PAs waiting, up to {@code perSnMax} of them, lowest first. */
  public List<ReleaseBatch> releaseBatches(int perSnMax) {
    List<ReleaseBatch> batches = new ArrayList<>();
    for (int snId : releasingSns()) {
      long[] pas = new long[perSnMax];
      int n = 0;
      for (Map.Entry<byte[], Long> run : releasing.runs(sn(snId)).entrySet()) {
        for (long pa = RunMap.start(run.getKey()); pa < run.getValue() && n < perSnMax; pa++) {
          pas[n++] = pa;
        }
        if (n == perSnMax) {
          break;
        }
      }
      batches.add(new ReleaseBatch(snId, java.util.Arrays.copyOf(pas, n)));
    }
    return batches;
  }

  /** The SN acknowledged releasing {@code pas} (ascending): they are free again. */
  public void returnReleased(int snId, long[] pas) {
    int i = 0;
    while (i < pas.length) {
      int j = i + 1;
      while (j < pas.length && pas[j] == pas[j - 1] + 1) {
        j++;
      }
      long start = pas[i];
      long end = pas[j - 1] + 1;
      Verify.verify(releasing.remove(sn(snId), start, end) == end - start,
          "PAs [%s, %s) of SN %s returned but were not all releasing", start, end, snId);
      Verify.verify(free.add(sn(snId), start, end) == end - start,
          "PAs [%s, %s) of SN %s freed twice", start, end, snId);
      i = j;
    }
  }

  /** Free PAs of {@code snId} (walks its runs; for tests and status). */
  public long freeCount(int snId) {
    return free.total(sn(snId));
  }

  /** SNs that have PAs waiting for release, ascending. */
  private List<Integer> releasingSns() {
    List<Integer> sns = new ArrayList<>();
    byte[] from = RunMap.key(sn(0), 0);
    while (true) {
      byte[] first = releasing.ceilingKey(from);
      if (first == null) {
        return sns;
      }
      int snId = Keys.intAt(first, 0);
      sns.add(snId);
      if (snId == Integer.MAX_VALUE) {
        return sns;
      }
      from = RunMap.key(sn(snId + 1), 0);
    }
  }

  private static byte[] sn(int snId) {
    return ByteBuffer.allocate(4).putInt(snId).array();
  }
}
