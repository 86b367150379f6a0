package io.dvs.client.net;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Unwraps the exceptions that CompletableFuture wraps around our typed errors. */
public final class Futures {
  private Futures() {}

  public static RuntimeException unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof RuntimeException r) {
      return r;
    }
    return new DvsException(ErrorCode.INTERNAL, t.toString(), t);
  }
}
