package io.dvs.client.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The client's MS retry policy: transient errors wait, others fail at once, waits are bounded. */
class RetryTest {
  @Test
  void transientErrorsAreRetriedUntilTheCallSucceeds() {
    AtomicInteger calls = new AtomicInteger();
    String result = Retry.transientErrors().call("test", () -> {
      if (calls.incrementAndGet() < 3) {
        // As the RPC client's futures deliver it: wrapped.
        throw new CompletionException(new DvsException(ErrorCode.CONNECTION_LOST, "lost"));
      }
      return "ok";
    });
    assertEquals("ok", result);
    assertEquals(3, calls.get());
  }

  @Test
  void otherErrorsFailAtOnceTyped() {
    AtomicInteger calls = new AtomicInteger();
    DvsException e = assertThrows(DvsException.class, () -> Retry.transientErrors().call("test",
        () -> {
          calls.incrementAndGet();
          throw new DvsException(ErrorCode.STALE_EPOCH, "lease lost");
        }));
    assertEquals(ErrorCode.STALE_EPOCH, e.code());
    assertEquals(1, calls.get());
  }

  @Test
  void theTotalWaitIsBounded() {
    long start = System.nanoTime();
    DvsException e = assertThrows(DvsException.class, () -> Retry.transientErrors()
        .withTotalWaitMs(300).call("test", () -> {
          throw new DvsException(ErrorCode.UNAVAILABLE, "MS down");
        }));
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertEquals(true, elapsedMs < 2_000, "gave up after " + elapsedMs + " ms");
  }

  @Test
  void nodeDownIsRetriedOnlyWhenAsked() {
    AtomicInteger calls = new AtomicInteger();
    int n = Retry.transientErrors().alsoOn(ErrorCode.NODE_DOWN).call("wdacg", () -> {
      if (calls.incrementAndGet() < 2) {
        throw new DvsException(ErrorCode.NODE_DOWN, "no SN up yet");
      }
      return 7;
    });
    assertEquals(7, n);
    assertThrows(DvsException.class, () -> Retry.transientErrors().call("x", () -> {
      throw new DvsException(ErrorCode.NODE_DOWN, "no SN");
    }));
  }
}
