package io.dvs.protocol.message;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.WireReader;
import io.dvs.protocol.WireWriter;

/**
 * A run of LPT rows (paper 1): the file's logical blocks {@code [firstBlock, firstBlock + count)}
 * live at the consecutive physical addresses {@code [firstPa, firstPa + count)} of storage node
 * {@code snId}. A WDACG hands out PA runs, so a sequential write becomes one extent, not one
 * row per block. Layout: {@code u64 firstBlock | u32 snId | u64 firstPa | u32 count}.
 */
public record LptExtent(long firstBlock, int snId, long firstPa, int count) {
  public static final int ENCODED_BYTES = 24;

  public LptExtent {
    if (firstBlock < 0 || snId < 0 || firstPa < 0 || count < 1
        || firstBlock > Long.MAX_VALUE - count || firstPa > Long.MAX_VALUE - count) {
      throw DvsException.badRequest("LPT extent: blocks " + firstBlock + "+" + count + " of SN "
          + snId + " at PA " + firstPa + " (expected: non-negative, count >= 1, no overflow)");
    }
  }

  /** One block: {@code block} lives at {@code pa} of {@code snId}. */
  public LptExtent(long block, int snId, long pa) {
    this(block, snId, pa, 1);
  }

  /** One past the last block. */
  public long endBlock() {
    return firstBlock + count;
  }

  /** The PA of {@code block}, which must lie in this extent. */
  public long paOf(long block) {
    return firstPa + (block - firstBlock);
  }

  /** The part of this extent covering blocks {@code [from, to)}, which must overlap it. */
  public LptExtent slice(long from, long to) {
    long start = Math.max(from, firstBlock);
    long end = Math.min(to, endBlock());
    return new LptExtent(start, snId, paOf(start), (int) (end - start));
  }

  /** True if {@code next} starts where this ends, on the same SN at the next PA. */
  public boolean continuedBy(LptExtent next) {
    return next.firstBlock == endBlock() && next.snId == snId && next.firstPa == firstPa + count
        && (long) count + next.count <= Integer.MAX_VALUE;
  }

  /** This extent followed by {@code next}, which must continue it. */
  public LptExtent append(LptExtent next) {
    return new LptExtent(firstBlock, snId, firstPa, count + next.count);
  }

  public void writeTo(WireWriter w) {
    w.i64(firstBlock).i32(snId).i64(firstPa).i32(count);
  }

  public static LptExtent readFrom(WireReader r) {
    return new LptExtent(r.nonNegative("firstBlock"), r.count("snId", Integer.MAX_VALUE),
        r.nonNegative("firstPa"), r.count("extent count", Integer.MAX_VALUE));
  }
}
