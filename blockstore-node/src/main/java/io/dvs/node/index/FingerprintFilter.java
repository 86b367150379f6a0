package io.dvs.node.index;

import com.google.common.base.Preconditions;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
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
 * <h2>Layout: a blocked Bloom filter</h2>
 * The bits are cut into blocks of 512 (eight longs, about one cache line). A fingerprint picks
 * one block and sets {@link #PROBES} bits inside it, so a put or a lookup touches one block
 * where a classic filter touches {@link #PROBES} lines spread over the whole array. Sized at
 * {@link #BITS_PER_FINGERPRINT} bits per fingerprint, its false-positive rate is 0.96% (Poisson
 * load per block; FingerprintFilterTest measures it), where a classic one would need 9.6. The fingerprint is already a
 * cryptographic hash, so its words are only folded and mixed, not hashed again.
 *
 * <p>Why not a library: Guava's {@code BloomFilter} (used before) hashes the 32 bytes again
 * with murmur3 and touches 7 random cache lines per call; those misses, taken under the engine
 * lock for every written block, were ~7% of the CPU of a 4-job write. FastFilter's
 * {@code BlockedBloom} has no public constructor for a filter that grows by {@code add}.
 *
 * <p>Not persisted: rebuilt at start from the block table, which is cheaper than keeping a second
 * file in step with the journal. Not thread-safe: the engine's metadata lock guards it.
 */
public final class FingerprintFilter {
  /** Target false-positive rate; the layout below gives 0.96%. */
  public static final double FALSE_POSITIVE_RATE = 0.01;

  /** Never size below this: tiny test nodes still get a filter that behaves like a filter. */
  static final long EXPECTED_BLOCKS_MIN = 1024;

  /** Rebuild once the estimated false-positive rate is twice the target. */
  static final double REBUILD_FPP = 2 * FALSE_POSITIVE_RATE;

  /** Bits a fingerprint sets, all in its block: 7 x 9 bits of one mixed word choose them. */
  static final int PROBES = 7;

  /** Bits of the array per fingerprint it is sized for (expected blocks of the device). */
  static final int BITS_PER_FINGERPRINT = 10;

  private static final int WORDS_PER_BLOCK = 8;
  private static final int BITS_PER_FILTER_BLOCK = WORDS_PER_BLOCK * Long.SIZE;

  /** Java arrays are int-indexed: at most this many blocks (2^37 bits, 16 GiB). */
  private static final long FILTER_BLOCKS_MAX = (Integer.MAX_VALUE - 16) / WORDS_PER_BLOCK;

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private long[] words;
  private int filterBlocks;
  private long bitsSet;
  private long expectedBlocks;
  private long removedSinceBuild;
  private long lookups;
  private long negatives;
  private long falsePositives;
  private long rebuilds;

  public FingerprintFilter(long expectedBlocks) {
    create(expectedBlocks);
  }

  private void create(long expected) {
    this.expectedBlocks = Math.max(EXPECTED_BLOCKS_MIN, expected);
    long bits = expectedBlocks * BITS_PER_FINGERPRINT;
    long blocks = Math.min(FILTER_BLOCKS_MAX, (bits + BITS_PER_FILTER_BLOCK - 1)
        / BITS_PER_FILTER_BLOCK);
    this.filterBlocks = (int) blocks;
    this.words = new long[filterBlocks * WORDS_PER_BLOCK];
    this.bitsSet = 0;
    this.removedSinceBuild = 0;
  }

  /**
   * 64 well-mixed bits of a fingerprint: its 8-byte words folded (a short tail too), then
   * murmur3's finaliser, so even made-up test fingerprints spread over the blocks.
   */
  static long hash(byte[] fingerprint) {
    long h = fingerprint.length;
    int i = 0;
    for (; i + Long.BYTES <= fingerprint.length; i += Long.BYTES) {
      h = (h ^ (long) LONGS.get(fingerprint, i)) * 0x9E37_79B9_7F4A_7C15L;
    }
    for (; i < fingerprint.length; i++) {
      h = (h ^ (fingerprint[i] & 0xFF)) * 0x9E37_79B9_7F4A_7C15L;
    }
    return mix(h);
  }

  private static long mix(long h) {
    h ^= h >>> 33;
    h *= 0xFF51_AFD7_ED55_8CCDL;
    h ^= h >>> 33;
    h *= 0xC4CE_B9FE_1A85_EC53L;
    return h ^ (h >>> 33);
  }

  /** First word of the fingerprint's block: the high half of the hash scaled to the blocks. */
  private int blockStart(long hash) {
    return (int) (((hash >>> 32) * filterBlocks) >>> 32) * WORDS_PER_BLOCK;
  }

  /** True if the fingerprint may be stored; false means "definitely new". Counted. */
  public boolean mightContain(byte[] fingerprint) {
    lookups++;
    boolean maybe = probe(fingerprint, false);
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
    probe(fingerprint, true);
  }

  /**
   * The fingerprint's {@link #PROBES} bits in its block, chosen 9 bits at a time from a second
   * mix of its hash. True if all were set; with {@code set}, sets the missing ones (and is true).
   */
  private boolean probe(byte[] fingerprint, boolean set) {
    long hash = hash(fingerprint);
    int start = blockStart(hash);
    long bits = mix(hash);
    for (int i = 0; i < PROBES; i++, bits >>>= 9) {
      int bit = (int) bits & (BITS_PER_FILTER_BLOCK - 1);
      int w = start + (bit >>> 6);
      long mask = 1L << bit;
      if ((words[w] & mask) == 0) {
        if (!set) {
          return false;
        }
        words[w] |= mask;
        bitsSet++;
      }
    }
    return true;
  }

  public void noteRemoved() {
    removedSinceBuild++;
  }

  /** True when dead entries or growth have made the filter worse than it was sized to be. */
  public boolean needsRebuild(long liveBlocks) {
    return liveBlocks > expectedBlocks || expectedFpp() > REBUILD_FPP;
  }

  /** Fingerprints removed from the index since the last build (still set in the filter). */
  public long removedSinceBuild() {
    return removedSinceBuild;
  }

  /**
   * The false-positive rate the bits now set give: (fraction set)^{@link #PROBES}, the classic
   * estimate (a blocked filter does a little worse, 0.96% against 0.82% at the sized load).
   */
  public double expectedFpp() {
    return Math.pow((double) bitsSet / ((long) words.length * Long.SIZE), PROBES);
  }

  /**
   * Builds a fresh filter for {@code expected} blocks and fills it with the live fingerprints,
   * which {@code liveFingerprints} hands to the given sink. Counters keep running.
   */
  public void rebuild(long expected, Consumer<Consumer<byte[]>> liveFingerprints) {
    Preconditions.checkArgument(expected >= 0, "expected: %s", expected);
    create(expected);
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

  /** Heap bytes of the bit array. */
  public long heapBytes() {
    return 16 + (long) words.length * Long.BYTES;
  }
}
