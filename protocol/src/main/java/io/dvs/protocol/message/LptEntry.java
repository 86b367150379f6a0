package io.dvs.protocol.message;

import io.dvs.protocol.WireReader;
import io.dvs.protocol.WireWriter;

/**
 * One LPT row of paper 1: a file's logical block {@code blockIndex} lives at physical address
 * {@code pa} of storage node {@code snId}. Layout: {@code u64 blockIndex | u32 snId | u64 pa}.
 */
public record LptEntry(long blockIndex, int snId, long pa) {
  public static final int ENCODED_BYTES = 20;

  public void writeTo(WireWriter w) {
    w.i64(blockIndex).i32(snId).i64(pa);
  }

  public static LptEntry readFrom(WireReader r) {
    return new LptEntry(r.nonNegative("blockIndex"), r.count("snId", Integer.MAX_VALUE),
        r.nonNegative("pa"));
  }
}
