package io.dvs.node.dedup;

import com.google.common.base.Preconditions;
import com.google.common.base.Verify;
import java.util.BitSet;

/**
 * The free-space map over physical locations L in {@code [0, capacityBlocks)}. Every L is in
 * exactly one state:
 *
 * <ul>
 *   <li>free: may be allocated and overwritten;
 *   <li>used: allocated, or holding data referenced by the LBA map;
 *   <li>quarantined: freed by a metadata change that is not committed yet. Its old data may
 *       still be what the last commit points to, so it must not be overwritten until that change
 *       is durable; {@link #release} (after the commit) makes it free.
 * </ul>
 *
 * <p>An L on a failed device is also <em>retired</em> ({@link #retire}): taken for good, whatever
 * happens to what it held, so nothing is written there again until the node restarts.
 *
 * Nothing here is persistent: at start-up the map is rebuilt from the committed block table
 * (an L is used iff it has a record), so it can never disagree with the metadata.
 *
 * <p>Not thread-safe: the {@link DedupEngine}'s metadata lock guards it.
 */
final class SpaceAllocator {
  /** Returned by {@link #allocate} when no L is free. */
  static final long NONE = -1;

  /** The bitmaps are java.util.BitSets, indexed by int: 2^31 - 1 blocks (8 TiB) per SN. */
  static final long CAPACITY_BLOCKS_MAX = Integer.MAX_VALUE;

  private int capacityBlocks;
  /** Used or quarantined Ls: a clear bit is free. */
  private final BitSet taken;
  private final BitSet quarantined;
  /** Ls of failed devices: never free again (unallocate and release leave them taken). */
  private final BitSet retired = new BitSet();
  private int quarantinedCount;
  private int takenCount;
  /** Next-fit cursor: allocation continues where it stopped, so new data lands sequentially. */
  private int cursor;

  SpaceAllocator(long capacityBlocks) {
    Preconditions.checkArgument(capacityBlocks >= 1 && capacityBlocks <= CAPACITY_BLOCKS_MAX,
        "capacityBlocks: %s (expected: 1..%s)", capacityBlocks, CAPACITY_BLOCKS_MAX);
    this.capacityBlocks = (int) capacityBlocks;
    this.taken = new BitSet(this.capacityBlocks);
    this.quarantined = new BitSet();
  }

  long capacityBlocks() {
    return capacityBlocks;
  }

  /** Free blocks: neither used nor quarantined. */
  long freeBlocks() {
    return capacityBlocks - takenCount;
  }

  int quarantinedCount() {
    return quarantinedCount;
  }

  /** At start-up: {@code location} holds committed data. */
  void markUsed(long location) {
    int l = checkLocation(location);
    Verify.verify(!taken.get(l), "L %s listed twice in the block table", location);
    taken.set(l);
    takenCount++;
  }

  /** A free L, now used; or {@link #NONE}. */
  long allocate() {
    int l = taken.nextClearBit(cursor);
    if (l >= capacityBlocks) {
      l = taken.nextClearBit(0);
      if (l >= capacityBlocks) {
        return NONE;
      }
    }
    taken.set(l);
    takenCount++;
    cursor = l + 1 == capacityBlocks ? 0 : l + 1;
    return l;
  }

  /**
   * Returns an L that was allocated but never referenced by any metadata (the write failed or
   * lost a race to identical content): it is free again at once.
   */
  void unallocate(long location) {
    int l = checkLocation(location);
    Verify.verify(taken.get(l) && !quarantined.get(l), "unallocate L %s: not allocated",
        location);
    if (!retired.get(l)) {
      taken.clear(l);
      takenCount--;
    }
  }

  /** A used L lost its last reference in the open (uncommitted) transaction. */
  void quarantine(long location) {
    int l = checkLocation(location);
    Verify.verify(taken.get(l) && !quarantined.get(l), "quarantine L %s: not in use", location);
    quarantined.set(l);
    quarantinedCount++;
  }

  /**
   * After the commit that freed them: these quarantined Ls become free. The caller discards
   * their data before it allocates again.
   */
  void release(long[] locations) {
    for (long location : locations) {
      int l = checkLocation(location);
      Verify.verify(quarantined.get(l), "release L %s: not quarantined", location);
      quarantined.clear(l);
      quarantinedCount--;
      if (!retired.get(l)) {
        taken.clear(l);
        takenCount--;
      }
    }
  }

  /** True if every L in {@code [from, to)} is free. */
  boolean allFree(long from, long to) {
    checkLocation(from);
    checkLocation(to - 1);
    int next = taken.nextSetBit((int) from);
    return next < 0 || next >= to;
  }

  /** Takes the free Ls {@code [from, to)} for a while (a discard spanning them runs). */
  void reserve(long from, long to) {
    Verify.verify(allFree(from, to), "reserve [%s, %s): not all free", from, to);
    taken.set((int) from, (int) to);
    takenCount += (int) (to - from);
  }

  /** Gives back what {@link #reserve} took; Ls retired meanwhile stay taken. */
  void unreserve(long from, long to) {
    for (long l = from; l < to; l++) {
      unallocate(l);
    }
  }

  /** Algorithm 4: a device was added; Ls up to {@code newCapacityBlocks} are free space. */
  void grow(long newCapacityBlocks) {
    Preconditions.checkArgument(newCapacityBlocks >= capacityBlocks
        && newCapacityBlocks <= CAPACITY_BLOCKS_MAX, "grow from %s to %s blocks (max %s)",
        capacityBlocks, newCapacityBlocks, CAPACITY_BLOCKS_MAX);
    int from = capacityBlocks;
    capacityBlocks = (int) newCapacityBlocks;
    takeRetired(from, capacityBlocks); // a device may fail between joining the set and here
  }

  /**
   * A device failed: its Ls in [first, first + count) are retired. Free ones are taken now; the
   * others (holding data, allocated to a write in flight, quarantined) stay taken when they are
   * given back, so no new data ever goes there. Reads of what they hold fail with the device.
   */
  void retire(long first, long count) {
    Preconditions.checkArgument(first >= 0 && count >= 0 && first + count <= CAPACITY_BLOCKS_MAX,
        "retire %s+%s", first, count);
    retired.set((int) first, (int) (first + count));
    takeRetired((int) first, (int) Math.min(first + count, capacityBlocks));
  }

  /** Takes the retired Ls in [from, to) that are free. */
  private void takeRetired(int from, int to) {
    for (int l = retired.nextSetBit(from); l >= 0 && l < to; l = retired.nextSetBit(l + 1)) {
      if (!taken.get(l)) {
        taken.set(l);
        takenCount++;
      }
    }
  }

  /** True if {@code location} is on a failed device: what it holds cannot be relied on. */
  boolean isRetired(long location) {
    return retired.get(checkLocation(location));
  }

  boolean isFree(long location) {
    return !taken.get(checkLocation(location));
  }

  boolean isQuarantined(long location) {
    return quarantined.get(checkLocation(location));
  }

  private int checkLocation(long location) {
    Verify.verify(location >= 0 && location < capacityBlocks,
        "L %s outside the device (0..%s)", location, capacityBlocks);
    return (int) location;
  }
}
