package io.dvs.meta.store;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.mapdb.BTreeMap;

/**
 * Sets of PA runs in one MapDB map: key {@code prefix | runStart u64}, value runEnd (exclusive).
 * The runs under one prefix are disjoint and never touch (neighbours are merged), so a set of a
 * million consecutive PAs is one row. Used for free PAs and PAs waiting for release (prefix
 * {@code snId}) and for PAs leased to a volume (prefix {@code volumeId | snId}).
 *
 * <p>Every row is also kept in memory, and only the memory copy is searched. MapDB's B-tree
 * never merges or drops a leaf that deletes have emptied, and its lowerEntry, floorEntry and
 * ceilingKey step through such leaves one by one; these maps churn (every WDACG leases runs,
 * every MAP_BLOCKS unleases them, every release queues and returns them), so after a few GiB
 * of overwrites one overlap check walked thousands of empty leaves: 90% of the MS's CPU, and
 * sequential writes at a fifth of their speed. The copy is ~100 bytes of heap per run; a set
 * is runs, not PAs, so it stays small unless the PA space is fragmented run by run. Writes go
 * to both; {@link #reload} re-reads the stored map after a rollback. Guarded like the stored
 * map: by {@link MetaStore}'s lock.
 */
final class RunMap {
  private final BTreeMap<byte[], Long> stored;
  private final TreeMap<byte[], Long> runs;

  RunMap(BTreeMap<byte[], Long> stored) {
    this.stored = stored;
    this.runs = new TreeMap<>(stored.comparator());
    reload();
  }

  /** Makes the memory copy the stored map again (after a rollback discarded changes). */
  void reload() {
    runs.clear();
    runs.putAll(stored);
  }

  static byte[] key(byte[] prefix, long start) {
    return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(start).array();
  }

  static long start(byte[] key) {
    return Keys.longAt(key, key.length - 8);
  }

  /** The runs under {@code prefix}, by start; read-only. */
  NavigableMap<byte[], Long> runs(byte[] prefix) {
    return Collections.unmodifiableNavigableMap(
        runs.subMap(key(prefix, 0), true, key(prefix, Long.MAX_VALUE), true));
  }

  /** The rows with keys in {@code [fromKey, toKey)}, in key order; read-only. */
  NavigableMap<byte[], Long> between(byte[] fromKey, byte[] toKey) {
    return Collections.unmodifiableNavigableMap(runs.subMap(fromKey, true, toKey, false));
  }

  /** Removes the rows with keys in {@code [fromKey, toKey)}. */
  void clear(byte[] fromKey, byte[] toKey) {
    NavigableMap<byte[], Long> rows = runs.subMap(fromKey, true, toKey, false);
    for (byte[] key : rows.keySet()) {
      stored.remove(key);
    }
    rows.clear();
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
      delete(run.getKey());
      run = runs.lowerEntry(run.getKey());
    }
    put(key(prefix, newStart), newEnd);
    return added;
  }

  /** Removes {@code [start, end)} from the runs; returns how many of its PAs were in one. */
  long remove(byte[] prefix, long start, long end) {
    long removed = 0;
    Map.Entry<byte[], Long> run = runs.lowerEntry(key(prefix, end));
    while (run != null && hasPrefix(run.getKey(), prefix) && run.getValue() > start) {
      long runStart = start(run.getKey());
      long runEnd = run.getValue();
      delete(run.getKey());
      if (runStart < start) {
        put(run.getKey(), start);
      }
      if (end < runEnd) {
        put(key(prefix, end), runEnd);
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

  private void put(byte[] key, long end) {
    stored.put(key, end);
    runs.put(key, end);
  }

  private void delete(byte[] key) {
    stored.remove(key);
    runs.remove(key);
  }

  private static boolean hasPrefix(byte[] key, byte[] prefix) {
    return key.length == prefix.length + 8
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }
}
