package io.dvs.meta.store;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.WireReader;
import io.dvs.protocol.WireWriter;
import io.dvs.protocol.message.LptExtent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * One LPT row of the MS: how the {@link #BLOCKS} blocks of one aligned chunk of a file map to
 * PAs. A row per chunk, not per extent, because with several SNs each block goes to the SN its
 * content picks (client {@code BlockPlacement}): a file's consecutive blocks alternate between
 * SNs, extents are one or two blocks long, and a 1 MiB write was ~128 B-tree row updates. Now it
 * is one read and one write of the chunk's row.
 *
 * <p>Stored value (big-endian), the chunk's runs in block order, each as long as it can be:
 * <pre>
 * u8 version=1 | run* ;  run = u8 offset | u8 count-1 | u32 snId | u64 firstPa   (14 bytes)
 * </pre>
 * An empty chunk is never stored (its row is removed). Bytes read back are checked like network
 * bytes: a bad value is a corrupt store.
 */
final class LptChunk {
  /** Blocks per row: 1 MiB of file, so a sequential 1 MiB write touches one or two rows. */
  static final int BLOCKS = 256;

  static final int VERSION = 1;
  static final int RUN_BYTES = 14;

  private static final long UNMAPPED = -1;

  /** The chunk's first block: a multiple of {@link #BLOCKS}. */
  private final long firstBlock;
  private final int[] snIds = new int[BLOCKS];
  /** PA of each block, {@link #UNMAPPED} where the LPT has none. */
  private final long[] pas = new long[BLOCKS];

  private LptChunk(long firstBlock) {
    this.firstBlock = firstBlock;
    Arrays.fill(pas, UNMAPPED);
  }

  /** The index of the chunk holding {@code block}. */
  static long indexOf(long block) {
    return block / BLOCKS;
  }

  static LptChunk empty(long chunkIndex) {
    return new LptChunk(chunkIndex * BLOCKS);
  }

  /** Reads a stored row; a bad value throws the store's corrupt-value error. */
  static LptChunk decode(long chunkIndex, byte[] value) {
    LptChunk chunk = empty(chunkIndex);
    try {
      WireReader r = new WireReader(value);
      int version = r.u8("version");
      if (version != VERSION) {
        throw DvsException.badRequest("version " + version + " (expected: " + VERSION + ")");
      }
      int runs = (value.length - 1) / RUN_BYTES;
      if (runs == 0 || runs > BLOCKS || (value.length - 1) % RUN_BYTES != 0) {
        throw DvsException.badRequest(value.length + " bytes (expected: 1 + 1 to " + BLOCKS
            + " runs of " + RUN_BYTES + ")");
      }
      int end = 0;
      for (int run = 0; run < runs; run++) {
        int offset = r.u8("run offset");
        int count = r.u8("run count") + 1;
        int snId = r.i32("snId");
        long firstPa = r.nonNegative("firstPa");
        if (offset < end || offset + count > BLOCKS || snId < 0
            || firstPa > Long.MAX_VALUE - count) {
          throw DvsException.badRequest("run at block " + offset + "+" + count + " of SN " + snId
              + " PA " + firstPa + " (expected: in order, inside " + BLOCKS + " blocks)");
        }
        for (int i = 0; i < count; i++) {
          chunk.snIds[offset + i] = snId;
          chunk.pas[offset + i] = firstPa + i;
        }
        end = offset + count;
      }
      r.expectEnd("LPT row");
    } catch (DvsException e) {
      throw StoredValues.corrupt("LPT row of chunk " + chunkIndex, e.getMessage());
    }
    return chunk;
  }

  /** The stored value, or null if the chunk maps no block (its row is removed). */
  byte[] encode() {
    List<LptExtent> runs = extents();
    if (runs.isEmpty()) {
      return null;
    }
    WireWriter w = new WireWriter(1 + runs.size() * RUN_BYTES).u8(VERSION);
    for (LptExtent x : runs) {
      w.u8((int) (x.firstBlock() - firstBlock)).u8(x.count() - 1).i32(x.snId()).i64(x.firstPa());
    }
    return w.toByteArray();
  }

  /** The chunk's mappings as maximal extents, in block order. */
  List<LptExtent> extents() {
    List<LptExtent> runs = new ArrayList<>();
    int i = 0;
    while (i < BLOCKS) {
      if (pas[i] == UNMAPPED) {
        i++;
        continue;
      }
      int start = i;
      while (i + 1 < BLOCKS && pas[i + 1] == pas[i] + 1 && snIds[i + 1] == snIds[start]) {
        i++;
      }
      i++;
      runs.add(new LptExtent(firstBlock + start, snIds[start], pas[start], i - start));
    }
    return runs;
  }

  /** How many blocks the chunk maps. */
  int mappedBlocks() {
    int n = 0;
    for (long pa : pas) {
      n += pa == UNMAPPED ? 0 : 1;
    }
    return n;
  }

  /**
   * Maps the part of {@code extent} inside this chunk. {@code replaced} sees each old piece whose
   * PA changes (a replayed extent changes nothing). Returns how many of its blocks were mapped.
   */
  int map(LptExtent extent, Consumer<LptExtent> replaced) {
    int from = offsetOf(Math.max(extent.firstBlock(), firstBlock));
    int to = offsetOf(Math.min(extent.endBlock(), firstBlock + BLOCKS));
    int before = 0;
    for (int i = from; i < to; i++) {
      before += pas[i] == UNMAPPED ? 0 : 1;
    }
    // Report first, then overwrite: a block keeping its PA is no piece of a replaced run.
    long[] newPas = new long[to - from];
    for (int i = from; i < to; i++) {
      newPas[i - from] = extent.paOf(firstBlock + i);
    }
    reportChanged(from, to, extent.snId(), newPas, replaced);
    for (int i = from; i < to; i++) {
      snIds[i] = extent.snId();
      pas[i] = newPas[i - from];
    }
    return before;
  }

  /** Unmaps blocks {@code [from, to)} inside this chunk; returns how many were mapped. */
  int unmap(long from, long to, Consumer<LptExtent> removed) {
    int start = offsetOf(Math.max(from, firstBlock));
    int end = offsetOf(Math.min(to, firstBlock + BLOCKS));
    int before = 0;
    for (int i = start; i < end; i++) {
      before += pas[i] == UNMAPPED ? 0 : 1;
    }
    reportChanged(start, end, -1, null, removed);
    Arrays.fill(pas, start, end, UNMAPPED);
    return before;
  }

  /**
   * Reports, as maximal runs, the mapped blocks of {@code [from, to)} whose mapping differs from
   * ({@code snId}, {@code newPas}); with {@code newPas} null every mapped block differs.
   */
  private void reportChanged(int from, int to, int snId, long[] newPas,
      Consumer<LptExtent> report) {
    int i = from;
    while (i < to) {
      if (pas[i] == UNMAPPED || unchanged(i, snId, newPas, from)) {
        i++;
        continue;
      }
      int start = i;
      while (i + 1 < to && pas[i + 1] == pas[i] + 1 && snIds[i + 1] == snIds[start]
          && !unchanged(i + 1, snId, newPas, from)) {
        i++;
      }
      i++;
      report.accept(new LptExtent(firstBlock + start, snIds[start], pas[start], i - start));
    }
  }

  /** True if block {@code i} already maps as the new mapping would (a replayed piece). */
  private boolean unchanged(int i, int snId, long[] newPas, int from) {
    return newPas != null && snIds[i] == snId && pas[i] == newPas[i - from];
  }

  private int offsetOf(long block) {
    return (int) (block - firstBlock);
  }
}
