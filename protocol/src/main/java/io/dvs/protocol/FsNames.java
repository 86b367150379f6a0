package io.dvs.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * File names as Linux has them, any bytes but '/' and NUL, in Java Strings without loss: valid
 * UTF-8 decodes as such, and each byte that is not part of valid UTF-8 becomes the lone
 * surrogate U+DC80..U+DCFF of its value (Python's "surrogateescape", PEP 383). {@link #encode}
 * gives the bytes back, so {@code encode(decode(b))} equals {@code b} for every byte string.
 *
 * <p>Every string on the wire goes through here ({@link WireWriter#string}, {@link
 * WireReader#string}), so a name reaches the MS as the bytes the user gave, and the MS stores
 * those bytes. For the UTF-8 names that are all most volumes hold, both directions are plain
 * UTF-8: nothing stored before changes.
 */
public final class FsNames {
  private static final char ESCAPE_FIRST = '\uDC80';
  private static final char ESCAPE_LAST = '\uDCFF';

  private FsNames() {}

  public static String decode(byte[] bytes) {
    return decode(bytes, 0, bytes.length);
  }

  /** {@code length} bytes from {@code offset} as a String; see the class comment. */
  public static String decode(byte[] bytes, int offset, int length) {
    if (isAscii(bytes, offset, length)) {
      return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
    }
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes, offset, length);
    CharBuffer out = CharBuffer.allocate(length); // UTF-8 never needs more chars than bytes
    while (true) {
      CoderResult result = decoder.decode(in, out, true);
      if (result.isUnderflow()) {
        break;
      }
      if (result.isError()) { // malformed: escape its bytes, one by one
        for (int i = 0; i < result.length(); i++) {
          out.put((char) (0xDC00 | (in.get() & 0xFF)));
        }
      } else {
        throw new IllegalStateException(result.toString()); // overflow: cannot happen
      }
    }
    out.flip();
    return out.toString();
  }

  /** The bytes {@code name} stands for; see the class comment. */
  public static byte[] encode(String name) {
    if (!hasEscapes(name)) {
      return name.getBytes(StandardCharsets.UTF_8);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(name.length() * 3);
    int plainFrom = 0;
    for (int i = 0; i < name.length(); i++) {
      if (isEscape(name, i)) {
        out.writeBytes(name.substring(plainFrom, i).getBytes(StandardCharsets.UTF_8));
        out.write(name.charAt(i) & 0xFF);
        plainFrom = i + 1;
      }
    }
    out.writeBytes(name.substring(plainFrom).getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  /** {@code encode(name).length}. */
  public static int encodedLength(String name) {
    return encode(name).length;
  }

  /** True if {@code name}'s bytes are valid UTF-8 (no escaped byte in it). */
  public static boolean isUtf8(String name) {
    return !hasEscapes(name);
  }

  private static boolean hasEscapes(String name) {
    for (int i = 0; i < name.length(); i++) {
      if (isEscape(name, i)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The char at {@code i} stands for a byte that was not UTF-8: a low surrogate of the escape
   * range that is not the second half of a pair (a pair is a real character).
   */
  private static boolean isEscape(String s, int i) {
    char c = s.charAt(i);
    return c >= ESCAPE_FIRST && c <= ESCAPE_LAST
        && !(i > 0 && Character.isHighSurrogate(s.charAt(i - 1)));
  }

  private static boolean isAscii(byte[] bytes, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      if (bytes[i] < 0) {
        return false;
      }
    }
    return true;
  }
}
