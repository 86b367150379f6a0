package io.dvs.protocol;


/**
 * Reads a message body that came off the network. Every read is bounds-checked; every
 * variable length is checked against the caller's limit before anything is allocated.
 * Problems raise {@link DvsException} with {@link ErrorCode#BAD_REQUEST} naming the field,
 * the value and the limit.
 */
public final class WireReader {
  private final byte[] bytes;
  private int position;
  private final int end;

  public WireReader(byte[] bytes) {
    this(bytes, 0, bytes.length);
  }

  public WireReader(byte[] bytes, int offset, int length) {
    java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
    this.bytes = bytes;
    this.position = offset;
    this.end = offset + length;
  }

  private void need(int count, String field) {
    if (count > end - position) {
      throw DvsException.badRequest(
          field + ": needs " + count + " bytes (remaining: " + (end - position) + ")");
    }
  }

  public int u8(String field) {
    need(1, field);
    return bytes[position++] & 0xFF;
  }

  public boolean bool(String field) {
    int value = u8(field);
    if (value > 1) {
      throw DvsException.badRequest(field + ": " + value + " (expected: 0 or 1)");
    }
    return value == 1;
  }

  public int u16(String field) {
    need(2, field);
    int value = ((bytes[position] & 0xFF) << 8) | (bytes[position + 1] & 0xFF);
    position += 2;
    return value;
  }

  public int i32(String field) {
    need(4, field);
    int value = 0;
    for (int i = 0; i < 4; i++) {
      value = (value << 8) | (bytes[position++] & 0xFF);
    }
    return value;
  }

  public long i64(String field) {
    need(8, field);
    long value = 0;
    for (int i = 0; i < 8; i++) {
      value = (value << 8) | (bytes[position++] & 0xFF);
    }
    return value;
  }

  /** A count field (u32) that must lie in [0, max]. */
  public int count(String field, int max) {
    int value = i32(field);
    if (value < 0 || value > max) {
      throw DvsException.badRequest(field + ": " + value + " (expected: 0.." + max + ")");
    }
    return value;
  }

  /** A non-negative i64 such as a size, block index or PA. */
  public long nonNegative(String field) {
    long value = i64(field);
    if (value < 0) {
      throw DvsException.badRequest(field + ": " + value + " (expected: >= 0)");
    }
    return value;
  }

  public byte[] bytes(String field, int maxBytes) {
    int length = count(field + " length", maxBytes);
    need(length, field);
    byte[] value = new byte[length];
    System.arraycopy(bytes, position, value, 0, length);
    position += length;
    return value;
  }

  public String string(String field, int maxBytes) {
    int length = u16(field + " length");
    if (length > maxBytes) {
      throw DvsException.badRequest(
          field + " length: " + length + " (expected: <= " + maxBytes + ")");
    }
    need(length, field);
    String value = FsNames.decode(bytes, position, length);
    position += length;
    return value;
  }

  /** Skips {@code length} bytes and returns the offset where they start in the backing array. */
  public int skip(int length, String field) {
    need(length, field);
    int start = position;
    position += length;
    return start;
  }

  public byte[] backingArray() {
    return bytes;
  }

  /** Call after the last field: trailing bytes mean the peer and we disagree on the layout. */
  public void expectEnd(String message) {
    if (position != end) {
      throw DvsException.badRequest(
          message + ": " + (end - position) + " trailing bytes (expected: 0)");
    }
  }
}
