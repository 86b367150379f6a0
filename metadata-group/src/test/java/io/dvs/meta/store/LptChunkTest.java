package io.dvs.meta.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.WireWriter;
import io.dvs.protocol.message.LptExtent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An LPT row's encoding: its size, its runs, and the values it refuses as corrupt. */
class LptChunkTest {
  @Test
  void aWholeChunkFromOneWdacgIsOneRun() {
    LptChunk chunk = LptChunk.empty(3);
    assertEquals(0, chunk.map(new LptExtent(3 * 256, 1, 5000, 256), x -> { }));
    byte[] value = chunk.encode();
    assertEquals(1 + LptChunk.RUN_BYTES, value.length);
    assertEquals(List.of(new LptExtent(768, 1, 5000, 256)), LptChunk.decode(3, value).extents());
  }

  @Test
  void blocksAlternatingBetweenSnsRoundTrip() {
    LptChunk chunk = LptChunk.empty(0);
    List<LptExtent> expected = new ArrayList<>();
    long[] nextPa = {100, 900};
    for (int b = 0; b < 256; b += 2) {
      int sn = (b / 2) % 2;
      LptExtent x = new LptExtent(b, sn + 1, nextPa[sn], 2);
      nextPa[sn] += 2;
      chunk.map(x, gone -> { throw new AssertionError("nothing was mapped: " + gone); });
      expected.add(x);
    }
    byte[] value = chunk.encode();
    assertEquals(1 + 128 * LptChunk.RUN_BYTES, value.length);
    assertEquals(expected, LptChunk.decode(0, value).extents());
    assertEquals(256, LptChunk.decode(0, value).mappedBlocks());
  }

  @Test
  void mapReportsOnlyBlocksWhosePaChanges() {
    LptChunk chunk = LptChunk.empty(0);
    chunk.map(new LptExtent(10, 1, 50, 10), x -> { });
    List<LptExtent> replaced = new ArrayList<>();
    // Blocks 12..13 keep their PAs (a replayed piece); 14..16 get new ones.
    int before = chunk.map(new LptExtent(12, 1, 52, 2), replaced::add)
        + chunk.map(new LptExtent(14, 2, 7, 3), replaced::add);
    assertEquals(5, before);
    assertEquals(List.of(new LptExtent(14, 1, 54, 3)), replaced);
    List<LptExtent> removed = new ArrayList<>();
    assertEquals(8, chunk.unmap(0, 18, removed::add));
    assertEquals(List.of(new LptExtent(10, 1, 50, 4), new LptExtent(14, 2, 7, 3),
        new LptExtent(17, 1, 57, 1)), removed);
    assertEquals(2, chunk.mappedBlocks());
  }

  @Test
  void anEmptyChunkHasNoRow() {
    LptChunk chunk = LptChunk.empty(0);
    chunk.map(new LptExtent(0, 1, 1, 4), x -> { });
    chunk.unmap(0, Long.MAX_VALUE, x -> { });
    assertNull(chunk.encode());
  }

  @Test
  void corruptRowsAreRefusedNamingTheChunk() {
    byte[] good = new WireWriter().u8(1).u8(0).u8(3).i32(1).i64(10).toByteArray();
    assertEquals(4, LptChunk.decode(9, good).mappedBlocks());
    List<byte[]> bad = List.of(
        new byte[0],
        new byte[] {1},
        new WireWriter().u8(2).u8(0).u8(3).i32(1).i64(10).toByteArray(), // version
        new WireWriter().u8(1).u8(0).u8(3).i32(1).toByteArray(), // short run
        new WireWriter().u8(1).u8(250).u8(9).i32(1).i64(10).toByteArray(), // past the end
        new WireWriter().u8(1).u8(8).u8(3).i32(1).i64(10)
            .u8(9).u8(0).i32(1).i64(90).toByteArray(), // overlapping runs
        new WireWriter().u8(1).u8(0).u8(0).i32(-1).i64(10).toByteArray(), // snId
        new WireWriter().u8(1).u8(0).u8(0).i32(1).i64(-5).toByteArray()); // PA
    for (byte[] value : bad) {
      DvsException e = assertThrows(DvsException.class, () -> LptChunk.decode(9, value));
      assertEquals(ErrorCode.IO_ERROR, e.code());
      assertTrue(e.getMessage().contains("corrupt LPT row of chunk 9"), e.getMessage());
    }
  }
}
