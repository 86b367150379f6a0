package io.dvs.node.index;

import com.google.common.base.Preconditions;
import com.google.common.hash.BloomFilter;
import com.google.common.hash.Funnels;
import java.util.function.Consumer;

/**
 * The Bloom filter in front of the three-level index (paper 2, "lookup filtering"): a lookup it
 * answers "definitely new" skips the index. A Bloom filter cannot forget, so every fingerprint
 * removed from the index stays in the filter as a future false positive. The owner rebuilds it
 * from the live fingerprints ({@link #needsRebuild}, {@link #rebuild}) once its false-positive
 * rate, estimated from the bits set (live and dead alike), passes {@link #REBUILD_FPP}, or the
 * live blocks outgrow what it was sized for. The filter is sized for the whole device, so
 * deleting even most of what a half-empty node holds leaves the rate far below target: a
 * rebuild (every live fingerprint again, under the engine lock) is rare.
 *
 * <p>Not persisted: rebuilt at start from the block table, which is cheaper than keeping a second
 * file in step with the journal. Not thread-safe: the engine's metadata lock guards it.
 */
public final class FingerprintFilter {
  /** Target false-positive rate: 1% costs ~9.6 bits per expected block. */
  public static final double FALSE_POSITIVE_RATE = 0.01;

  /** Never size below this: tiny test nodes still get a filter that behaves like a filter. */
  static final long EXPECTED_BLOCKS_MIN = 1024;

  /** Rebuild once the estimated false-positive rate is twice the target. */
  static final double REBUILD_FPP = 2 * FALSE_POSITIVE_RATE;

  private BloomFilter<byte[]> filter;
  private long expectedBlocks;
  private long removedSinceBuild;
  private long lookups;
  private long negatives;
  private long falsePositives;
  private long rebuilds;

  public FingerprintFilter(long expectedBlocks) {
    this.filter = create(expectedBlocks);
  }

  private BloomFilter<byte[]> create(long expected) {
    this.expectedBlocks = Math.max(EXPECTED_BLOCKS_MIN, expected);
    this.removedSinceBuild = 0;
    return BloomFilter.create(Funnels.byteArrayFunnel(), expectedBlocks, FALSE_POSITIVE_RATE);
  }

  /** True if the fingerprint may be stored; false means "definitely new". Counted. */
  public boolean mightContain(byte[] fingerprint) {
    lookups++;
    boolean maybe = filter.mightContain(fingerprint);
    if (!maybe) {
      negatives++;
    }
    return maybe;
  }

  /** The filter said maybe and the index said no. */
  public void countFalsePositive() {
    falsePositives++;
  }

  public void put(byte[] fingerprint) {
    filter.put(fingerprint);
  }

  public void noteRemoved() {
    removedSinceBuild++;
  }

  /** True when dead entries or growth have made the filter worse than it was sized to be. */
  public boolean needsRebuild(long liveBlocks) {
    return liveBlocks > expectedBlocks || filter.expectedFpp() > REBUILD_FPP;
  }

  /** Fingerprints removed from the index since the last build (still set in the filter). */
  public long removedSinceBuild() {
    return removedSinceBuild;
  }

  /** The false-positive rate the bits now set give (Guava's estimate). */
  public double expectedFpp() {
    return filter.expectedFpp();
  }

  /**
   * Builds a fresh filter for {@code expected} blocks and fills it with the live fingerprints,
   * which {@code liveFingerprints} hands to the given sink. Counters keep running.
   */
  public void rebuild(long expected, Consumer<Consumer<byte[]>> liveFingerprints) {
    Preconditions.checkArgument(expected >= 0, "expected: %s", expected);
    filter = create(expected);
    liveFingerprints.accept(this::put);
    rebuilds++;
  }

  public long lookups() {
    return lookups;
  }

  public long negatives() {
    return negatives;
  }

  public long falsePositives() {
    return falsePositives;
  }

  public long rebuilds() {
    return rebuilds;
  }

  /** Heap bytes of the bit array (Guava sizes it from expected count and rate). */
  public long heapBytes() {
    return (long) Math.ceil(-expectedBlocks * Math.log(FALSE_POSITIVE_RATE)
        / (Math.log(2) * Math.log(2)) / 8);
  }
}
