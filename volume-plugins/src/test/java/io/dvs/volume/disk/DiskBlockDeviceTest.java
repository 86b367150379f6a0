package io.dvs.volume.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dvs.volume.BlockDevice;
import io.dvs.volume.VolumePlugin;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** The `disk` plugin: the raw-device contract, and create() that only takes over a device. */
class DiskBlockDeviceTest extends RawDeviceContractTest {
  @Override
  protected String pluginName() {
    return "disk";
  }

  @Override
  protected Class<? extends VolumePlugin> pluginClass() {
    return DiskVolumePlugin.class;
  }

  @Test
  void createOnlyTakesOverADeviceOfTheStatedSize() throws Exception {
    loop = LoopDevice.attach(dir, LOOP_SIZE_BYTES);
    assertThrows(IllegalArgumentException.class,
        () -> plugin().create(loop.device(), LOOP_BLOCKS + 1));
    try (BlockDevice dev = plugin().create(loop.device(), LOOP_BLOCKS)) {
      assertEquals(LOOP_BLOCKS, dev.capacityBlocks());
      byte[] buf = new byte[B];
      assertThrows(IllegalArgumentException.class, () -> dev.read(LOOP_BLOCKS, buf, 0));
      assertThrows(IllegalArgumentException.class, () -> dev.discard(LOOP_BLOCKS - 1, 2));
      dev.discard(0, 10); // a no-op for a hard disk, but a legal one
    }
    assertEquals(LOOP_SIZE_BYTES, Files.size(loop.backingFile()), "never resized");
  }
}
