package io.dvs.node;

import java.util.function.BooleanSupplier;

/** Polls a condition that another thread will make true; fails after 8 s. */
public final class Await {
  private Await() {
  }

  public static void until(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + 8_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }
}
