package io.dvs.volume.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.volume.BlockDevice;
import io.dvs.volume.VolumePlugin;
import io.dvs.volume.VolumePlugins;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every raw-device plugin promises (disk, ssd): found by name, clear errors for a missing
 * path or a regular file, never creates a device, and data that survives a reopen. Tests that
 * need a device attach a loop device (root; they skip with a message otherwise).
 */
public abstract class RawDeviceContractTest {
  protected static final int B = BlockDevice.BLOCK_SIZE_BYTES;
  protected static final long LOOP_SIZE_BYTES = 64L << 20;
  protected static final long LOOP_BLOCKS = LOOP_SIZE_BYTES / B;

  @TempDir protected Path dir;

  protected LoopDevice loop;

  /** The plugin's name, as ServiceLoader finds it. */
  protected abstract String pluginName();

  protected abstract Class<? extends VolumePlugin> pluginClass();

  protected VolumePlugin plugin() {
    return VolumePlugins.byName(pluginName());
  }

  @AfterEach
  void detach() throws Exception {
    if (loop != null) {
      loop.close();
    }
  }

  @Test
  void serviceLoaderFindsThePlugin() {
    assertEquals(pluginClass(), plugin().getClass());
  }

  @Test
  void missingPathIsAClearError() {
    Path missing = dir.resolve("no-such-device");
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> plugin().open(missing));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    assertThrows(NoSuchFileException.class, () -> plugin().create(missing, 10));
    assertTrue(Files.notExists(missing), "a raw-device plugin never creates a device");
  }

  @Test
  void regularFileIsRefused() throws IOException {
    Path file = Files.write(dir.resolve("image"), new byte[B]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> plugin().open(file));
    assertTrue(e.getMessage().contains(file.toString())
        && e.getMessage().contains("not a block device"), e.getMessage());
  }

  /**
   * Writes distinct random blocks at the start, middle and last block (from non-zero offsets in
   * the caller's array), reads them back, closes, reopens by plugin name and reads them again.
   */
  @Test
  void roundTripOnALoopDeviceSurvivesReopen() throws Exception {
    loop = LoopDevice.attach(dir, LOOP_SIZE_BYTES);
    long[] blockNos = {0, 1, 777, LOOP_BLOCKS / 2, LOOP_BLOCKS - 1};
    byte[] data = new byte[(blockNos.length + 1) * B];
    new Random(42).nextBytes(data);
    try (BlockDevice dev = plugin().open(loop.device())) {
      assertEquals(LOOP_BLOCKS, dev.capacityBlocks());
      for (int i = 0; i < blockNos.length; i++) {
        dev.write(blockNos[i], data, i * B + 1);
      }
      dev.sync();
      checkBlocks(dev, blockNos, data);
    }
    try (BlockDevice dev = plugin().open(loop.device())) {
      assertEquals(LOOP_BLOCKS, dev.capacityBlocks());
      checkBlocks(dev, blockNos, data);
      byte[] got = new byte[B];
      dev.read(5, got, 0);
      assertArrayEquals(new byte[B], got, "an unwritten block of a sparse loop reads zeros");
    }
  }

  private static void checkBlocks(BlockDevice dev, long[] blockNos, byte[] data)
      throws IOException {
    byte[] got = new byte[B + 3];
    for (int i = 0; i < blockNos.length; i++) {
      dev.read(blockNos[i], got, 3);
      assertArrayEquals(Arrays.copyOfRange(data, i * B + 1, i * B + 1 + B),
          Arrays.copyOfRange(got, 3, 3 + B), "block " + blockNos[i]);
    }
  }
}
