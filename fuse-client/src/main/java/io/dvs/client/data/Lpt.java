package io.dvs.client.data;

import com.google.common.base.Preconditions;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One file's logical-to-physical table (paper 1's LPT): logical block index -> (SN, PA).
 *
 * <p>Rows are kept as extents: a run of consecutive logical blocks that map to consecutive PAs
 * of one SN is one entry, so a sequentially written file of any size costs a handful of
 * entries. Extents are sorted by first logical block, and a lookup is a binary search for the
 * extent starting at or before the block (paper 1, algorithm 1: "BSearch(LPT, address)").
 * A block with no row is a hole and reads as zeros.
 *
 * <p>Not thread-safe: the owning {@code FileState}'s lock guards it.
 */
public final class Lpt {
  /** Extent: logical blocks [start, start + length) map to PAs [paStart, paStart + length). */
  private record Extent(long start, long length, int snId, long paStart) {
    long end() {
      return start + length;
    }

    BlockAddress addressOf(long block) {
      return new BlockAddress(snId, paStart + (block - start));
    }
  }

  /** Keyed by each extent's first logical block; extents never overlap. */
  private final TreeMap<Long, Extent> extents = new TreeMap<>();
  private long mappedBlocks;

  /** Returns where {@code block} lives, or null for a hole. */
  public BlockAddress lookup(long block) {
    Map.Entry<Long, Extent> floor = extents.floorEntry(block);
    if (floor == null || block >= floor.getValue().end()) {
      return null;
    }
    return floor.getValue().addressOf(block);
  }

  /** Maps {@code block}, replacing any previous mapping; returns the previous one or null. */
  public BlockAddress put(long block, BlockAddress address) {
    Preconditions.checkArgument(block >= 0, "block: %s (expected: >= 0)", block);
    BlockAddress previous = remove(block);
    long start = block;
    long length = 1;
    long paStart = address.pa();
    Map.Entry<Long, Extent> before = extents.lowerEntry(block);
    if (before != null && before.getValue().end() == block
        && before.getValue().snId() == address.snId()
        && before.getValue().paStart() + before.getValue().length() == address.pa()) {
      Extent b = extents.remove(before.getKey());
      start = b.start();
      length += b.length();
      paStart = b.paStart();
    }
    Extent after = extents.get(block + 1);
    if (after != null && after.snId() == address.snId() && after.paStart() == address.pa() + 1) {
      extents.remove(after.start());
      length += after.length();
    }
    extents.put(start, new Extent(start, length, address.snId(), paStart));
    mappedBlocks++;
    return previous;
  }

  /**
   * Maps the unmapped blocks {@code [first, first + count)} to PAs {@code [firstPa, ...)} of
   * {@code snId} in one step (loading a file's LPT from the MS, extent by extent, ascending).
   */
  public void putExtent(long first, int snId, long firstPa, long count) {
    Preconditions.checkArgument(first >= 0 && count > 0, "extent %s+%s", first, count);
    Map.Entry<Long, Extent> before = extents.lowerEntry(first + count);
    Preconditions.checkArgument(before == null || before.getValue().end() <= first,
        "blocks %s+%s are already mapped", first, count);
    long start = first;
    long length = count;
    long paStart = firstPa;
    if (before != null && before.getValue().end() == first && before.getValue().snId() == snId
        && before.getValue().paStart() + before.getValue().length() == firstPa) {
      Extent b = extents.remove(before.getKey());
      start = b.start();
      length += b.length();
      paStart = b.paStart();
    }
    extents.put(start, new Extent(start, length, snId, paStart));
    mappedBlocks += count;
  }

  /** Unmaps {@code block}; returns the mapping it had, or null if it was a hole. */
  public BlockAddress remove(long block) {
    Map.Entry<Long, Extent> floor = extents.floorEntry(block);
    if (floor == null || block >= floor.getValue().end()) {
      return null;
    }
    Extent e = extents.remove(floor.getKey());
    if (block > e.start()) {
      extents.put(e.start(), new Extent(e.start(), block - e.start(), e.snId(), e.paStart()));
    }
    if (block + 1 < e.end()) {
      extents.put(block + 1,
          new Extent(block + 1, e.end() - block - 1, e.snId(), e.paStart() + (block + 1 - e.start())));
    }
    mappedBlocks--;
    return e.addressOf(block);
  }

