package io.dvs.meta.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.message.LptExtent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The MS's LPT extents against a model with one row per block: after any sequence of maps and
 * unmaps, the extents cover exactly the model's blocks with the model's PAs, every replaced or
 * removed PA was reported once, and no two extents read back could have been merged.
 */
class LptExtentStoreProperties {
  private static MetaStore store;
  private static long nextIno = 1;

  private static synchronized MetaStore store() throws Exception {
    if (store == null) {
      Path dir = Files.createTempDirectory("lpt-extents");
      dir.toFile().deleteOnExit();
      store = MetaStore.open(dir);
    }
    return store;
  }

  @Property(tries = 200)
  void extentsMatchAPerBlockModel(
      @ForAll @Size(max = 30) List<@IntRange(min = 0, max = 63) Integer> firsts,
      @ForAll @Size(max = 30) List<@IntRange(min = 1, max = 20) Integer> counts,
      @ForAll @Size(max = 30) List<@IntRange(min = 0, max = 5) Integer> kinds) throws Exception {
    check(firsts, counts, kinds);
  }

  /** The same across LPT rows: extents cross chunk edges (256 blocks) and span whole chunks. */
  @Property(tries = 100)
  void extentsAcrossChunkEdgesMatchAPerBlockModel(
      @ForAll @Size(max = 20) List<@IntRange(min = 200, max = 800) Integer> firsts,
      @ForAll @Size(max = 20) List<@IntRange(min = 1, max = 600) Integer> counts,
      @ForAll @Size(max = 20) List<@IntRange(min = 0, max = 5) Integer> kinds) throws Exception {
    check(firsts, counts, kinds);
  }

  private static void check(List<Integer> firsts, List<Integer> counts, List<Integer> kinds)
      throws Exception {
    MetaStore s = store();
    long ino = nextIno++;
    TreeMap<Long, long[]> model = new TreeMap<>(); // block -> {sn, pa}
    Map<String, Integer> reported = new TreeMap<>();
    Map<String, Integer> expectedReports = new TreeMap<>();
    int n = Math.min(firsts.size(), Math.min(counts.size(), kinds.size()));
    long nextPa = 1000;
    for (int i = 0; i < n; i++) {
      long first = firsts.get(i);
      int count = counts.get(i);
      int kind = kinds.get(i);
      if (kind <= 3) {
        // Kinds 0, 1 and 3 take fresh PAs (1 right after the last ones, so extents can merge;
        // 3 on SN 2); 2 maps a block again as the model has it (a replayed group).
        LptExtent x;
        if (kind == 2 && model.containsKey(first)) {
          x = new LptExtent(first, (int) model.get(first)[0], model.get(first)[1], 1);
        } else {
          x = new LptExtent(first, kind == 3 ? 2 : 1, nextPa, count);
          nextPa += count + (kind == 1 ? 0 : 3);
        }
        for (long b = first; b < x.endBlock(); b++) {
          long[] old = model.put(b, new long[] {x.snId(), x.paOf(b)});
          if (old != null && (old[0] != x.snId() || old[1] != x.paOf(b))) {
            expectedReports.merge(old[0] + ":" + old[1], 1, Integer::sum);
          }
        }
        s.write(() -> s.volumes().mapExtent(7, ino, x, r -> count(reported, r)));
      } else {
        long to = kind == 5 ? Long.MAX_VALUE : first + count;
        for (Long b : new ArrayList<>(model.subMap(first, true, to, false).keySet())) {
          long[] old = model.remove(b);
          expectedReports.merge(old[0] + ":" + old[1], 1, Integer::sum);
        }
        s.write(() -> s.volumes().unmapRange(7, ino, first, to, r -> count(reported, r)));
      }
      List<LptExtent> extents = s.read(() -> s.volumes().lptExtents(7, ino, 0, 10_000));
      TreeMap<Long, long[]> stored = new TreeMap<>();
      for (int j = 0; j < extents.size(); j++) {
        LptExtent x = extents.get(j);
        assertTrue(j == 0 || !extents.get(j - 1).continuedBy(x), "unmerged: " + extents);
        for (long b = x.firstBlock(); b < x.endBlock(); b++) {
          stored.put(b, new long[] {x.snId(), x.paOf(b)});
        }
      }
      assertEquals(render(model), render(stored));
      assertEquals(expectedReports, reported);
      assertEquals(model.size(), (long) s.read(() -> s.volumes().mappedBlocks(7, ino)));
      if (!model.isEmpty()) {
        long from = model.lastKey();
        List<LptExtent> tail = s.read(() -> s.volumes().lptExtents(7, ino, from, 10_000));
        assertEquals(List.of(new LptExtent(from, (int) model.get(from)[0], model.get(from)[1])),
            tail, "read from the last block");
      }
    }
  }

  private static void count(Map<String, Integer> reported, LptExtent piece) {
    for (long b = piece.firstBlock(); b < piece.endBlock(); b++) {
      reported.merge(piece.snId() + ":" + piece.paOf(b), 1, Integer::sum);
    }
  }

  private static String render(TreeMap<Long, long[]> blocks) {
    StringBuilder out = new StringBuilder();
    blocks.forEach((b, a) -> out.append(b).append("->").append(a[0]).append(':').append(a[1])
        .append(' '));
    return out.toString();
  }
}
