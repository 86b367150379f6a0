package io.dvs.node;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.volume.disk.LoopDevice;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A device that vanishes while the node runs: its second device is a loop device (disk plugin)
 * whose size drops to 0 under it, as a hot-unplugged disk's does. The node names the device,
 * keeps writing to the healthy one (also content it had stored on the lost one), answers reads
 * of lost blocks with IO_ERROR naming the device, never hands out the lost device's space again
 * (full means NO_SPACE, not IO_ERROR), and refuses to restart without it, naming it.
 */
class DeviceFailureTest {
  static final int FIRST_BLOCKS = 64;
  static final long LOOP_BYTES = 1L << 20;
  static final int LOOP_BLOCKS = (int) (LOOP_BYTES / BLOCK_SIZE_BYTES);
  static final int STORED_BLOCKS = FIRST_BLOCKS + 32;
  /** Released on the first device before the failure, so it has room afterwards. */
  static final int FREED_BLOCKS = 24;
  static final int BATCH_BLOCKS = 16;

  @TempDir Path dir;

  @Test
  void vanishedDeviceIsNamedAndTheNodeGoesOnWithTheOther() throws Exception {
    Path data = dir.resolve("sn");
    try (LoopDevice loop = LoopDevice.attach(dir, LOOP_BYTES)) {
      String lost = loop.device().toString();
      try (StorageNode node = StorageNode.start(StorageNodeConfig.builder(data)
              .newDeviceCapacityBytes((long) FIRST_BLOCKS * BLOCK_SIZE_BYTES).build());
          SnWire wire = new SnWire(node)) {
        assertEquals(FIRST_BLOCKS + LOOP_BLOCKS, wire.addDevice("disk", lost, 0));
        for (int pa = 0; pa < STORED_BLOCKS; pa += BATCH_BLOCKS) {
          wire.writeOwn(SnWire.range(pa, BATCH_BLOCKS));
        }
        wire.release(SnWire.range(0, FREED_BLOCKS));
        wire.flush();
        long onLoop = STORED_BLOCKS - 1;
        assertTrue(node.engine().locationOf(onLoop) >= FIRST_BLOCKS);

        loop.vanish();
        long[] after = SnWire.range(1_000, BATCH_BLOCKS);
        wire.writeOwn(after); // the first write to meet the failure, retried on the other device
        assertEquals(List.of(lost), node.failedDevices());
        assertEquals(1, wire.stats().failedDevices(), "NODE_STATS (and heartbeats) report it");
        long copyOfLost = 2_000;
        wire.write(new long[] {copyOfLost}, SnWire.content(onLoop)); // not deduplicated onto it
        for (long pa : new long[] {after[0], after[BATCH_BLOCKS - 1], copyOfLost}) {
          assertTrue(node.engine().locationOf(pa) < FIRST_BLOCKS, "PA " + pa + " at L "
              + node.engine().locationOf(pa) + " (expected: on the healthy first device)");
        }
        assertArrayEquals(SnWire.contents(after), wire.read(after));
        assertArrayEquals(SnWire.content(onLoop), wire.read(copyOfLost));

        DvsException e = assertThrows(DvsException.class, () -> wire.read(onLoop));
        assertEquals(ErrorCode.IO_ERROR, e.code());
        assertTrue(e.getMessage().contains("PA " + onLoop) && e.getMessage().contains(lost),
            e.getMessage());
        long[] kept = SnWire.range(FREED_BLOCKS, FIRST_BLOCKS - FREED_BLOCKS);
        assertArrayEquals(SnWire.contents(kept), wire.read(kept), "the healthy device serves");
        wire.flush();

        wire.release(onLoop); // its L must stay out of use, like the rest of the lost device
        wire.flush();
        int free = FREED_BLOCKS - BATCH_BLOCKS - 1;
        wire.writeOwn(SnWire.range(3_000, free));
        e = assertThrows(DvsException.class, () -> wire.writeOwn(4_000));
        assertEquals(ErrorCode.NO_SPACE, e.code(), e.getMessage());
        assertEquals(FIRST_BLOCKS + LOOP_BLOCKS, wire.stats().capacityBlocks());
      }
      DvsException e = assertThrows(DvsException.class,
          () -> StorageNode.start(StorageNodeConfig.builder(data).build()).close());
      assertTrue(e.getMessage().contains(lost), e.getMessage());
    }
  }
}
