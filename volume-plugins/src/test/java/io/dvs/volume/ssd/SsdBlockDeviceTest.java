package io.dvs.volume.ssd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.volume.BlockDevice;
import io.dvs.volume.VolumePlugins;
import io.dvs.volume.disk.DiskBlockDeviceTest;
import io.dvs.volume.disk.LoopDevice;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SsdBlockDeviceTest {
  private static final int B = BlockDevice.BLOCK_SIZE_BYTES;
  private static final long LOOP_SIZE_BYTES = 64L << 20;

  @TempDir Path dir;

  private LoopDevice loop;

  @AfterEach
  void detach() throws Exception {
    if (loop != null) {
      loop.close();
    }
  }

  @Test
  void serviceLoaderFindsTheSsdPlugin() {
    assertEquals(SsdVolumePlugin.class, VolumePlugins.byName("ssd").getClass());
  }

  @Test
  void missingPathIsAClearError() {
    Path missing = dir.resolve("no-such-ssd");
    NoSuchFileException e = assertThrows(NoSuchFileException.class,
        () -> VolumePlugins.byName("ssd").open(missing));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void roundTripOnALoopDeviceSurvivesReopen() throws Exception {
    loop = LoopDevice.attach(dir, LOOP_SIZE_BYTES);
    DiskBlockDeviceTest.roundTrip("ssd", loop.device());
  }

  @Test
  void discardZerosTheRangeAndFreesTheBackingFile() throws Exception {
    loop = LoopDevice.attach(dir, LOOP_SIZE_BYTES);
    byte[] data = new byte[B];
    Arrays.fill(data, (byte) 7);
    try (SsdBlockDevice dev = (SsdBlockDevice) VolumePlugins.byName("ssd").open(loop.device())) {
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
}
