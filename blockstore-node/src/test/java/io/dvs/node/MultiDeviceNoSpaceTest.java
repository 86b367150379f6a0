package io.dvs.node;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NO_SPACE on a node of two devices, over the wire: when both are full a new unique block is
 * refused while duplicates of stored blocks are still taken; nothing stored is harmed; released
 * space is used again on whichever device it is.
 */
class MultiDeviceNoSpaceTest {
  static final int DEVICE_BLOCKS = 64;
  static final int CAPACITY_BLOCKS = 2 * DEVICE_BLOCKS;
  static final int FREED_BLOCKS = 4;

  @TempDir Path dir;
  private StorageNode node;
  private SnWire wire;

  @BeforeEach
  void start() {
    node = StorageNode.start(StorageNodeConfig.builder(dir)
        .newDeviceCapacityBytes((long) DEVICE_BLOCKS * BLOCK_SIZE_BYTES).build());
    wire = new SnWire(node);
    assertEquals(CAPACITY_BLOCKS, wire.addDevice("file", "", DEVICE_BLOCKS));
  }

  @AfterEach
  void stop() {
    wire.close();
    node.close();
  }

  @Test
  void fullOnEveryDeviceIsNoSpaceUntilBlocksAreReleased() {
    long[] stored = SnWire.range(0, CAPACITY_BLOCKS);
    for (int i = 0; i < CAPACITY_BLOCKS; i += 16) {
      wire.writeOwn(Arrays.copyOfRange(stored, i, i + 16));
    }
    assertNoSpaceFor(1_000);
    long dupPa = 2_000;
    wire.write(new long[] {dupPa}, SnWire.content(7)); // content PA 7 holds: no new L needed
    assertEquals(CAPACITY_BLOCKS, wire.stats().usedBlocks());
    assertArrayEquals(SnWire.content(7), wire.read(dupPa));
    assertArrayEquals(SnWire.contents(stored), wire.read(stored), "nothing stored was harmed");

    long[] onSecond = freeOn(DEVICE_BLOCKS, stored);
    long[] newOnSecond = SnWire.range(3_000, FREED_BLOCKS);
    wire.writeOwn(newOnSecond);
    assertAllOn(DEVICE_BLOCKS, newOnSecond);
    long[] onFirst = freeOn(0, stored);
    long[] newOnFirst = SnWire.range(4_000, FREED_BLOCKS);
    wire.writeOwn(newOnFirst);
    assertAllOn(0, newOnFirst);

    assertNoSpaceFor(1_001);
    long[] kept = LongStream.of(stored).filter(pa -> LongStream.concat(LongStream.of(onFirst),
        LongStream.of(onSecond)).noneMatch(freed -> freed == pa)).toArray();
    assertArrayEquals(SnWire.contents(kept), wire.read(kept));
    assertArrayEquals(SnWire.contents(newOnSecond), wire.read(newOnSecond));
    assertArrayEquals(SnWire.contents(newOnFirst), wire.read(newOnFirst));
    assertArrayEquals(SnWire.content(7), wire.read(dupPa));
  }

  private void assertNoSpaceFor(long pa) {
    DvsException e = assertThrows(DvsException.class, () -> wire.writeOwn(pa));
    assertEquals(ErrorCode.NO_SPACE, e.code(), e.getMessage());
  }

  /** Releases {@link #FREED_BLOCKS} PAs stored on the device whose Ls start at firstL. */
  private long[] freeOn(long firstL, long[] stored) {
    long[] pas = LongStream.of(stored).filter(pa -> pa != 7 && onDevice(firstL, pa))
        .limit(FREED_BLOCKS).toArray();
    assertEquals(FREED_BLOCKS, pas.length);
    wire.release(pas);
    return pas;
  }

  private void assertAllOn(long firstL, long[] pas) {
    for (long pa : pas) {
      assertTrue(onDevice(firstL, pa), "PA " + pa + " at L " + node.engine().locationOf(pa));
    }
  }

  private boolean onDevice(long firstL, long pa) {
    long l = node.engine().locationOf(pa);
    return l >= firstL && l < firstL + DEVICE_BLOCKS;
  }
}
