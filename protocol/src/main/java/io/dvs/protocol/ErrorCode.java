package io.dvs.protocol;

/**
 * Typed error codes carried in a response frame's status field. Clients branch on these,
 * never on message text. Codes are explicit and stable: never reuse or renumber one.
 */
public enum ErrorCode {
  OK(0),
  /** The request's bytes are malformed (bad length, bad field). The connection stays open. */
  BAD_REQUEST(1),
  /** The opcode is not one this server serves. */
  UNKNOWN_OPCODE(2),
  NOT_FOUND(3),
  /** No physical space left (SN) or no PA space left (MS). */
  NO_SPACE(4),
  /** The volume is mounted read-write by another client. */
  LEASE_HELD(5),
  /** The request carries an epoch older than the volume's current lease. */
  STALE_EPOCH(6),
  /** A journal group arrived out of order (a sequence number was skipped). */
  JOURNAL_GAP(7),
  IO_ERROR(8),
  /** The server is starting, stopping or overloaded; retry later. */
  UNAVAILABLE(9),
  INTERNAL(10),
  ALREADY_EXISTS(11),
  /** The request names a storage node that is unknown or down. */
  NODE_DOWN(12),
  /** A value is outside what the server accepts (volume name, size, count). */
  INVALID_ARGUMENT(13),
  /** A directory is not empty. */
  NOT_EMPTY(14),
  /** The request was not answered in time (raised locally by the RPC client). */
  TIMEOUT(15),
  /** The connection to the server was lost (raised locally by the RPC client). */
  CONNECTION_LOST(16);

  private static final ErrorCode[] BY_CODE = new ErrorCode[32];

  static {
    for (ErrorCode e : values()) {
      if (BY_CODE[e.code] != null) {
        throw new AssertionError("duplicate error code " + e.code);
      }
      BY_CODE[e.code] = e;
    }
  }

  private final int code;

  ErrorCode(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** Returns the error for {@code code}; an unknown code from a newer peer reads as INTERNAL. */
  public static ErrorCode fromCode(int code) {
    if (code < 0 || code >= BY_CODE.length || BY_CODE[code] == null) {
      return INTERNAL;
    }
    return BY_CODE[code];
  }
}
