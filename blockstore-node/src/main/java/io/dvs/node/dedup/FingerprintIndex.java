package io.dvs.node.dedup;

import java.util.function.LongPredicate;

/**
 * Fingerprint → physical location L, for every distinct block the SN stores (paper 2, §3.5).
 * The first implementation is a persistent hash map; issue 3 puts the three-level index
 * (key1, key2, key3 = the fingerprint's first three bytes) and the Bloom filter in front of it.
 *
 * <p>Not thread-safe: the {@link DedupEngine}'s metadata lock guards every call. Changes become
 * durable with the engine's metadata commit, atomically with the LBA map and reference counts.
 */
public interface FingerprintIndex {
  /** Returned by {@link #lookup} when the fingerprint is not in the index. */
  long NO_LOCATION = -1;

  /** The L holding content with this fingerprint, or {@link #NO_LOCATION}. */
  default long lookup(byte[] fingerprint) {
    return lookup(fingerprint, location -> true);
  }

  /**
   * The first L holding content with this fingerprint that {@code usable} accepts, or
   * {@link #NO_LOCATION}. Several Ls may hold it: after a hash collision, or when a copy sits on
   * a failed device and the content was stored again.
   */
  long lookup(byte[] fingerprint, LongPredicate usable);

  /** Adds a fingerprint that is not in the index yet. */
  void insert(byte[] fingerprint, long location);

  /** Removes the fingerprint, which must map to {@code location}. */
  void remove(byte[] fingerprint, long location);

  long size();
}
