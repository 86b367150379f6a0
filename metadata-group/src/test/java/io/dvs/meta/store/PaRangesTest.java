package io.dvs.meta.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PaRangesTest {
  @Test
  void alternatingPiecesMergeIntoOneRangePerSn() {
    PaRanges ranges = new PaRanges();
    // A file's blocks alternating between SNs 1 and 2, two at a time, as content placement does.
    for (int i = 0; i < 64; i++) {
      ranges.add(1 + i % 2, 100 + (i / 2) * 2, 2);
    }
    ranges.add(2, 500, 1); // not touching
    ranges.add(2, 110, 5); // overlapping
    assertTrue(ranges.overlaps(2, 163, 1));
    assertFalse(ranges.overlaps(2, 164, 1));
    assertFalse(ranges.overlaps(3, 100, 1));
    List<String> drained = new ArrayList<>();
    ranges.drain((sn, start, end) -> drained.add(sn + ":" + start + "-" + end));
    assertEquals(List.of("1:100-164", "2:100-164", "2:500-501"), drained);
    ranges.drain((sn, start, end) -> drained.add("again"));
    assertEquals(3, drained.size(), "drain empties");
  }
}
