package io.dvs.client.net;

import com.google.common.base.Preconditions;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Retries a call to the MS through transient failures (the MS restarting, a dropped
 * connection) with bounded exponential backoff and a bounded total wait, after which the last
 * error is thrown (the filesystem turns it into EIO). Safe because every MS request the
 * client repeats is idempotent or harmless to repeat: reads, journal groups (by sequence
 * number), lease renewals, and WDACG requests (PAs of a lost answer stay leased and are
 * reclaimed when the lease ends).
 */
public final class Retry {
  private static final Logger LOG = Logger.getLogger(Retry.class.getName());

  /** Errors that say "not now" rather than "no": the server may answer the same call later. */
  public static final Set<ErrorCode> TRANSIENT =
      Set.of(ErrorCode.TIMEOUT, ErrorCode.CONNECTION_LOST, ErrorCode.UNAVAILABLE);

  /** First pause: an MS restart on the same host takes a second or more, a dropped link less. */
  public static final long BACKOFF_MS_MIN = 50;

  /** Poll at least this often once the MS is back, so the client resumes within 2 s. */
  public static final long BACKOFF_MS_MAX = 2_000;

  /**
   * Total wait for the MS: long enough for a supervised MS restart (a JVM start and a store
   * open take a few seconds), short enough that an application sees EIO within two minutes.
   */
  public static final long TOTAL_WAIT_MS_DEFAULT = 120_000;

  private final Set<ErrorCode> retryOn;
  private final long totalWaitMs;
  private final LongSupplier clockMs;

  private Retry(Set<ErrorCode> retryOn, long totalWaitMs, LongSupplier clockMs) {
    Preconditions.checkArgument(totalWaitMs >= 0, "totalWaitMs: %s", totalWaitMs);
    this.retryOn = Set.copyOf(retryOn);
    this.totalWaitMs = totalWaitMs;
    this.clockMs = clockMs;
  }

  /** Retries {@link #TRANSIENT} errors for up to {@link #TOTAL_WAIT_MS_DEFAULT}. */
  public static Retry transientErrors() {
    return new Retry(TRANSIENT, TOTAL_WAIT_MS_DEFAULT, System::currentTimeMillis);
  }

  /** This policy, also retrying {@code code} (e.g. NODE_DOWN right after an MS restart). */
  public Retry alsoOn(ErrorCode code) {
    Set<ErrorCode> codes = new java.util.HashSet<>(retryOn);
    codes.add(code);
    return new Retry(codes, totalWaitMs, clockMs);
  }

  public Retry withTotalWaitMs(long newTotalWaitMs) {
    return new Retry(retryOn, newTotalWaitMs, clockMs);
  }

  public boolean isRetryable(ErrorCode code) {
    return retryOn.contains(code);
  }

  /** Runs {@code call} until it succeeds, fails for good, or the total wait is spent. */
  public <T> T call(String what, Supplier<T> call) {
    long deadline = clockMs.getAsLong() + totalWaitMs;
    long backoffMs = BACKOFF_MS_MIN;
    int attempt = 0;
    while (true) {
      try {
        return call.get();
      } catch (RuntimeException e) {
        RuntimeException cause = Futures.unwrap(e);
        if (!(cause instanceof DvsException d) || !retryOn.contains(d.code())
            || clockMs.getAsLong() + backoffMs > deadline) {
          throw cause;
        }
        if (attempt++ == 0) {
          LOG.warning(what + " failed (" + d.getMessage() + "); retrying for up to "
              + totalWaitMs / 1000 + " s");
        }
      }
      sleep(backoffMs, what);
      backoffMs = Math.min(BACKOFF_MS_MAX, backoffMs * 2);
    }
  }

  public void run(String what, Runnable call) {
    call(what, () -> {
      call.run();
      return null;
    });
  }

  private static void sleep(long ms, String what) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DvsException(ErrorCode.UNAVAILABLE, "interrupted while retrying " + what);
    }
  }
}
