package io.dvs.protocol.message;

import static io.dvs.protocol.ProtocolLimits.WDACG_BLOCKS_MAX;

import com.google.common.base.Preconditions;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.WireReader;
import io.dvs.protocol.WireWriter;

/**
 * A WDACG (paper 1, algorithm 2): free PAs on one SN handed to a client in one request, as
 * runs {@code [paStarts[i], paStarts[i] + counts[i])}.
 *
 * <pre>u32 snId | u32 runs | runs x (u64 paStart | u32 count)</pre>
 */
public record Wdacg(int snId, long[] paStarts, int[] counts) {
  /** Runs in one WDACG; the MS merges free space, so a handful is typical. */
  public static final int RUNS_MAX = 4096;

  public Wdacg {
    Preconditions.checkArgument(paStarts.length == counts.length, "runs mismatch");
  }

  public long blockCount() {
    long total = 0;
    for (int c : counts) {
      total += c;
    }
    return total;
  }

  public byte[] encode() {
    WireWriter w = new WireWriter(8 + paStarts.length * 12);
    w.i32(snId).i32(paStarts.length);
    for (int i = 0; i < paStarts.length; i++) {
      w.i64(paStarts[i]).i32(counts[i]);
    }
    return w.toByteArray();
  }

  public static Wdacg decode(byte[] body) {
    WireReader r = new WireReader(body);
    int snId = r.count("snId", Integer.MAX_VALUE);
    int runs = r.count("runs", RUNS_MAX);
    long[] starts = new long[runs];
    int[] counts = new int[runs];
    long total = 0;
    for (int i = 0; i < runs; i++) {
      starts[i] = r.nonNegative("paStart");
      counts[i] = r.count("count", WDACG_BLOCKS_MAX);
      total += counts[i];
    }
    if (total > WDACG_BLOCKS_MAX) {
      throw DvsException.badRequest(
          "WDACG blocks: " + total + " (expected: <= " + WDACG_BLOCKS_MAX + ")");
    }
    r.expectEnd("WDACG");
    return new Wdacg(snId, starts, counts);
  }

  /**
   * ALLOC_WDACG request: {@code u64 volumeId | u64 epoch | u32 count | i32 snId}. With
   * {@code snId} {@link #ANY_SN} the MS picks the up SN with the lowest UR (paper 1, 3.4); with
   * an SN's id it takes the PAs there or fails (NODE_DOWN, NO_SPACE), for a client that places
   * blocks by content. Response: Wdacg.
   */
  public record Alloc(long volumeId, long epoch, int count, int snId) {
    public static final int ANY_SN = -1;

    public Alloc(long volumeId, long epoch, int count) {
      this(volumeId, epoch, count, ANY_SN);
    }

    public byte[] encode() {
      return new WireWriter(24).i64(volumeId).i64(epoch).i32(count).i32(snId).toByteArray();
    }

    public static Alloc decode(byte[] body) {
      WireReader r = new WireReader(body);
      Alloc m = new Alloc(r.nonNegative("volumeId"), r.nonNegative("epoch"),
          r.count("count", WDACG_BLOCKS_MAX), r.i32("snId"));
      r.expectEnd("ALLOC_WDACG");
      if (m.count == 0) {
        throw DvsException.badRequest("ALLOC_WDACG count: 0 (expected: >= 1)");
      }
      if (m.snId < ANY_SN) {
        throw DvsException.badRequest("ALLOC_WDACG snId: " + m.snId + " (expected: >= -1)");
      }
      return m;
    }
  }
}
