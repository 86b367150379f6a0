package io.dvs.protocol.rpc;

import io.dvs.protocol.Frame;

/**
 * A server's logic: answer one request with a response body. Throw
 * {@link io.dvs.protocol.DvsException} for a typed error; any other exception becomes INTERNAL
 * for the requester and is logged, and the server keeps serving.
 */
@FunctionalInterface
public interface RequestHandler {
  byte[] handle(Frame request) throws Exception;

  /**
   * Whether the server may answer {@code request} on the connection's I/O thread instead of its
   * handler pool: true only for requests that take no lock a pool thread may hold for long and
   * cost about as much as the two thread hand-offs they save (a small read). The I/O thread
   * serves other connections meanwhile, so the default is no.
   */
  default boolean answersInline(Frame request) {
    return false;
  }
}
