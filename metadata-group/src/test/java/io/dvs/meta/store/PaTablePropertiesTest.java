package io.dvs.meta.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The PA space allocator against a model: a PA is never handed out while used or releasing,
 * comes back only through an acknowledged release, and free + used + releasing is constant.
 */
class PaTablePropertiesTest {
  private static MetaStore store;
  private static int nextSnId = 1;

  private static synchronized MetaStore store() throws Exception {
    if (store == null) {
      Path dir = Files.createTempDirectory("pa-table");
      dir.toFile().deleteOnExit();
      store = MetaStore.open(dir);
    }
    return store;
  }

  /** Ops: positive = allocate that many; negative = release (-op)th used PA; 0 = acknowledge. */
  @Property(tries = 60)
  void allocateReleaseAcknowledge(
      @ForAll @Size(max = 40) List<@IntRange(min = -50, max = 50) Integer> ops) throws Exception {
    MetaStore s = store();
    int snId = nextSnId++;
    s.write(() -> {
      s.paSpace().addSn(snId);
      return null;
    });
    TreeSet<Long> used = new TreeSet<>();
    TreeSet<Long> releasing = new TreeSet<>();
    for (int op : ops) {
      s.write(() -> {
        PaTable pa = s.paSpace();
        if (op > 0) {
          for (PaTable.PaRun run : pa.allocate(snId, op, 3)) {
            for (long p = run.start(); p < run.start() + run.count(); p++) {
              assertFalse(used.contains(p) || releasing.contains(p), "PA " + p + " twice");
              used.add(p);
            }
          }
        } else if (op < 0 && !used.isEmpty()) {
          List<Long> list = new ArrayList<>(used);
          long p = list.get(-op % list.size());
          used.remove(p);
          releasing.add(p);
          pa.queueRelease(snId, p, 1);
        } else if (op == 0 && !releasing.isEmpty()) {
          long[] batch = pa.releaseBatches(1 << 16).stream().filter(b -> b.snId() == snId)
              .findFirst().orElseThrow().pas();
          assertEquals(releasing.stream().mapToLong(Long::longValue).boxed().toList(),
              java.util.Arrays.stream(batch).boxed().toList());
          pa.returnReleased(snId, batch);
          releasing.clear();
        }
        for (long p : releasing) {
          assertFalse(pa.anyFree(snId, p, 1));
          assertTrue(pa.anyReleasing(snId, p, 1));
        }
        assertEquals(PaTable.PA_SPACE_BLOCKS - used.size() - releasing.size(),
            pa.freeCount(snId));
        return null;
      });
    }
    Set<Long> none = new HashSet<>(used);
    none.retainAll(releasing);
    assertTrue(none.isEmpty());
  }
}
