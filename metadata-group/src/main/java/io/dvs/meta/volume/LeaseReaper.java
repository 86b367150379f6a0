package io.dvs.meta.volume;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Ends leases whose holder went silent (no request for the lease timeout): the volume becomes
 * unmounted and the PAs its lease held unmapped are reclaimed, without waiting for another
 * client to take the volume over. Runs on its own thread; a client request never waits on it
 * beyond one store transaction.
 */
public final class LeaseReaper implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(LeaseReaper.class.getName());

  /** Expiry is noticed within this of the timeout; a scan reads one record per volume. */
  static final long SCAN_INTERVAL_MS = 1_000;

  private final VolumeService volumes;
  private final ScheduledExecutorService executor;

  public LeaseReaper(VolumeService volumes) {
    this.volumes = volumes;
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ms-lease-reaper");
      t.setDaemon(true);
      return t;
    });
  }

  public void start() {
    executor.scheduleWithFixedDelay(this::scanSafely, SCAN_INTERVAL_MS, SCAN_INTERVAL_MS,
        TimeUnit.MILLISECONDS);
  }

  private void scanSafely() {
    try {
      volumes.expireLeases();
    } catch (RuntimeException e) {
      // The next scan tries again; a closed store ends with the server.
      LOG.log(Level.FINE, "lease scan failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
    try {
      executor.awaitTermination(SCAN_INTERVAL_MS * 10, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
