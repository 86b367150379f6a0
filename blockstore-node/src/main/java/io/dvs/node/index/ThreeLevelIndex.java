package io.dvs.node.index;

import com.google.common.base.Preconditions;
import com.google.common.base.Verify;
import io.dvs.node.dedup.FingerprintIndex;
import java.util.Arrays;
import java.util.function.LongPredicate;

/**
 * The three-level fingerprint index of paper 2, §3.5: the fingerprint's first three bytes are
 * key1, key2 and key3; key1 and key2 lead to a level-3 table whose slot key3 holds every entry
 * that shares that prefix, so a lookup costs three array steps plus a scan of N entries
 * (O(3+N)).
 *
 * <h2>Memory layout (why it is compact, and why the GC leaves it alone)</h2>
 * Levels are allocated on first use (a small SN does not pay for 256³ slots). A level-3 table
 * keeps the entries of its 256 slots one after another in one {@code long[]}, slot by slot and
 * sorted within a slot, with {@code start[key3]} where slot key3 begins:
 *
 * <pre>
 *   start:   [0]=0   [1]=2   [2]=2   [3]=5  ...  [256]=used
 *   entries: | k3=0: e e | k3=2: e e e | ... | free capacity |
 * </pre>
 *
 * and each entry packs
 *
 * <pre>
 *   bits 63..32  fingerprint bytes 3..6 (the 32 bits after the three key bytes)
 *   bits 31..0   physical location L, unsigned (so {@link #LOCATION_MAX} = 2^32 - 1)
 * </pre>
 *
 * So an entry costs 8 bytes plus the table's free capacity (it grows by half when full), and an
 * insert or remove shifts the entries after it inside one array. An earlier layout gave every
 * slot its own exact-size {@code long[]}, replaced on each insert: that stored a new array into
 * an old table per written block, and G1's concurrent refinement of those stores was the largest
 * single CPU cost of a 4-job write (bench/RESULTS.md, hand measurements).
 *
 * <p>7 fingerprint bytes (56 bits) must match before a candidate is checked against the full
 * fingerprint through {@link FullFingerprints} (the block table), which makes that check almost
 * always a true hit. Measured bytes per entry: bench/RESULTS.md ("Storage node").
 *
 * <p>Several entries may carry the same full fingerprint (a hash collision stored after
 * verify-on-match found different bytes, or content stored again because its L is on a failed
 * device); {@link #lookup} returns the first the caller can use, {@link #remove} removes the
 * exact (fingerprint, L) pair.
 *
 * <p>Not thread-safe: the dedup engine's metadata lock guards every call.
 */
public final class ThreeLevelIndex implements FingerprintIndex {
  /** 256 values per key byte: the paper's key1, key2, key3. */
  static final int FANOUT = 256;

  /** Bytes of the fingerprint consumed by the three levels. */
  static final int KEY_BYTES = 3;

  /** L is stored in 32 bits: 2^32 blocks of 4 KiB = 16 TiB of distinct data per SN. */
  public static final long LOCATION_MAX = 0xFFFF_FFFFL;

  /** Fingerprints shorter than the keys plus the 32-bit suffix cannot be indexed. */
  static final int FINGERPRINT_BYTES_MIN = KEY_BYTES + 4;

  /** Array header of a long[] / Object[] on a 64-bit JVM with compressed oops. */
  private static final int ARRAY_HEADER_BYTES = 16;

  /** Reference size with compressed oops (heaps under 32 GiB). */
  private static final int REFERENCE_BYTES = 4;

  /** Entries a level-3 table has room for when it is made. */
  private static final int INITIAL_CAPACITY = 4;

  /** Full fingerprint of an L, to confirm a candidate whose 7-byte prefix matched. */
  public interface FullFingerprints {
    boolean matches(long location, byte[] fingerprint);
  }

  private static final long[] EMPTY = new long[0];

  /**
   * Level 1 and 2, twice: {@code starts[k1][k2]} is the level-3 table's slot starts (257 ints;
   * slot k3 is {@code entries[k1][k2][start[k3] .. start[k3 + 1])}, {@code start[256]} is the
   * number of entries), {@code entries[k1][k2]} its entries. Two parallel arrays rather than a
   * table object: one dependent cache miss fewer per lookup.
   */
  private final int[][][] starts = new int[FANOUT][][];
  private final long[][][] entries = new long[FANOUT][][];
  private final FullFingerprints full;
  private long size;
  private long level2Tables;
  private long level3Tables;
  /** Sum of every level-3 table's entries length: what the entries take, free room too. */
  private long capacity;

  public ThreeLevelIndex(FullFingerprints full) {
    this.full = Preconditions.checkNotNull(full, "full");
  }

  @Override
  public long lookup(byte[] fingerprint, LongPredicate usable) {
    checkLength(fingerprint);
    int k1 = fingerprint[0] & 0xFF;
    int k2 = fingerprint[1] & 0xFF;
    int k3 = fingerprint[2] & 0xFF;
    int[] start = existingLevel3(k1, k2);
    if (start == null) {
      return NO_LOCATION;
    }
    int suffix = suffix(fingerprint);
    long[] slots = entries[k1][k2];
    for (int i = start[k3], end = start[k3 + 1]; i < end; i++) {
      long entry = slots[i];
      int s = (int) (entry >>> 32);
      long location = entry & LOCATION_MAX;
      if (s == suffix && usable.test(location) && full.matches(location, fingerprint)) {
        return location;
      }
      if (Integer.compareUnsigned(s, suffix) > 0) {
        break; // sorted: no later entry can match
      }
    }
    return NO_LOCATION;
  }

