package io.dvs.meta;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** A clock the test moves by hand, so lease and heartbeat timeouts need no sleeping. */
final class ManualClock implements MetaClock {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  void advanceMs(long ms) {
    nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
  }

  @Override
  public long monotonicNanos() {
    return nanos.get();
  }

  @Override
  public long wallNanos() {
    return 1_700_000_000_000_000_000L + nanos.get();
  }
}
