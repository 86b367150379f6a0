package io.dvs.node.index;

import com.google.common.base.Preconditions;
import com.google.common.base.Verify;
import io.dvs.node.dedup.FingerprintIndex;
import java.util.Arrays;
import java.util.function.LongPredicate;

/**
 * The three-level fingerprint index of paper 2, §3.5: the fingerprint's first three bytes are
 * key1, key2 and key3; {@code root[key1][key2][key3]} is the slot (bucket) of every entry that
 * shares that prefix, so a lookup costs three array steps plus a scan of N entries (O(3+N)).
 *
 * <h2>Memory layout (why it is compact)</h2>
 * Levels are allocated on first use (a small SN does not pay for 256³ slots). A bucket is an
 * exact-size, sorted {@code long[]}; each entry packs
 *
 * <pre>
 *   bits 63..32  fingerprint bytes 3..6 (the 32 bits after the three key bytes)
 *   bits 31..0   physical location L, unsigned (so {@link #LOCATION_MAX} = 2^32 - 1)
 * </pre>
 *
 * So an entry costs 8 bytes plus its share of the bucket header; 7 fingerprint bytes (56 bits)
 * must match before a candidate is checked against the full fingerprint through
 * {@link FullFingerprints} (the block table), which makes that check almost always a true hit.
 * Measured bytes per entry: bench/RESULTS.md ("Storage node").
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

  /** Full fingerprint of an L, to confirm a candidate whose 7-byte prefix matched. */
  public interface FullFingerprints {
    boolean matches(long location, byte[] fingerprint);
  }

  private static final long[] EMPTY = new long[0];

  private final long[][][][] root = new long[FANOUT][][][];
  private final FullFingerprints full;
  private long size;
  private long level2Tables;
  private long level3Tables;
  private long buckets;

  public ThreeLevelIndex(FullFingerprints full) {
    this.full = Preconditions.checkNotNull(full, "full");
  }

  @Override
  public long lookup(byte[] fingerprint, LongPredicate usable) {
    long[] bucket = bucket(fingerprint, false);
    if (bucket == null) {
      return NO_LOCATION;
    }
    int suffix = suffix(fingerprint);
    for (long entry : bucket) {
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
    long entry = pack(fingerprint, location);
    int k1 = fingerprint[0] & 0xFF;
    int k2 = fingerprint[1] & 0xFF;
    int k3 = fingerprint[2] & 0xFF;
    long[] bucket = bucket(fingerprint, true);
    int at = 0;
    while (at < bucket.length && Long.compareUnsigned(bucket[at], entry) < 0) {
      at++;
    }
    Verify.verify(at == bucket.length || bucket[at] != entry,
        "L %s is already indexed under this fingerprint", location);
    long[] grown = new long[bucket.length + 1];
    System.arraycopy(bucket, 0, grown, 0, at);
    grown[at] = entry;
    System.arraycopy(bucket, at, grown, at + 1, bucket.length - at);
    if (bucket.length == 0) {
      buckets++;
    }
    root[k1][k2][k3] = grown;
    size++;
  }

  @Override
  public void remove(byte[] fingerprint, long location) {
    long entry = pack(fingerprint, location);
    long[] bucket = bucket(fingerprint, false);
    int at = bucket == null ? -1 : indexOf(bucket, entry);
    Verify.verify(at >= 0, "index has no entry for L %s under its fingerprint", location);
    long[] shrunk = bucket.length == 1 ? null : new long[bucket.length - 1];
    if (shrunk != null) {
      System.arraycopy(bucket, 0, shrunk, 0, at);
      System.arraycopy(bucket, at + 1, shrunk, at, bucket.length - at - 1);
    } else {
      buckets--;
    }
    root[fingerprint[0] & 0xFF][fingerprint[1] & 0xFF][fingerprint[2] & 0xFF] = shrunk;
    size--;
  }

  private static int indexOf(long[] bucket, long entry) {
    for (int i = 0; i < bucket.length; i++) {
      if (bucket[i] == entry) {
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
   * Heap bytes this index holds, counted from its arrays (headers included, 8-byte alignment,
   * compressed oops): what {@code bench/} reports as bytes per entry.
   */
  public long heapBytes() {
    long table = align(ARRAY_HEADER_BYTES + (long) FANOUT * REFERENCE_BYTES);
    long bucketBytes = buckets * ARRAY_HEADER_BYTES + size * Long.BYTES;
    return table * (1 + level2Tables + level3Tables) + bucketBytes;
  }

  private static long align(long bytes) {
    return (bytes + 7) & ~7L;
  }

  /** The bucket of the fingerprint's prefix; with {@code create}, levels are made on the way. */
  private long[] bucket(byte[] fingerprint, boolean create) {
    Preconditions.checkArgument(fingerprint.length >= FINGERPRINT_BYTES_MIN,
        "fingerprint of %s bytes (expected: >= %s)", fingerprint.length, FINGERPRINT_BYTES_MIN);
    int k1 = fingerprint[0] & 0xFF;
    int k2 = fingerprint[1] & 0xFF;
    int k3 = fingerprint[2] & 0xFF;
    long[][][] level2 = root[k1];
    if (level2 == null) {
      if (!create) {
        return null;
      }
      level2 = root[k1] = new long[FANOUT][][];
      level2Tables++;
    }
    long[][] level3 = level2[k2];
    if (level3 == null) {
      if (!create) {
        return null;
      }
      level3 = level2[k2] = new long[FANOUT][];
      level3Tables++;
    }
    long[] bucket = level3[k3];
    return bucket == null && create ? EMPTY : bucket;
  }

  private static int suffix(byte[] fp) {
    return (fp[3] & 0xFF) << 24 | (fp[4] & 0xFF) << 16 | (fp[5] & 0xFF) << 8 | (fp[6] & 0xFF);
  }

  private static long pack(byte[] fingerprint, long location) {
    return (long) suffix(fingerprint) << 32 | location;
  }

  @Override
  public String toString() {
    return "three-level index of " + size + " entries in " + buckets + " slots ("
        + Arrays.toString(new long[] {level2Tables, level3Tables}) + " level-2/3 tables)";
  }
}