  @Override
  public void insert(byte[] fingerprint, long location) {
    Preconditions.checkArgument(location >= 0 && location <= LOCATION_MAX,
        "L %s (expected: 0..%s)", location, LOCATION_MAX);
    checkLength(fingerprint);
    long entry = pack(fingerprint, location);
    int k1 = fingerprint[0] & 0xFF;
    int k2 = fingerprint[1] & 0xFF;
    int k3 = fingerprint[2] & 0xFF;
    int[] start = level3(k1, k2);
    long[] slots = entries[k1][k2];
    int at = start[k3];
    int end = start[k3 + 1];
    while (at < end && Long.compareUnsigned(slots[at], entry) < 0) {
      at++;
    }
    Verify.verify(at == end || slots[at] != entry,
        "L %s is already indexed under this fingerprint", location);
    int used = start[FANOUT];
    if (used == slots.length) {
      long[] grown = new long[Math.max(INITIAL_CAPACITY, used + (used >> 1))];
      System.arraycopy(slots, 0, grown, 0, at);
      System.arraycopy(slots, at, grown, at + 1, used - at);
      capacity += grown.length - slots.length;
      entries[k1][k2] = slots = grown;
    } else {
      System.arraycopy(slots, at, slots, at + 1, used - at);
    }
    slots[at] = entry;
    for (int k = k3 + 1; k <= FANOUT; k++) {
      start[k]++;
    }
    size++;
  }

  @Override
  public void remove(byte[] fingerprint, long location) {
    checkLength(fingerprint);
    long entry = pack(fingerprint, location);
    int k1 = fingerprint[0] & 0xFF;
    int k2 = fingerprint[1] & 0xFF;
    int k3 = fingerprint[2] & 0xFF;
    int[] start = existingLevel3(k1, k2);
    long[] slots = start == null ? null : entries[k1][k2];
    int at = start == null ? -1 : indexOf(slots, start[k3], start[k3 + 1], entry);
    Verify.verify(at >= 0, "index has no entry for L %s under its fingerprint", location);
    int used = start[FANOUT];
    System.arraycopy(slots, at + 1, slots, at, used - at - 1);
    for (int k = k3 + 1; k <= FANOUT; k++) {
      start[k]--;
    }
    used--;
    // Give back room once three quarters of it are free (never for a table that fits the
    // initial capacity, so a slot that comes and goes does not reallocate each time).
    if (slots.length > INITIAL_CAPACITY && used < slots.length / 4) {
      long[] shrunk = Arrays.copyOf(slots, Math.max(INITIAL_CAPACITY, used + (used >> 1)));
      capacity += shrunk.length - slots.length;
      entries[k1][k2] = shrunk;
    }
    size--;
  }

  private static int indexOf(long[] slots, int from, int to, long entry) {
    for (int i = from; i < to; i++) {
      if (slots[i] == entry) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public long size() {
    return size;
  }

  /**
   * Heap bytes this index holds, counted from its arrays and objects (headers included, 8-byte
   * alignment, compressed oops): what {@code bench/} reports as bytes per entry.
   */
  public long heapBytes() {
    long refTable = align(ARRAY_HEADER_BYTES + (long) FANOUT * REFERENCE_BYTES);
    long level3 = align(ARRAY_HEADER_BYTES + (FANOUT + 1L) * Integer.BYTES) + ARRAY_HEADER_BYTES;
    return 2 * refTable * (1 + level2Tables) + level3 * level3Tables + capacity * Long.BYTES;
  }

  private static long align(long bytes) {
    return (bytes + 7) & ~7L;
  }

  private static void checkLength(byte[] fingerprint) {
    Preconditions.checkArgument(fingerprint.length >= FINGERPRINT_BYTES_MIN,
        "fingerprint of %s bytes (expected: >= %s)", fingerprint.length, FINGERPRINT_BYTES_MIN);
  }

  /** The slot starts of level-3 table (k1, k2), or null if it was never made. */
  private int[] existingLevel3(int k1, int k2) {
    int[][] level2 = starts[k1];
    return level2 == null ? null : level2[k2];
  }

  /** The slot starts of level-3 table (k1, k2), made with its levels on first use. */
  private int[] level3(int k1, int k2) {
    if (starts[k1] == null) {
      starts[k1] = new int[FANOUT][];
      entries[k1] = new long[FANOUT][];
      level2Tables++;
    }
    int[] start = starts[k1][k2];
    if (start == null) {
      start = starts[k1][k2] = new int[FANOUT + 1];
      entries[k1][k2] = EMPTY;
      level3Tables++;
    }
    return start;
  }

  private static int suffix(byte[] fp) {
    return (fp[3] & 0xFF) << 24 | (fp[4] & 0xFF) << 16 | (fp[5] & 0xFF) << 8 | (fp[6] & 0xFF);
  }

  private static long pack(byte[] fingerprint, long location) {
    return (long) suffix(fingerprint) << 32 | location;
  }

  @Override
  public String toString() {
    return "three-level index of " + size + " entries in " + level2Tables + " level-2 and "
        + level3Tables + " level-3 tables";
  }
}
