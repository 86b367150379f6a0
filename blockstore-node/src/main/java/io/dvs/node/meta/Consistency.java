package io.dvs.node.meta;

import java.util.ArrayList;
import java.util.List;

/**
 * The storage invariants between the LBA map and the block table, checked at every open (a
 * violation refuses to start) and by {@code dvs node fsck} (which reports and can repair):
 *
 * <ul>
 *   <li>every PA maps to an L that holds data (else the PA is <em>dangling</em>: data lost);
 *   <li>every L's reference count equals the number of PAs mapping it; an L with a count but no
 *       PA is a <em>leak</em> (space lost, never data: increments go before decrements).
 * </ul>
 */
public final class Consistency {
  /** Problems listed one by one in a report; beyond this only the totals grow. */
  public static final int LISTED_MAX = 100;

  /** What {@link #check} found. */
  public record Report(long checkedBlocks, long checkedPas, long leakedBlocks,
      long refCountMismatches, long danglingPas, List<String> problems) {
    public boolean clean() {
      return leakedBlocks == 0 && refCountMismatches == 0 && danglingPas == 0;
    }

    /** Only leaks and count mismatches: both repairable without losing data. */
    public boolean repairable() {
      return danglingPas == 0;
    }
  }

  private Consistency() {}

  public static Report check(LbaMap lba, BlockTable blocks) {
    int[][] actual = countReferences(lba, blocks);
    List<String> problems = new ArrayList<>();
    long[] totals = new long[3]; // leaks, mismatches, dangling
    lba.forEach((pa, location) -> {
      if (blocks.refCount(location) == 0) {
        totals[2]++;
        note(problems, "PA " + pa + " maps to L " + location + ", which holds no data");
      }
    });
    blocks.forEach((location, refCount) -> {
      int found = actualCount(actual, location);
      if (found == 0) {
        totals[0]++;
        note(problems, "L " + location + " is leaked: refCount " + refCount
            + " but no PA maps to it");
      } else if (found != refCount) {
        totals[1]++;
        note(problems, "L " + location + " has refCount " + refCount + " but " + found
            + " PAs map to it");
      }
    });
    return new Report(blocks.usedBlocks(), lba.size(), totals[0], totals[1], totals[2],
        List.copyOf(problems));
  }

  /**
   * Makes every reference count equal to its PA count and frees leaked Ls; returns the Ls
   * freed. Dangling PAs cannot be repaired here (their data is gone): the caller refuses.
   */
  public static long[] repair(LbaMap lba, BlockTable blocks) {
    int[][] actual = countReferences(lba, blocks);
    List<Long> freed = new ArrayList<>();
    List<long[]> fixes = new ArrayList<>();
    blocks.forEach((location, refCount) -> {
      int found = actualCount(actual, location);
      if (found != refCount) {
        fixes.add(new long[] {location, found});
      }
    });
    for (long[] fix : fixes) {
      blocks.setRefCount(fix[0], (int) fix[1]);
      if (fix[1] == 0) {
        freed.add(fix[0]);
      }
    }
    return freed.stream().mapToLong(Long::longValue).toArray();
  }

  private static void note(List<String> problems, String problem) {
    if (problems.size() < LISTED_MAX) {
      problems.add(problem);
    }
  }

  private static int[][] countReferences(LbaMap lba, BlockTable blocks) {
    int[][] pages = new int[16][];
    int[][][] holder = {pages};
    lba.forEach((pa, location) -> {
      int page = (int) (location >>> BlockTable.PAGE_SHIFT);
      if (page >= holder[0].length) {
        holder[0] = java.util.Arrays.copyOf(holder[0], Math.max(page + 1, holder[0].length * 2));
      }
      if (holder[0][page] == null) {
        holder[0][page] = new int[BlockTable.PAGE_BLOCKS];
      }
      holder[0][page][(int) location & (BlockTable.PAGE_BLOCKS - 1)]++;
    });
    return holder[0];
  }

  private static int actualCount(int[][] pages, long location) {
    int page = (int) (location >>> BlockTable.PAGE_SHIFT);
    return page < pages.length && pages[page] != null
        ? pages[page][(int) location & (BlockTable.PAGE_BLOCKS - 1)] : 0;
  }
}
