package io.dvs.node.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class SpaceAllocatorTest {
  @Test
  void quarantinedBlockIsNotReusedUntilReleased() {
    SpaceAllocator a = new SpaceAllocator(2);
    long l0 = a.allocate();
    long l1 = a.allocate();
    assertEquals(SpaceAllocator.NONE, a.allocate());
    a.quarantine(l0);
    assertEquals(SpaceAllocator.NONE, a.allocate(), "quarantined L must not be handed out");
    assertEquals(1, a.quarantinedCount());
    a.release(new long[] {l0});
    assertEquals(0, a.quarantinedCount());
    assertEquals(l0, a.allocate());
    assertNotEquals(l0, l1);
  }

  /**
   * A failed device's Ls never come back: not the free ones, not one a write had allocated, not
   * one whose data is released later; nor those past the capacity when the device was retired
   * before the engine grew onto it.
   */
  @Test
  void retiredBlocksAreNeverHandedOutAgain() {
    SpaceAllocator a = new SpaceAllocator(4); // device 0: Ls 0..1, device 1: Ls 2..3
    long inFlight = a.allocate();
    long holdingData = a.allocate();
    a.retire(0, 2);
    a.retire(4, 2); // device 2 (Ls 4..5) failed after joining the set, before the engine grew
    a.grow(6);
    a.unallocate(inFlight);
    a.quarantine(holdingData);
    a.release(new long[] {holdingData});
    assertEquals(0, a.quarantinedCount());
    assertTrue(a.isRetired(inFlight) && a.isRetired(5) && !a.isRetired(2));
    assertEquals(2, a.freeBlocks());
    assertEquals(Set.of(2L, 3L), Set.of(a.allocate(), a.allocate()));
    assertEquals(SpaceAllocator.NONE, a.allocate());
  }

  /**
   * Random allocate / unallocate / quarantine / release sequences against a model: an L is
   * never handed out while used or quarantined, and the free count always matches.
   */
  @Property(tries = 200)
  void neverHandsOutATakenBlock(@ForAll @Size(max = 300) List<@IntRange(max = 3) Integer> ops,
      @ForAll @IntRange(min = 1, max = 40) int capacity) {
    SpaceAllocator a = new SpaceAllocator(capacity);
    Set<Long> used = new HashSet<>();
    Set<Long> quarantined = new HashSet<>();
    List<Long> usedList = new ArrayList<>();
    for (int op : ops) {
      switch (op) {
        case 0 -> {
          long l = a.allocate();
          if (l == SpaceAllocator.NONE) {
            assertEquals(capacity, used.size() + quarantined.size());
          } else {
            assertFalse(used.contains(l) || quarantined.contains(l), "handed out taken L " + l);
            used.add(l);
            usedList.add(l);
          }
        }
        case 1 -> {
          if (!usedList.isEmpty()) {
            long l = usedList.remove(usedList.size() - 1);
            used.remove(l);
            a.unallocate(l);
          }
        }
        case 2 -> {
          if (!usedList.isEmpty()) {
            long l = usedList.remove(0);
            used.remove(l);
            quarantined.add(l);
            a.quarantine(l);
          }
        }
        default -> {
          // Release the quarantined Ls of the oldest "batch": here, all of them.
          long[] released = quarantined.stream().mapToLong(Long::longValue).toArray();
          a.release(released);
          quarantined.clear();
          assertEquals(0, a.quarantinedCount());
        }
      }
      assertEquals(capacity - used.size() - quarantined.size(), a.freeBlocks());
    }
  }
}
