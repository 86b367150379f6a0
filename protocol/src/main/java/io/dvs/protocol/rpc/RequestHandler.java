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
}
