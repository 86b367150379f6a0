package io.dvs.bench.node;

import io.dvs.node.dedup.FingerprintIndex;
import io.dvs.node.index.FingerprintFilter;
import io.dvs.node.index.ThreeLevelIndex;
import io.dvs.node.meta.BlockTable;
import java.util.Random;

/**
 * The three-level index at scale: inserts/s while filling it with N SHA-256-sized random
 * fingerprints (backed by a real {@link BlockTable} for the full-fingerprint check, as in the
 * SN), then lookups/s on one core for present and absent fingerprints, with and without the
 * Bloom filter in front, and heap bytes per entry (counted from the arrays, and by
 * {@link Runtime} before/after as a cross-check).
 *
 * <p>A plain main rather than JMH: building a 10M-entry index is the expensive part and is
 * itself the insert measurement; JMH would rebuild it per fork. Lookups are timed over
 * {@link #LOOKUPS} calls after {@link #LOOKUPS} warm-up calls.
 *
 * <pre>
 * java -Xmx6g -cp bench/target/benchmarks.jar io.dvs.bench.node.IndexScaleBench 1000000 10000000
 * </pre>
 */
public final class IndexScaleBench {
  static final int DIGEST_BYTES = 32;
  static final int LOOKUPS = 2_000_000;

  private IndexScaleBench() {}

  public static void main(String[] args) {
    for (String arg : args.length == 0 ? new String[] {"1000000"} : args) {
      run(Integer.parseInt(arg));
    }
  }

  static void run(int n) {
    System.gc();
    long heapBefore = usedHeap();
    BlockTable table = new BlockTable(DIGEST_BYTES);
    ThreeLevelIndex index = new ThreeLevelIndex(table::matches);
    FingerprintFilter filter = new FingerprintFilter(n);
    Random random = new Random(n);
    byte[] fp = new byte[DIGEST_BYTES];
    for (int i = 0; i < n; i++) { // the table is the SN's, not the index's: fill it untimed
      random.nextBytes(fp);
      table.create(i, fp, 1);
    }
    long heapTable = usedHeap();
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      byte[] f = table.fingerprint(i);
      index.insert(f, i);
      filter.put(f);
    }
    double insertSeconds = (System.nanoTime() - start) / 1e9;
    long heapAfter = usedHeap();
    System.out.printf("N=%,d  insert (index+filter) %,.0f /s  index heap %.1f B/entry "
        + "(counted), %.1f B/entry (Runtime delta)  filter %.1f B/entry  block table %.1f "
        + "B/entry%n", n, n / insertSeconds, index.heapBytes() / (double) n,
        (heapAfter - heapTable) / (double) n - filter.heapBytes() / (double) n,
        filter.heapBytes() / (double) n, (heapTable - heapBefore) / (double) n);
    byte[][] present = new byte[1024][];
    byte[][] absent = new byte[1024][];
    for (int i = 0; i < present.length; i++) {
      present[i] = table.fingerprint(random.nextInt(n));
      absent[i] = new byte[DIGEST_BYTES];
      random.nextBytes(absent[i]);
    }
    for (boolean useFilter : new boolean[] {false, true}) {
      for (boolean hit : new boolean[] {true, false}) {
        byte[][] keys = hit ? present : absent;
        lookups(index, filter, keys, useFilter); // warm-up
        long t = System.nanoTime();
        long found = lookups(index, filter, keys, useFilter);
        double seconds = (System.nanoTime() - t) / 1e9;
        System.out.printf("N=%,d  lookup %-7s filter=%-5s %,.0f /s  (found %d of %d)%n", n,
            hit ? "present" : "absent", useFilter, LOOKUPS / seconds, found, LOOKUPS);
      }
    }
  }

  private static long lookups(ThreeLevelIndex index, FingerprintFilter filter, byte[][] keys,
      boolean useFilter) {
    long found = 0;
    for (int i = 0; i < LOOKUPS; i++) {
      byte[] k = keys[i & (keys.length - 1)];
      if (useFilter && !filter.mightContain(k)) {
        continue;
      }
      if (index.lookup(k) != FingerprintIndex.NO_LOCATION) {
        found++;
      }
    }
    return found;
  }

  private static long usedHeap() {
    Runtime r = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return r.totalMemory() - r.freeMemory();
  }
}
