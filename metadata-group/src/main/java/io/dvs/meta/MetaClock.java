package io.dvs.meta;

/**
 * The MS's two clocks, behind an interface so tests can drive leases and node liveness
 * deterministically: a monotonic one for timeouts and a wall clock for inode times.
 */
public interface MetaClock {
  MetaClock SYSTEM = new MetaClock() {
    @Override
    public long monotonicNanos() {
      return System.nanoTime();
    }

    @Override
    public long wallNanos() {
      java.time.Instant now = java.time.Instant.now();
      return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
  };

  /** For measuring elapsed time only (leases, heartbeats, backoff). */
  long monotonicNanos();

  /** Nanoseconds since the Unix epoch, for inode times. */
  long wallNanos();
}
