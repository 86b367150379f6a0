package io.dvs.node.meta;

import com.google.common.base.Preconditions;
import com.google.common.base.Verify;

/**
 * The LBA map of paper 2: PA (LBA_U) → physical location L (LBA_L), held in memory as an
 * open-addressing hash table over two primitive arrays (linear probing, backward-shift delete),
 * about 16 bytes per slot and 21-32 bytes per mapped PA, with no object per entry.
 *
 * <p>Not thread-safe: the dedup engine's metadata lock guards it.
 */
public final class LbaMap {
  /** Returned by {@link #get} for an unmapped PA; also the empty-slot marker (never a PA). */
  public static final long NONE = -1;

  /** Grow at 3/4 full: linear probing stays short below that. */
  static final double LOAD_FACTOR_MAX = 0.75;

  static final int INITIAL_SLOTS = 1 << 10;

  /** Slots are int-indexed: 2^30 slots bound the table at ~800M mapped PAs per SN. */
  static final int SLOTS_MAX = 1 << 30;

  private long[] keys;
  private long[] values;
  private int size;
  private int mask;

  public LbaMap() {
    allocate(INITIAL_SLOTS);
  }

  private void allocate(int slots) {
    keys = new long[slots];
    java.util.Arrays.fill(keys, NONE);
    values = new long[slots];
    mask = slots - 1;
  }

  public int size() {
    return size;
  }

  public long get(long pa) {
    for (int i = slot(pa); ; i = (i + 1) & mask) {
      long k = keys[i];
      if (k == pa) {
        return values[i];
      }
      if (k == NONE) {
        return NONE;
      }
    }
  }

  /** Maps {@code pa} to {@code location}; returns the previous L or {@link #NONE}. */
  public long put(long pa, long location) {
    Preconditions.checkArgument(pa >= 0 && location >= 0, "pa %s, L %s", pa, location);
    int i = slot(pa);
    while (keys[i] != NONE) {
      if (keys[i] == pa) {
        long old = values[i];
        values[i] = location;
        return old;
      }
      i = (i + 1) & mask;
    }
    keys[i] = pa;
    values[i] = location;
    size++;
    if (size > LOAD_FACTOR_MAX * keys.length) {
      grow();
    }
    return NONE;
  }

  /** Unmaps {@code pa}; returns its L or {@link #NONE}. */
  public long remove(long pa) {
    int i = slot(pa);
    while (keys[i] != pa) {
      if (keys[i] == NONE) {
        return NONE;
      }
      i = (i + 1) & mask;
    }
    long old = values[i];
    // Backward-shift: move later entries of the probe run into the hole so lookups that
    // started before the hole still find them (no tombstones to clean up later).
    int hole = i;
    for (int j = (i + 1) & mask; keys[j] != NONE; j = (j + 1) & mask) {
      int home = slot(keys[j]);
      boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        keys[hole] = keys[j];
        values[hole] = values[j];
        hole = j;
      }
    }
    keys[hole] = NONE;
    size--;
    return old;
  }

  /** Visits every (PA, L), in no particular order. */
  public void forEach(PaVisitor visitor) {
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != NONE) {
        visitor.visit(keys[i], values[i]);
      }
    }
  }

  /** Heap bytes of the two arrays. */
  public long heapBytes() {
    return 2L * keys.length * Long.BYTES;
  }

  /** Receives one mapping. */
  @FunctionalInterface
  public interface PaVisitor {
    void visit(long pa, long location);
  }

  private void grow() {
    Verify.verify(keys.length < SLOTS_MAX, "LBA map full: %s PAs (limit %s slots)", size,
        SLOTS_MAX);
    long[] oldKeys = keys;
    long[] oldValues = values;
    allocate(keys.length * 2);
    size = 0;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != NONE) {
        put(oldKeys[i], oldValues[i]);
      }
    }
  }

  private int slot(long pa) {
    long h = pa * 0x9E37_79B9_7F4A_7C15L; // Fibonacci hashing spreads sequential PAs
    return (int) (h ^ (h >>> 32)) & mask;
  }
}
