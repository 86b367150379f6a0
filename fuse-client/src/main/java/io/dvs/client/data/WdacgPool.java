package io.dvs.client.data;

import static io.dvs.protocol.ProtocolLimits.WDACG_BLOCKS_MAX;

import io.dvs.protocol.message.Wdacg;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * The client's stock of free physical addresses (paper 1, algorithm 2, "apply once, write
 * many"): PAs arrive from the MS in WDACGs of n blocks; each new logical block takes the next.
 *
 * <p>The pool asks for the next WDACG ahead of time, when fewer than a quarter of the last
 * batch remain, so writers rarely wait. A writer that finds the pool empty waits for the
 * request in flight (its blocks are the WLIST of the paper).
 *
 * <p>How n adapts to the write rate (the paper leaves the rule open): a WDACG that was used up
 * in under {@link #FAST_REFILL_MS} doubles n for the next request, up to
 * {@link io.dvs.protocol.ProtocolLimits#WDACG_BLOCKS_MAX}; one that lasted longer than
 * {@link #SLOW_REFILL_MS} halves it, down to {@link #BATCH_BLOCKS_MIN}. A fast writer then asks
 * the MS about once a second at most; an idle one holds few unused PAs.
 */
public final class WdacgPool {
  /** First request: 4 MiB of blocks. */
  public static final int BATCH_BLOCKS_INITIAL = 1024;
  /** Never ask for fewer than 1 MiB of blocks: a request costs a round trip and a commit. */
  public static final int BATCH_BLOCKS_MIN = 256;
  static final long FAST_REFILL_MS = 1_000;
  static final long SLOW_REFILL_MS = 10_000;

  /** Where WDACGs come from: the MS's ALLOC_WDACG, or a fake in tests. */
  @FunctionalInterface
  public interface Source {
    Wdacg allocate(int count);
  }

  private final Source source;
  private final Executor executor;
  private final LongSupplier clockMs;

  /** Guarded by {@code this}. */
  private final ArrayDeque<PaRun> runs = new ArrayDeque<>();
  private long available;
  private int batchBlocks = BATCH_BLOCKS_INITIAL;
  private long lastRefillAtMs;
  private CompletableFuture<Void> refill;

  public WdacgPool(Source source, Executor executor, LongSupplier clockMs) {
    this.source = source;
    this.executor = executor;
    this.clockMs = clockMs;
    this.lastRefillAtMs = -1;
  }

  /** Takes {@code count} PAs, waiting for a WDACG if the pool runs dry. */
  public List<BlockAddress> take(int count) {
    List<BlockAddress> taken = new ArrayList<>(count);
    while (taken.size() < count) {
      PaRun run = takeRun(count - taken.size());
      for (int i = 0; i < run.count(); i++) {
        taken.add(new BlockAddress(run.snId(), run.firstPa() + i));
      }
    }
    return taken;
  }

  /**
   * Takes one run of consecutive PAs, at most {@code max} (fewer if the WDACG at the head of the
   * pool has fewer left), waiting for a WDACG if the pool runs dry.
   */
  PaRun takeRun(int max) {
    while (true) {
      CompletableFuture<Void> waitFor;
      synchronized (this) {
        PaRun run = runs.pollFirst();
        if (run != null) {
          int n = Math.min(run.count(), max);
          available -= n;
          if (n < run.count()) {
            runs.addFirst(run.rest(n));
          }
          maybeRefill();
          return new PaRun(run.snId(), run.firstPa(), n);
        }
        waitFor = maybeRefill();
      }
      waitFor.join(); // The WLIST wait: no PA until the MS answers.
    }
  }

  /** PAs taken by {@link #takeRun} and not used come back, to be taken first. */
  synchronized void giveBack(PaRun run) {
    if (run.count() > 0) {
      runs.addFirst(run);
      available += run.count();
    }
  }

  /** Starts a refill when running low; returns the refill in flight (or a done future). */
  private CompletableFuture<Void> maybeRefill() {
    if (refill != null) {
      return refill;
    }
    if (available >= batchBlocks / 4) {
      return CompletableFuture.completedFuture(null);
    }
    adaptBatchSize();
    int ask = batchBlocks;
    CompletableFuture<Void> f = CompletableFuture.runAsync(() -> add(source.allocate(ask)), executor);
    refill = f;
    f.whenComplete((v, e) -> {
      synchronized (this) {
        refill = null;
      }
    });
    return f;
  }

  private void adaptBatchSize() {
    long now = clockMs.getAsLong();
    long lastedMs = now - lastRefillAtMs;
    boolean first = lastRefillAtMs < 0;
    lastRefillAtMs = now;
    if (first) {
      return;
    }
    if (lastedMs < FAST_REFILL_MS) {
      batchBlocks = Math.min(WDACG_BLOCKS_MAX, batchBlocks * 2);
    } else if (lastedMs > SLOW_REFILL_MS) {
      batchBlocks = Math.max(BATCH_BLOCKS_MIN, batchBlocks / 2);
    }
  }

  private synchronized void add(Wdacg wdacg) {
    for (int i = 0; i < wdacg.paStarts().length; i++) {
      if (wdacg.counts()[i] > 0) {
        runs.addLast(new PaRun(wdacg.snId(), wdacg.paStarts()[i], wdacg.counts()[i]));
        available += wdacg.counts()[i];
      }
    }
  }

  public synchronized long available() {
    return available;
  }

  public synchronized int batchBlocks() {
    return batchBlocks;
  }
}
