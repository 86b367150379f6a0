package io.dvs.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FsNamesTest {
  private static byte[] b(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  @Test
  void utf8NamesAreWhatTheyAlwaysWere() {
    for (String name : new String[] {"plain.txt", "caf\u00e9", "\u4e2d\u6587", "\uD83D\uDE00 x",
        "\uFFFD", "\uD800\uDC80" /* U+10080: a pair whose low half looks like an escape */}) {
      byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
      assertEquals(name, FsNames.decode(utf8));
      assertArrayEquals(utf8, FsNames.encode(name));
      assertTrue(FsNames.isUtf8(name));
    }
  }

  @Test
  void bytesThatAreNotUtf8SurviveAndStayDistinct() {
    byte[] a80 = b('a', 0x80);
    byte[] a81 = b('a', 0x81);
    assertNotEquals(FsNames.decode(a80), FsNames.decode(a81));
    assertArrayEquals(a80, FsNames.encode(FsNames.decode(a80)));
    assertFalse(FsNames.isUtf8(FsNames.decode(a80)));
    // Latin-1 "café", a truncated sequence, an encoded surrogate, an overlong '/' and 0xFF.
    for (byte[] raw : new byte[][] {b('c', 'a', 'f', 0xE9), b(0xE4, 0xB8), b(0xED, 0xA0, 0x80),
        b(0xC0, 0xAF), b(0xFF, 'x', 0xFE), b(0xF0, 0x9F, 0x98, 0x80, 0x80)}) {
      assertArrayEquals(raw, FsNames.encode(FsNames.decode(raw)));
      assertEquals(raw.length, FsNames.encodedLength(FsNames.decode(raw)));
    }
  }

  @Test
  void everyByteStringRoundTrips() {
    Random random = new Random(42);
    for (int n = 0; n < 20_000; n++) {
      byte[] raw = new byte[random.nextInt(12)];
      for (int i = 0; i < raw.length; i++) {
        // Mostly the bytes UTF-8 is made of, so valid and broken sequences both come up.
        int kind = random.nextInt(4);
        raw[i] = (byte) (kind == 0 ? random.nextInt(0x80) : kind == 1 ? 0x80 + random.nextInt(0x40)
            : kind == 2 ? 0xC0 + random.nextInt(0x40) : random.nextInt(256));
      }
      String name = FsNames.decode(raw);
      assertArrayEquals(raw, FsNames.encode(name), () -> java.util.Arrays.toString(raw));
      assertEquals(name, FsNames.decode(FsNames.encode(name)));
    }
  }

  @Test
  void wireStringsCarryTheBytes() {
    String name = FsNames.decode(b('x', 0x80, 0xFF));
    byte[] wire = new WireWriter().string(name).toByteArray();
    assertArrayEquals(b(0, 3, 'x', 0x80, 0xFF), wire);
    assertEquals(name, new WireReader(wire).string("name", 255));
  }
}
