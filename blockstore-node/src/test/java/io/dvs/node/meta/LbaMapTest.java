package io.dvs.node.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The open-addressing LBA map against a HashMap, with removals (backward-shift) and growth. */
class LbaMapTest {
  @Property(tries = 100)
  void behavesLikeAMap(@ForAll long seed, @ForAll @IntRange(min = 1, max = 5000) int ops,
      @ForAll @IntRange(min = 1, max = 3000) int paRange) {
    Random random = new Random(seed);
    LbaMap map = new LbaMap();
    Map<Long, Long> model = new HashMap<>();
    for (int i = 0; i < ops; i++) {
      long pa = random.nextInt(paRange) * 1024L; // clustered hashes exercise probing
      if (random.nextInt(3) == 0) {
        assertEquals(model.getOrDefault(pa, LbaMap.NONE), map.remove(pa));
        model.remove(pa);
      } else {
        long l = random.nextInt(1 << 20);
        Long old = model.put(pa, l);
        assertEquals(old == null ? LbaMap.NONE : old, map.put(pa, l));
      }
    }
    assertEquals(model.size(), map.size());
    for (int pa = 0; pa < paRange; pa++) {
      assertEquals(model.getOrDefault(pa * 1024L, LbaMap.NONE), map.get(pa * 1024L));
    }
    long[] count = new long[1];
    map.forEach((pa, l) -> {
      assertEquals(model.get(pa), l);
      count[0]++;
    });
    assertEquals(model.size(), count[0]);
  }
}
