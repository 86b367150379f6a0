package io.dvs.meta.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run sets (free, releasing, leased PAs) are searched in a memory copy of their MapDB rows
 * (see {@link RunMap}): the copy must say what the store says, after commits, after rollbacks,
 * and after a reopen that reads the rows back from disk.
 */
class RunMapCopyTest {
  private static final int SN = 1;
  private static final long VOLUME = 7;

  @Test
  void aRolledBackChangeLeavesNoTraceInTheCopy(@TempDir Path dir) {
    try (MetaStore store = MetaStore.open(dir)) {
      store.write(() -> {
        store.paSpace().addSn(SN);
        PaTable.PaRun run = store.paSpace().allocate(SN, 100, 1).get(0);
        store.leasedPas().add(VOLUME, SN, run.start(), run.count());
        return null;
      });
      String before = state(store);
      assertThrows(IllegalStateException.class, () -> store.write(() -> {
        PaTable.PaRun run = store.paSpace().allocate(SN, 50, 1).get(0);
        store.leasedPas().add(VOLUME, SN, run.start(), run.count());
        store.leasedPas().removeRange(VOLUME, SN, 0, 10);
        store.paSpace().queueRelease(SN, 0, 10);
        store.leasedPas().takeAll(VOLUME);
        throw new IllegalStateException("bad request");
      }));
      assertEquals(before, state(store));
      // Queries after the rollback go by the copy: it must still find the leased and free PAs.
      assertEquals(100, store.read(() -> store.leasedPas().count(VOLUME)));
      assertEquals(false, store.read(() -> store.paSpace().anyFree(SN, 0, 100)));
      assertEquals(true, store.read(() -> store.paSpace().anyFree(SN, 100, 1)));
    }
  }

  @Test
  void theCopyMatchesTheRowsReadBackAfterManyChanges(@TempDir Path dir) {
    Random random = new Random(42);
    String before;
    try (MetaStore store = MetaStore.open(dir)) {
      store.write(() -> {
        store.paSpace().addSn(SN);
        return null;
      });
      List<long[]> leased = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        boolean fail = random.nextInt(10) == 0;
        int op = random.nextInt(4);
        try {
          store.write(() -> {
            change(store, op, random, leased);
            if (fail) {
              throw new IllegalStateException("rolled back");
            }
            return null;
          });
        } catch (IllegalStateException e) {
          leased.clear(); // the model forgets too: rebuild it from the store
          for (LeasedPaTable.LeasedRun run : store.read(() -> store.leasedPas().runs(VOLUME))) {
            leased.add(new long[] {run.start(), run.end()});
          }
        }
      }
      before = state(store);
    }
    try (MetaStore reopened = MetaStore.open(dir)) {
      assertEquals(before, state(reopened));
    }
  }

  /** One random change: lease PAs, map (unlease) some, release mapped ones, or acknowledge. */
  private static void change(MetaStore store, int op, Random random, List<long[]> leased) {
    switch (op) {
      case 0 -> {
        for (PaTable.PaRun run : store.paSpace().allocate(SN, 1 + random.nextInt(64), 3)) {
          store.leasedPas().add(VOLUME, SN, run.start(), run.count());
          leased.add(new long[] {run.start(), run.start() + run.count()});
        }
      }
      case 1, 2 -> {
        if (leased.isEmpty()) {
          return;
        }
        long[] run = leased.remove(random.nextInt(leased.size()));
        long end = run[0] + 1 + random.nextInt((int) (run[1] - run[0]));
        store.leasedPas().removeRange(VOLUME, SN, run[0], end);
        if (end < run[1]) {
          leased.add(new long[] {end, run[1]});
        }
        if (op == 2) {
          store.paSpace().queueRelease(SN, run[0], end - run[0]);
        }
      }
      default -> {
        for (PaTable.ReleaseBatch batch : store.paSpace().releaseBatches(1 + random.nextInt(40))) {
          store.paSpace().returnReleased(batch.snId(), batch.pas());
        }
      }
    }
  }

  private static String state(MetaStore store) {
    return store.read(() -> "free " + store.paSpace().freeCount(SN)
        + " releasing " + store.paSpace().releasingCount()
        + " next release " + store.paSpace().releaseBatches(1 << 20).stream()
            .map(b -> b.snId() + ":" + java.util.Arrays.toString(b.pas())).toList()
        + " leased " + store.leasedPas().runs(VOLUME));
  }
}
