package io.dvs.meta.store;

import com.google.common.base.Preconditions;
import com.google.common.base.Verify;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.Serializer;

/**
 * Each SN's virtual PA space, tracked compactly as sorted runs of free PAs, and the queue of
 * PAs waiting to be released on their SN. A PA is in exactly one state:
 * <ul>
 *   <li><b>free</b>: inside a run of {@code paFree} (key {@code snId|start}, value end, exclusive);
 *   <li><b>used</b>: handed out in a WDACG, and possibly mapped by an LPT row;
 *   <li><b>releasing</b>: in {@code paRelease}, waiting for its SN to acknowledge RELEASE_BLOCKS;
 *       only then it becomes free again, so an SN never holds data for a PA handed out anew.
 * </ul>
 * Call inside {@link MetaStore#read} or {@link MetaStore#write}.
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

  private final BTreeMap<byte[], Long> paFree;
  private final BTreeMap<byte[], Boolean> paRelease;

  PaTable(DB db) {
    this.paFree = db.treeMap("paFree", Serializer.BYTE_ARRAY, Serializer.LONG).createOrOpen();
    this.paRelease =
        db.treeMap("paRelease", Serializer.BYTE_ARRAY, Serializer.BOOLEAN).createOrOpen();
  }

  /** A new SN: its whole PA space is free. */
  public void addSn(int snId) {
    Verify.verify(!hasFree(snId) && runs(snId).isEmpty(), "snId %s already has PA space", snId);
    paFree.put(Keys.snPa(snId, 0), PA_SPACE_BLOCKS);
  }

  public boolean hasFree(int snId) {
    return !runs(snId).isEmpty();
  }

  private Map<byte[], Long> runs(int snId) {
    return paFree.subMap(Keys.snPa(snId, 0), true, Keys.snPa(snId, PA_SPACE_BLOCKS), false);
  }

  /**
   * Takes up to {@code count} free PAs of {@code snId}, lowest first, in at most
   * {@code runsMax} runs; they are used from now on. Fewer come back if the SN has fewer free.
   */
  public List<PaRun> allocate(int snId, int count, int runsMax) {
    Preconditions.checkArgument(count > 0 && runsMax > 0, "count %s, runsMax %s", count, runsMax);
    List<PaRun> taken = new ArrayList<>();
    List<Map.Entry<byte[], Long>> touched = new ArrayList<>();
    long remaining = count;
    for (Map.Entry<byte[], Long> run : runs(snId).entrySet()) {
      if (remaining == 0 || taken.size() == runsMax) {
        break;
      }
      long start = Keys.longAt(run.getKey(), 4);
      long end = run.getValue();
      Verify.verify(start < end && end <= PA_SPACE_BLOCKS, "bad free run [%s, %s)", start, end);
      long take = Math.min(remaining, end - start);
      taken.add(new PaRun(start, (int) take));
      touched.add(Map.entry(run.getKey(), start + take));
      remaining -= take;
    }
    for (Map.Entry<byte[], Long> t : touched) {
      long oldEnd = paFree.remove(t.getKey());
      long newStart = t.getValue();
      if (newStart < oldEnd) {
        paFree.put(Keys.snPa(snId, newStart), oldEnd);
      }
    }
    return taken;
  }

  public boolean isFree(int snId, long pa) {
    Map.Entry<byte[], Long> floor = paFree.floorEntry(Keys.snPa(snId, pa));
    return floor != null && Keys.intAt(floor.getKey(), 0) == snId && pa < floor.getValue();
  }

  public boolean isReleasing(int snId, long pa) {
    return paRelease.containsKey(Keys.snPa(snId, pa));
  }

  /** A used PA is no longer referenced: queue it for RELEASE_BLOCKS on its SN. */
  public void queueRelease(int snId, long pa) {
    Verify.verify(pa >= 0 && pa < PA_SPACE_BLOCKS, "PA %s of SN %s out of range", pa, snId);
    Verify.verify(!isFree(snId, pa), "releasing PA %s of SN %s, which is free", pa, snId);
    paRelease.put(Keys.snPa(snId, pa), Boolean.TRUE);
  }

  public long releasingCount() {
    return paRelease.sizeLong();
  }

  /** For each SN with PAs waiting, up to {@code perSnMax} of them, lowest first. */
  public List<ReleaseBatch> releaseBatches(int perSnMax) {
    List<ReleaseBatch> batches = new ArrayList<>();
    byte[] from = Keys.snPa(0, 0);
    while (true) {
      byte[] first = paRelease.ceilingKey(from);
      if (first == null) {
        return batches;
      }
      int snId = Keys.intAt(first, 0);
      long[] pas = paRelease.subMap(first, true, Keys.snPa(snId, PA_SPACE_BLOCKS), false)
          .keySet().stream().limit(perSnMax).mapToLong(k -> Keys.longAt(k, 4)).toArray();
      batches.add(new ReleaseBatch(snId, pas));
      if (snId == Integer.MAX_VALUE) {
        return batches;
      }
      from = Keys.snPa(snId + 1, 0);
    }
  }

  /** The SN acknowledged releasing {@code pas} (ascending): they are free again. */
  public void returnReleased(int snId, long[] pas) {
    int i = 0;
    while (i < pas.length) {
      int j = i + 1;
      while (j < pas.length && pas[j] == pas[j - 1] + 1) {
        j++;
      }
      for (int k = i; k < j; k++) {
        Verify.verify(paRelease.remove(Keys.snPa(snId, pas[k])) != null,
            "PA %s of SN %s returned but was not releasing", pas[k], snId);
      }
      addFreeRun(snId, pas[i], pas[j - 1] + 1);
      i = j;
    }
  }

  /** Adds {@code [start, end)} to the free runs, merging with its neighbours. */
  private void addFreeRun(int snId, long start, long end) {
    long newStart = start;
    long newEnd = end;
    Map.Entry<byte[], Long> floor = paFree.floorEntry(Keys.snPa(snId, start));
    if (floor != null && Keys.intAt(floor.getKey(), 0) == snId) {
      Verify.verify(floor.getValue() <= start, "PA %s of SN %s freed twice", start, snId);
      if (floor.getValue() == start) {
        newStart = Keys.longAt(floor.getKey(), 4);
        paFree.remove(floor.getKey());
      }
    }
    Map.Entry<byte[], Long> ceiling = paFree.ceilingEntry(Keys.snPa(snId, start));
    if (ceiling != null && Keys.intAt(ceiling.getKey(), 0) == snId) {
      long ceilingStart = Keys.longAt(ceiling.getKey(), 4);
      Verify.verify(ceilingStart >= end, "PA %s of SN %s freed twice", ceilingStart, snId);
      if (ceilingStart == end) {
        newEnd = ceiling.getValue();
        paFree.remove(ceiling.getKey());
      }
    }
    paFree.put(Keys.snPa(snId, newStart), newEnd);
  }

  /** Free PAs of {@code snId} (walks its runs; for tests and status). */
  public long freeCount(int snId) {
    long free = 0;
    for (Map.Entry<byte[], Long> run : runs(snId).entrySet()) {
      free += run.getValue() - Keys.longAt(run.getKey(), 4);
    }
    return free;
  }
}
