package io.dvs.meta.store;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.NavigableMap;
import org.mapdb.BTreeMap;

/**
 * Sets of PA runs in one MapDB map: key {@code prefix | runStart u64}, value runEnd (exclusive).
 * The runs under one prefix are disjoint and never touch (neighbours are merged), so a set of a
 * million consecutive PAs is one row. Used for free PAs and PAs waiting for release (prefix
 * {@code snId}) and for PAs leased to a volume (prefix {@code volumeId | snId}).
 */
final class RunMap {
  private final BTreeMap<byte[], Long> runs;

  RunMap(BTreeMap<byte[], Long> runs) {
    this.runs = runs;
  }

  static byte[] key(byte[] prefix, long start) {
    return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(start).array();
  }

  static long start(byte[] key) {
    return Keys.longAt(key, key.length - 8);
  }

  /** The runs under {@code prefix}, by start. */
  NavigableMap<byte[], Long> runs(byte[] prefix) {
    return runs.subMap(key(prefix, 0), true, key(prefix, Long.MAX_VALUE), true);
  }

  /** True if any PA of {@code [start, end)} is in a run. */
  boolean overlaps(byte[] prefix, long start, long end) {
    // Runs are disjoint, so only the last run starting before end can reach into the range.
    Map.Entry<byte[], Long> run = runs.lowerEntry(key(prefix, end));
    return run != null && hasPrefix(run.getKey(), prefix) && run.getValue() > start;
  }

  /**
   * Adds {@code [start, end)}, merging with the runs it overlaps or touches; returns how many of
   * its PAs were not in a run before.
   */
  long add(byte[] prefix, long start, long end) {
    long newStart = start;
    long newEnd = end;
    long added = end - start;
    Map.Entry<byte[], Long> run = runs.floorEntry(key(prefix, end));
    while (run != null && hasPrefix(run.getKey(), prefix) && run.getValue() >= start) {
      long runStart = start(run.getKey());
      long runEnd = run.getValue();
      added -= Math.max(0, Math.min(runEnd, end) - Math.max(runStart, start));
      newStart = Math.min(newStart, runStart);
      newEnd = Math.max(newEnd, runEnd);
      runs.remove(run.getKey());
      run = runs.lowerEntry(run.getKey());
    }
    runs.put(key(prefix, newStart), newEnd);
    return added;
  }

  /** Removes {@code [start, end)} from the runs; returns how many of its PAs were in one. */
  long remove(byte[] prefix, long start, long end) {
    long removed = 0;
    Map.Entry<byte[], Long> run = runs.lowerEntry(key(prefix, end));
    while (run != null && hasPrefix(run.getKey(), prefix) && run.getValue() > start) {
      long runStart = start(run.getKey());
      long runEnd = run.getValue();
      runs.remove(run.getKey());
      if (runStart < start) {
        runs.put(run.getKey(), start);
      }
      if (end < runEnd) {
        runs.put(key(prefix, end), runEnd);
      }
      removed += Math.min(runEnd, end) - Math.max(runStart, start);
      if (runStart <= start) {
        break;
      }
      run = runs.lowerEntry(run.getKey());
    }
    return removed;
  }

  /** The first key at or after {@code key}, under any prefix; null if none. */
  byte[] ceilingKey(byte[] key) {
    return runs.ceilingKey(key);
  }

  /** PAs in the runs under {@code prefix}. */
  long total(byte[] prefix) {
    long total = 0;
    for (Map.Entry<byte[], Long> run : runs(prefix).entrySet()) {
      total += run.getValue() - start(run.getKey());
    }
    return total;
  }

  private static boolean hasPrefix(byte[] key, byte[] prefix) {
    return key.length == prefix.length + 8
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }
}
