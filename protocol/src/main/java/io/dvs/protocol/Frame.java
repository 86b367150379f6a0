package io.dvs.protocol;

import com.google.common.base.Preconditions;

/**
 * One decoded frame: a request or its response. See {@link FrameDecoder} for the byte layout.
 *
 * @param opcode the request kind; a response echoes its request's opcode
 * @param requestId chosen by the requester, echoed in the response; many may be in flight
 * @param status {@link ErrorCode#OK} in requests and successful responses
 * @param capability an access token (empty until capabilities are issued); requests only
 * @param body the opcode's message, encoded by its codec in {@code io.dvs.protocol.message};
 *     for an error response, the UTF-8 error message
 */
public record Frame(
    int flags, Opcode opcode, long requestId, ErrorCode status, byte[] capability, byte[] body) {

  /** The only wire version so far. A peer that sends another gets BAD_REQUEST. */
  public static final int VERSION = 1;

  /** flags bit 0: this frame is a response. */
  public static final int FLAG_RESPONSE = 1;

  private static final byte[] EMPTY = new byte[0];

  public Frame {
    Preconditions.checkNotNull(opcode, "opcode");
    Preconditions.checkNotNull(status, "status");
    Preconditions.checkNotNull(capability, "capability");
    Preconditions.checkNotNull(body, "body");
    Preconditions.checkArgument(
        capability.length <= ProtocolLimits.CAPABILITY_BYTES_MAX,
        "capability: %s bytes (expected: <= %s)", capability.length,
        ProtocolLimits.CAPABILITY_BYTES_MAX);
  }

  public static Frame request(Opcode opcode, long requestId, byte[] body) {
    return new Frame(0, opcode, requestId, ErrorCode.OK, EMPTY, body);
  }

  public static Frame response(Frame request, byte[] body) {
    return new Frame(FLAG_RESPONSE, request.opcode, request.requestId, ErrorCode.OK, EMPTY, body);
  }

  public static Frame error(
      Opcode opcode, long requestId, ErrorCode status, String message) {
    return new Frame(
        FLAG_RESPONSE, opcode, requestId, status, EMPTY,
        WireWriter.utf8Truncated(message, ProtocolLimits.TEXT_BYTES_MAX));
  }

  public boolean isResponse() {
    return (flags & FLAG_RESPONSE) != 0;
  }

  /** Bytes this frame takes on the wire, its length field included. */
  public int encodedSizeBytes() {
    return 4 + ProtocolLimits.FRAME_HEADER_BYTES + capability.length + body.length;
  }

  /** For an error response: the message the server sent. */
  public String errorMessage() {
    return new String(body, java.nio.charset.StandardCharsets.UTF_8);
  }
}
