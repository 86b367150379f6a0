package io.dvs.volume.ssd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.volume.VolumePlugin;
import io.dvs.volume.disk.LoopDevice;
import io.dvs.volume.disk.RawDeviceContractTest;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The `ssd` plugin: the raw-device contract, and discard that reaches the device. */
class SsdBlockDeviceTest extends RawDeviceContractTest {
  @Override
  protected String pluginName() {
    return "ssd";
  }

  @Override
  protected Class<? extends VolumePlugin> pluginClass() {
    return SsdVolumePlugin.class;
  }

  @Test
  void discardZerosTheRangeAndFreesTheBackingFile() throws Exception {
    loop = LoopDevice.attach(dir, LOOP_SIZE_BYTES);
    byte[] data = new byte[B];
    Arrays.fill(data, (byte) 7);
    try (SsdBlockDevice dev = (SsdBlockDevice) plugin().open(loop.device())) {
      long last = dev.capacityBlocks() - 1;
      for (int i = 0; i < 512; i++) { // 2 MiB
        dev.write(i, data, 0);
      }
      dev.write(last, data, 0);
      dev.sync();
      long before = loop.backingAllocatedBytes();
      assertTrue(before >= 512L * B, "written blocks take space: " + before);

      dev.discard(0, 512);
      dev.discard(last, 1);
      dev.sync();
      assertTrue(dev.discardReachesDevice(), "a loop device accepts discard");
      byte[] got = new byte[B];
      for (long blockNo : new long[] {0, 100, 511, last}) {
        dev.read(blockNo, got, 0);
        assertArrayEquals(new byte[B], got, "discarded block " + blockNo);
      }
      long after = loop.backingAllocatedBytes();
      assertTrue(after <= before - 512L * B, "discard frees the backing file: " + before
          + " -> " + after + " bytes");
      assertThrows(IllegalArgumentException.class, () -> dev.discard(last, 2));
      dev.write(512, data, 0); // a neighbour of the range is untouched by it
      dev.read(512, got, 0);
      assertArrayEquals(data, got);
    }
  }

  /**
   * A drive without TRIM (a loop device over a ramfs file): BLKDISCARD is refused, the fallback
   * PUNCH_HOLE too, so discard becomes a no-op, logged once. No call fails, the data stays, and
   * the device keeps serving.
   */
  @Test
  void discardOnADriveWithoutTrimFallsBackToANoOpAndNeverFails() throws Exception {
    loop = LoopDevice.attachWithoutDiscard(dir, 4L << 20);
    byte[] data = new byte[B];
    Arrays.fill(data, (byte) 7);
    try (SsdBlockDevice dev = (SsdBlockDevice) plugin().open(loop.device())) {
      for (int i = 0; i < 16; i++) {
        dev.write(i, data, 0);
      }
      dev.sync();
      dev.discard(0, 8);
      assertFalse(dev.discardReachesDevice());
      dev.discard(8, 8); // a no-op now
      dev.write(3, data, 0);
      dev.sync();
      byte[] got = new byte[B];
      for (int i = 0; i < 16; i++) {
        dev.read(i, got, 0);
        assertArrayEquals(data, got, "block " + i + ": a discard that reached nothing");
      }
    }
  }
}
