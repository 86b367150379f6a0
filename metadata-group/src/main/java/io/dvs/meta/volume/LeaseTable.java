package io.dvs.meta.volume;

import io.dvs.meta.MetaClock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * When each mounted volume's lease holder was last heard from. Who holds the lease and its
 * epoch are persisted in the volume record; this liveness is not: after an MS restart a holder
 * is treated as just heard from, so it gets a full lease timeout to come back.
 */
final class LeaseTable {
  private final MetaClock clock;
  private final long leaseTimeoutNanos;

  /** Monotonic nanos of the holder's last accepted request, per volumeId. */
  private final Map<Long, Long> lastRenewNanos = new ConcurrentHashMap<>();

  LeaseTable(MetaClock clock, long leaseTimeoutMs) {
    this.clock = clock;
    this.leaseTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(leaseTimeoutMs);
  }

  void renew(long volumeId) {
    lastRenewNanos.put(volumeId, clock.monotonicNanos());
  }

  void forget(long volumeId) {
    lastRenewNanos.remove(volumeId);
  }

  boolean expired(long volumeId) {
    long now = clock.monotonicNanos();
    long last = lastRenewNanos.computeIfAbsent(volumeId, id -> now);
    return now - last > leaseTimeoutNanos;
  }

  /** Milliseconds since the holder was last heard from. */
  long idleMs(long volumeId) {
    Long last = lastRenewNanos.get(volumeId);
    return last == null ? 0 : TimeUnit.NANOSECONDS.toMillis(clock.monotonicNanos() - last);
  }
}
