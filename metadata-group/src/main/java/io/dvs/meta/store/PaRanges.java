package io.dvs.meta.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * PA ranges of several SNs, gathered so that they reach the PA tables merged. With several SNs
 * a file's consecutive blocks alternate between them (each block goes where its content maps),
 * so its LPT pieces are one or two blocks long while its PAs on each SN are mostly consecutive:
 * releasing or un-leasing them piece by piece was ~128 B-tree updates per MiB, merged it is a
 * few. At most {@link #PENDING_MAX} pieces wait; past that they go to the sink, so unmapping a
 * huge file holds bounded memory.
 */
public final class PaRanges {
  /** Pieces held before they go to the sink: 4096 pieces are 16-32 MiB of a file. */
  static final int PENDING_MAX = 4096;

  /** Takes a merged range: PAs {@code [start, end)} of one SN. */
  public interface RangeConsumer {
    void accept(int snId, long start, long end);
  }

  private final RangeConsumer sink;
  /** Per SN, the pieces as {start, end} pairs in the order added. */
  private final Map<Integer, List<long[]>> bySn = new TreeMap<>();
  private int pending;

  public PaRanges(RangeConsumer sink) {
    this.sink = sink;
  }

  public void add(int snId, long start, long count) {
    bySn.computeIfAbsent(snId, sn -> new ArrayList<>()).add(new long[] {start, start + count});
    if (++pending >= PENDING_MAX) {
      flush();
    }
  }

  /** True if a piece not yet flushed shares a PA with {@code [start, start + count)}. */
  public boolean overlaps(int snId, long start, long count) {
    for (long[] r : bySn.getOrDefault(snId, List.of())) {
      if (r[0] < start + count && start < r[1]) {
        return true;
      }
    }
    return false;
  }

  /** Hands the union of the pieces to the sink, by SN and PA, as maximal ranges; then empties. */
  public void flush() {
    for (Map.Entry<Integer, List<long[]>> sn : bySn.entrySet()) {
      List<long[]> ranges = sn.getValue();
      ranges.sort((a, b) -> Long.compare(a[0], b[0]));
      long start = ranges.get(0)[0];
      long end = ranges.get(0)[1];
      for (long[] r : ranges.subList(1, ranges.size())) {
        if (r[0] > end) {
          sink.accept(sn.getKey(), start, end);
          start = r[0];
        }
        end = Math.max(end, r[1]);
      }
      sink.accept(sn.getKey(), start, end);
    }
    bySn.clear();
    pending = 0;
  }
}
