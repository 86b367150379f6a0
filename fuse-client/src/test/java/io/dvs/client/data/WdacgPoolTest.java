package io.dvs.client.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.message.Wdacg;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The WDACG pool: never hands a PA out twice, asks ahead, and adapts n to the write rate. */
class WdacgPoolTest {
  /** A fake MS: consecutive PAs on SN 1, counting requests. */
  private static final class FakeMs implements WdacgPool.Source {
    final AtomicLong nextPa = new AtomicLong();
    final AtomicInteger requests = new AtomicInteger();

    @Override
    public Wdacg allocate(int count) {
      requests.incrementAndGet();
      long start = nextPa.getAndAdd(count);
      return new Wdacg(1, new long[] {start}, new int[] {count});
    }
  }

  @Test
  void everyPaIsHandedOutOnce() {
    FakeMs ms = new FakeMs();
    WdacgPool pool = new WdacgPool(ms, Runnable::run, System::currentTimeMillis);
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      for (BlockAddress a : pool.take(37)) {
        assertTrue(seen.add(a.pa()), "PA " + a.pa() + " handed out twice");
      }
    }
    assertEquals(200 * 37, seen.size());
  }

  @Test
  void oneRequestServesManyWrites() {
    FakeMs ms = new FakeMs();
    WdacgPool pool = new WdacgPool(ms, Runnable::run, System::currentTimeMillis);
    for (int i = 0; i < 100; i++) {
      pool.take(1);
    }
    assertEquals(1, ms.requests.get(), "apply once, write many");
  }

  @Test
  void asksForTheNextGroupBeforeRunningOut() {
    FakeMs ms = new FakeMs();
    WdacgPool pool = new WdacgPool(ms, Runnable::run, System::currentTimeMillis);
    pool.take(WdacgPool.BATCH_BLOCKS_INITIAL * 3 / 4 + 1);
    assertEquals(2, ms.requests.get(), "refilled when under a quarter was left");
    assertTrue(pool.available() > 0);
  }

  @Test
  void batchSizeFollowsTheWriteRate() {
    FakeMs ms = new FakeMs();
    AtomicLong clock = new AtomicLong(1_000_000);
    WdacgPool pool = new WdacgPool(ms, Runnable::run, clock::get);
    List<BlockAddress> first = pool.take(1);
    assertEquals(1, first.size());
    int initial = pool.batchBlocks();
    pool.take((int) pool.available()); // A fast writer: used up at once.
    assertEquals(initial * 2, pool.batchBlocks());
    clock.addAndGet(60_000); // A slow writer: the next group lasted a minute.
    pool.take((int) pool.available());
    assertEquals(initial, pool.batchBlocks());
  }
}
