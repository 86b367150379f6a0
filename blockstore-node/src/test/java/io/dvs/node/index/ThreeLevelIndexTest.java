package io.dvs.node.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.node.dedup.FingerprintIndex;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The three-level index against a HashMap model. Fingerprints are drawn from a tiny alphabet so
 * that many share key1..key3 and even the 32-bit suffix: the full-fingerprint check is what
 * tells them apart, and exact dedup must hold (every stored fingerprint found, no false match).
 */
class ThreeLevelIndexTest {
  @Property(tries = 100)
  void behavesLikeAMap(@ForAll long seed, @ForAll @IntRange(min = 1, max = 400) int ops) {
    behavesLikeAMap(seed, ops, 2);
  }

  /**
   * Key3 spread over all 256 values while key1, key2 and the suffix still collide: one level-3
   * table holds many slots side by side, so every insert and remove moves the slots after it.
   */
  @Property(tries = 100)
  void slotsSideBySideBehaveLikeAMap(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 1500) int ops) {
    behavesLikeAMap(seed, ops, 256);
  }

  private static void behavesLikeAMap(long seed, int ops, int key3Values) {
    Random random = new Random(seed);
    Map<ByteBuffer, Long> model = new HashMap<>();
    Map<Long, byte[]> byLocation = new HashMap<>();
    ThreeLevelIndex index = new ThreeLevelIndex((l, fp) -> byLocation.containsKey(l)
        && java.util.Arrays.equals(byLocation.get(l), fp));
    long nextLocation = 0;
    List<ByteBuffer> stored = new ArrayList<>();
    for (int i = 0; i < ops; i++) {
      byte[] fp = new byte[32];
      for (int b = 0; b < fp.length; b++) {
        // prefixes collide, tails differ
        fp[b] = (byte) random.nextInt(b == 2 ? key3Values : b < 7 ? 2 : 256);
      }
      ByteBuffer key = ByteBuffer.wrap(fp);
      if (random.nextInt(3) == 0 && !stored.isEmpty()) {
        ByteBuffer victim = stored.remove(random.nextInt(stored.size()));
        long l = model.remove(victim);
        index.remove(victim.array(), l);
        byLocation.remove(l);
      } else if (!model.containsKey(key)) {
        long l = nextLocation++;
        index.insert(fp, l);
        model.put(key, l);
        byLocation.put(l, fp);
        stored.add(key);
      }
      assertEquals(model.size(), index.size());
    }
    for (Map.Entry<ByteBuffer, Long> e : model.entrySet()) {
      assertEquals((long) e.getValue(), index.lookup(e.getKey().array()));
    }
    byte[] absent = new byte[32];
    absent[31] = 1;
    if (!model.containsKey(ByteBuffer.wrap(absent))) {
      assertEquals(FingerprintIndex.NO_LOCATION, index.lookup(absent));
    }
  }

  /** Two Ls with one fingerprint (a copy on a failed device, stored again): the usable one. */
  @Test
  void lookupSkipsLocationsTheCallerCannotUse() {
    ThreeLevelIndex index = new ThreeLevelIndex((l, fp) -> true);
    byte[] fp = new byte[32];
    fp[5] = 9;
    index.insert(fp, 7);
    index.insert(fp, 3);
    assertEquals(3, index.lookup(fp));
    assertEquals(7, index.lookup(fp, l -> l != 3));
    assertEquals(FingerprintIndex.NO_LOCATION, index.lookup(fp, l -> false));
    index.remove(fp, 3);
    assertEquals(7, index.lookup(fp));
  }

  @Test
  void heapBytesPerEntryStayUnder32AtScale() {
    // 2M random SHA-256-like fingerprints: enough to fill the levels realistically here; the
    // bench measures 1M/10M/50M.
    ThreeLevelIndex index = new ThreeLevelIndex((l, fp) -> true);
    Random random = new Random(1);
    byte[] fp = new byte[32];
    int n = 2_000_000;
    for (int i = 0; i < n; i++) {
      random.nextBytes(fp);
      index.insert(fp, i);
    }
    double perEntry = (double) index.heapBytes() / n;
    assertTrue(perEntry < 32 * 2, "bytes per entry at 2M: " + perEntry);
  }
}
