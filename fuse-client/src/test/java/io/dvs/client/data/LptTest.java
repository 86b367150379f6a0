package io.dvs.client.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The LPT against a plain map model, and its compactness for sequential files. */
class LptTest {
  /** One step of a random workload: put, remove or truncate at a small block range. */
  record Op(int kind, long block, int snId, long pa) {}

  @Provide
  Arbitrary<List<Op>> workloads() {
    Arbitrary<Op> op = Combinators.combine(
        Arbitraries.integers().between(0, 9),
        Arbitraries.longs().between(0, 200),
        Arbitraries.integers().between(1, 2),
        Arbitraries.longs().between(0, 300)).as(Op::new);
    return op.list().ofMaxSize(300);
  }

  @Property(tries = 300)
  void behavesLikeAMap(@ForAll("workloads") List<Op> ops) {
    Lpt lpt = new Lpt();
    TreeMap<Long, BlockAddress> model = new TreeMap<>();
    for (Op op : ops) {
      if (op.kind() < 6) {
        BlockAddress a = new BlockAddress(op.snId(), op.pa());
        assertEquals(model.put(op.block(), a), lpt.put(op.block(), a));
      } else if (op.kind() < 9) {
        assertEquals(model.remove(op.block()), lpt.remove(op.block()));
      } else {
        Map<Long, BlockAddress> tail = new HashMap<>(model.tailMap(op.block(), true));
        model.tailMap(op.block(), true).clear();
        List<Lpt.MappedBlock> removed = lpt.truncate(op.block());
        assertEquals(tail.size(), removed.size());
        removed.forEach(r -> assertEquals(tail.get(r.block()), r.address()));
      }
      assertEquals(model.size(), lpt.mappedBlocks());
    }
    for (long b = 0; b <= 201; b++) {
      assertEquals(model.get(b), lpt.lookup(b), "block " + b);
    }
    assertEquals(model.size(), lpt.all().size());
  }

  @Test
  void sequentialWritesCollapseIntoOneExtent() {
    Lpt lpt = new Lpt();
    for (long b = 0; b < 100_000; b++) {
      lpt.put(b, new BlockAddress(3, 5_000 + b));
    }
    assertEquals(1, lpt.extentCount());
    assertEquals(new BlockAddress(3, 5_000 + 77_777), lpt.lookup(77_777));
    lpt.remove(50_000);
    assertEquals(2, lpt.extentCount());
    assertNull(lpt.lookup(50_000));
    lpt.put(50_000, new BlockAddress(3, 55_000));
    assertEquals(1, lpt.extentCount(), "refilling the gap with the right PA merges again");
  }

  @Test
  void holesReadAsNull() {
    Lpt lpt = new Lpt();
    lpt.put(10, new BlockAddress(1, 1));
    assertNull(lpt.lookup(9));
    assertNull(lpt.lookup(11));
    assertEquals(1, lpt.truncate(0).size());
    assertEquals(0, lpt.mappedBlocks());
  }
}
