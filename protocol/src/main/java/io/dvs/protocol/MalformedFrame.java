package io.dvs.protocol;

/**
 * A frame whose length was sound but whose header was not (unknown opcode, wrong version,
 * capability longer than the frame). The decoder skips its bytes and passes this up so the
 * server can answer the requester with an error instead of dropping the connection.
 */
public record MalformedFrame(
    long requestId, int opcodeCode, boolean isResponse, ErrorCode code, String reason) {}