  /** Unmaps every block at or after {@code fromBlock}; returns the rows removed, in order. */
  public List<MappedBlock> truncate(long fromBlock) {
    List<MappedBlock> removed = new ArrayList<>();
    Map.Entry<Long, Extent> floor = extents.floorEntry(fromBlock);
    if (floor != null && fromBlock < floor.getValue().end() && floor.getKey() < fromBlock) {
      Extent e = floor.getValue();
      extents.put(e.start(), new Extent(e.start(), fromBlock - e.start(), e.snId(), e.paStart()));
      extents.put(fromBlock, new Extent(fromBlock, e.end() - fromBlock, e.snId(),
          e.paStart() + (fromBlock - e.start())));
    }
    Iterator<Extent> tail = extents.tailMap(fromBlock, true).values().iterator();
    while (tail.hasNext()) {
      Extent e = tail.next();
      for (long b = e.start(); b < e.end(); b++) {
        removed.add(new MappedBlock(b, e.addressOf(b)));
      }
      mappedBlocks -= e.length();
      tail.remove();
    }
    return removed;
  }

  /**
   * Unmaps every block in [{@code fromBlock}, {@code toBlock}) (punch-hole, TRIM); returns the
   * rows removed, in order. Costs O(extents touched), not O(range): a 1 TiB discard of an
   * image that is mostly holes is as cheap as its few extents.
   */
  public List<MappedBlock> removeRange(long fromBlock, long toBlock) {
    List<MappedBlock> removed = new ArrayList<>();
    if (toBlock <= fromBlock) {
      return removed;
    }
    splitAt(fromBlock);
    splitAt(toBlock);
    Iterator<Extent> range = extents.subMap(fromBlock, true, toBlock, false).values().iterator();
    while (range.hasNext()) {
      Extent e = range.next();
      for (long b = e.start(); b < e.end(); b++) {
        removed.add(new MappedBlock(b, e.addressOf(b)));
      }
      mappedBlocks -= e.length();
      range.remove();
    }
    return removed;
  }

  /** Splits the extent covering {@code block} (if any) so that one starts exactly there. */
  private void splitAt(long block) {
    Map.Entry<Long, Extent> floor = extents.floorEntry(block);
    if (floor == null || floor.getKey() == block || block >= floor.getValue().end()) {
      return;
    }
    Extent e = floor.getValue();
    extents.put(e.start(), new Extent(e.start(), block - e.start(), e.snId(), e.paStart()));
    extents.put(block, new Extent(block, e.end() - block, e.snId(),
        e.paStart() + (block - e.start())));
  }

  /** Mapped blocks in [{@code fromBlock}, {@code toBlock}), without changing the table. */
  public long mappedIn(long fromBlock, long toBlock) {
    long count = 0;
    Map.Entry<Long, Extent> floor = extents.floorEntry(fromBlock);
    Long from = floor != null && floor.getValue().end() > fromBlock ? floor.getKey() : fromBlock;
    for (Extent e : extents.subMap(from, true, toBlock, false).values()) {
      count += Math.min(e.end(), toBlock) - Math.max(e.start(), fromBlock);
    }
    return count;
  }

  /** Every mapped block in logical order. */
  public List<MappedBlock> all() {
    List<MappedBlock> rows = new ArrayList<>();
    for (Extent e : extents.values()) {
      for (long b = e.start(); b < e.end(); b++) {
        rows.add(new MappedBlock(b, e.addressOf(b)));
      }
    }
    return rows;
  }

  /** Blocks that hold data (st_blocks is this times 8). */
  public long mappedBlocks() {
    return mappedBlocks;
  }

  /** Extents in the table: the compactness the design promises for sequential files. */
  public int extentCount() {
    return extents.size();
  }

  /** One LPT row. */
  public record MappedBlock(long block, BlockAddress address) {}
}
