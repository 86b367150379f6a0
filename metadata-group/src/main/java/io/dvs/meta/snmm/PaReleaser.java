package io.dvs.meta.snmm;

import io.dvs.meta.MetaClock;
import io.dvs.meta.store.MetaStore;
import io.dvs.meta.store.PaTable.ReleaseBatch;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Opcode;
import io.dvs.protocol.message.BlockOps;
import io.dvs.protocol.rpc.RpcClient;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Space reclaim: sends the queued PAs (released by journal groups and volume deletes) to their
 * SN as RELEASE_BLOCKS and, once the SN has acknowledged, returns them to the SN's free PA
 * space. Runs on its own thread so no client request ever waits on an SN; an SN that is down
 * or does not answer is retried with a bounded exponential backoff. A crash between the SN's
 * acknowledgement and our commit only means the batch is released again (idempotent on the SN).
 */
public final class PaReleaser implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(PaReleaser.class.getName());

  /** How often the queue is looked at: releases lag deletes by about this much. */
  static final long TICK_MS = 100;

  /** First retry delay after an SN failed or was down. */
  static final long BACKOFF_MIN_MS = 200;

  /** Retry at least this often, so an SN back up is served within half a minute. */
  static final long BACKOFF_MAX_MS = 30_000;

  /** RELEASE_BLOCKS of a full batch is a metadata-only operation on the SN; be generous. */
  static final long RELEASE_TIMEOUT_MS = 10_000;

  /**
   * One tick keeps sending batches while there are any, for at most this long: deleting a
   * 1 GiB file queues 4 full batches, which should not wait 4 ticks, yet close() must not wait
   * on an endless drain.
   */
  static final long DRAIN_MS_MAX = 5_000;

  private final MetaStore store;
  private final Snmm snmm;
  private final MetaClock clock;
  private final ScheduledExecutorService executor;

  /** Touched only by the releaser thread: per-SN clients, their addresses and backoff. */
  private final Map<Integer, RpcClient> clients = new HashMap<>();
  private final Map<Integer, Long> retryAtNanos = new HashMap<>();
  private final Map<Integer, Long> backoffMs = new HashMap<>();

  public PaReleaser(MetaStore store, Snmm snmm, MetaClock clock) {
    this.store = store;
    this.snmm = snmm;
    this.clock = clock;
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ms-pa-releaser");
      t.setDaemon(true);
      return t;
    });
  }

  public void start() {
    executor.scheduleWithFixedDelay(this::tickSafely, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
  }

  private void tickSafely() {
    try {
      tick();
    } catch (RuntimeException e) {
      // Never let one bad tick end the schedule; the queue is still there next time.
      LOG.log(Level.WARNING, "PA releaser tick failed", e);
    }
  }

  private void tick() {
    long drainUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_MS_MAX);
    while (releaseOnce() && System.nanoTime() - drainUntil < 0
        && !Thread.currentThread().isInterrupted()) {
      // Keep draining: each round sends at most one batch per SN.
    }
  }

  /** Sends one batch per SN that is due; true if any SN acknowledged one. */
  private boolean releaseOnce() {
    List<ReleaseBatch> batches =
        store.read(() -> store.paSpace().releaseBatches(BlockOps.RELEASE_PAS_MAX));
    long now = clock.monotonicNanos();
    boolean progress = false;
    for (ReleaseBatch batch : batches) {
      Long retryAt = retryAtNanos.get(batch.snId());
      if (retryAt != null && now - retryAt < 0) {
        continue;
      }
      if (!snmm.isUp(batch.snId())) {
        backOff(batch.snId(), "it is down");
        continue;
      }
      try {
        RpcClient sn = client(batch.snId());
        long released = BlockOps.BootId.decode(sn.call(Opcode.RELEASE_BLOCKS,
            new BlockOps.ReleaseBlocks(batch.pas()).encode()), "RELEASE_BLOCKS");
        // Durable on the SN before the PAs are free: else an SN crash could bring back the
        // old mapping of a PA that a new WDACG already handed to someone else. A FLUSH answered
        // by another boot means the SN restarted in between and may have lost the release.
        long flushed = BlockOps.BootId.decode(sn.call(Opcode.FLUSH, new byte[0]), "FLUSH");
        if (flushed != released) {
          backOff(batch.snId(), "it restarted between RELEASE_BLOCKS and FLUSH; releasing again");
          continue;
        }
      } catch (DvsException e) {
        backOff(batch.snId(), e.getMessage());
        continue;
      }
      store.write(() -> {
        store.paSpace().returnReleased(batch.snId(), batch.pas());
        return null;
      });
      retryAtNanos.remove(batch.snId());
      backoffMs.remove(batch.snId());
      progress = true;
    }
    return progress;
  }

  private void backOff(int snId, String why) {
    long delayMs = Math.min(BACKOFF_MAX_MS, backoffMs.getOrDefault(snId, BACKOFF_MIN_MS / 2) * 2);
    backoffMs.put(snId, delayMs);
    retryAtNanos.put(snId, clock.monotonicNanos() + TimeUnit.MILLISECONDS.toNanos(delayMs));
    LOG.info("cannot release PAs on SN " + snId + " (" + why + "); retry in " + delayMs + " ms");
  }

  private RpcClient client(int snId) {
    InetSocketAddress address = snmm.address(snId).orElseThrow(
        () -> new IllegalStateException("PAs queued for unknown SN " + snId));
    RpcClient client = clients.get(snId);
    if (client != null && !client.address().equals(address)) {
      client.close(); // The SN re-registered at a new address.
      client = null;
    }
    if (client == null) {
      client = new RpcClient("SN " + snId, address, RELEASE_TIMEOUT_MS);
      clients.put(snId, client);
    }
    return client;
  }

  /** Stops the thread (an RPC in progress ends within its timeout) and closes SN clients. */
  @Override
  public void close() {
    executor.shutdownNow();
    try {
      executor.awaitTermination(RELEASE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    clients.values().forEach(RpcClient::close);
    clients.clear();
  }
}
