package io.dvs.protocol;

/** An error that crosses a boundary with a typed {@link ErrorCode}; the message is for people. */
public class DvsException extends RuntimeException {
  private final ErrorCode code;

  public DvsException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public DvsException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }

  public static DvsException badRequest(String message) {
    return new DvsException(ErrorCode.BAD_REQUEST, message);
  }

  public static DvsException notFound(String message) {
    return new DvsException(ErrorCode.NOT_FOUND, message);
  }
}
