package io.dvs.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Builds a message body, big-endian. Bounds of variable fields are checked by the message. */
public final class WireWriter {
  private byte[] bytes;
  private int size;

  public WireWriter() {
    this(64);
  }

  public WireWriter(int expectedSizeBytes) {
    bytes = new byte[Math.max(16, expectedSizeBytes)];
  }

  private void ensure(int more) {
    if (size + more > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
    }
  }

  public WireWriter u8(int value) {
    ensure(1);
    bytes[size++] = (byte) value;
    return this;
  }

  public WireWriter bool(boolean value) {
    return u8(value ? 1 : 0);
  }

  public WireWriter u16(int value) {
    ensure(2);
    bytes[size++] = (byte) (value >>> 8);
    bytes[size++] = (byte) value;
    return this;
  }

  public WireWriter i32(int value) {
    ensure(4);
    for (int shift = 24; shift >= 0; shift -= 8) {
      bytes[size++] = (byte) (value >>> shift);
    }
    return this;
  }

  public WireWriter i64(long value) {
    ensure(8);
    for (int shift = 56; shift >= 0; shift -= 8) {
      bytes[size++] = (byte) (value >>> shift);
    }
    return this;
  }

  public WireWriter raw(byte[] src, int offset, int length) {
    ensure(length);
    System.arraycopy(src, offset, bytes, size, length);
    size += length;
    return this;
  }

  /** A byte string: u32 length, then the bytes. */
  public WireWriter bytes(byte[] value) {
    i32(value.length);
    return raw(value, 0, value.length);
  }

  /**
   * A string: u16 length, then its bytes, UTF-8 but for the bytes of a name that was not UTF-8
   * ({@link FsNames}), which go as they came.
   */
  public WireWriter string(String value) {
    byte[] encoded = FsNames.encode(value);
    if (encoded.length > 0xFFFF) {
      throw new IllegalArgumentException("string: " + encoded.length
          + " bytes (expected: <= 65535)");
    }
    u16(encoded.length);
    return raw(encoded, 0, encoded.length);
  }

  public byte[] toByteArray() {
    return size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
  }

  /** UTF-8 of {@code text}, cut to at most {@code maxBytes} without splitting a character. */
  static byte[] utf8Truncated(String text, int maxBytes) {
    byte[] utf8 = String.valueOf(text).getBytes(StandardCharsets.UTF_8);
    if (utf8.length <= maxBytes) {
      return utf8;
    }
    int cut = maxBytes;
    while (cut > 0 && (utf8[cut] & 0xC0) == 0x80) {
      cut--; // utf8[cut] continues the character before it: cut before that character instead
    }
    return Arrays.copyOf(utf8, cut);
  }
}
