package io.dvs.meta.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PaRangesTest {
  private final List<String> sunk = new ArrayList<>();
  private final PaRanges ranges =
      new PaRanges((sn, start, end) -> sunk.add(sn + ":" + start + "-" + end));

  @Test
  void alternatingPiecesMergeIntoOneRangePerSn() {
    // A file's blocks alternating between SNs 1 and 2, two at a time, as content placement does.
    for (int i = 0; i < 64; i++) {
      ranges.add(1 + i % 2, 100 + (i / 2) * 2, 2);
    }
    ranges.add(2, 500, 1); // not touching
    ranges.add(2, 110, 5); // overlapping
    assertTrue(ranges.overlaps(2, 163, 1));
    assertFalse(ranges.overlaps(2, 164, 1));
    assertFalse(ranges.overlaps(3, 100, 1));
    assertEquals(List.of(), sunk, "nothing reaches the sink before a flush");
    ranges.flush();
    assertEquals(List.of("1:100-164", "2:100-164", "2:500-501"), sunk);
    ranges.flush();
    assertEquals(3, sunk.size(), "flush empties");
  }

  @Test
  void piecesPastTheBoundGoToTheSinkWithoutAFlush() {
    for (int i = 0; i < PaRanges.PENDING_MAX; i++) {
      ranges.add(1, 2L * i, 1); // gaps: nothing merges
    }
    assertEquals(PaRanges.PENDING_MAX, sunk.size());
    assertFalse(ranges.overlaps(1, 0, 1), "what went to the sink is no longer pending");
  }
}
