package io.dvs.volume.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.volume.BlockDevice;
import io.dvs.volume.LinuxLibC;
import io.dvs.volume.VolumePlugin;
import io.dvs.volume.VolumePlugins;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileBlockDeviceTest {
  private static final int B = BlockDevice.BLOCK_SIZE_BYTES;

  @TempDir Path dir;

  @Test
  void serviceLoaderFindsTheFilePlugin() {
    VolumePlugin plugin = VolumePlugins.byName("file");
    assertEquals(FileVolumePlugin.class, plugin.getClass());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> VolumePlugins.byName("tape"));
    assertTrue(e.getMessage().contains("file"), e.getMessage());
  }

  @Test
  void roundTripSurvivesReopenAndUnwrittenBlocksReadZeros() throws IOException {
    Path path = dir.resolve("dev.img");
    byte[] data = new byte[3 * B];
    new Random(1).nextBytes(data);
    try (BlockDevice dev = VolumePlugins.byName("file").create(path, 1000)) {
      assertEquals(1000, dev.capacityBlocks());
      dev.write(0, data, 0);
      dev.write(999, data, B); // last block, from a non-zero offset
      dev.sync();
    }
    assertEquals(1000L * B, Files.size(path));
    try (BlockDevice dev = VolumePlugins.byName("file").open(path)) {
      byte[] got = new byte[2 * B];
      dev.read(0, got, 0);
      dev.read(999, got, B);
      assertArrayEquals(Arrays.copyOf(data, 2 * B), got);
      dev.read(500, got, 0);
      assertArrayEquals(new byte[B], Arrays.copyOf(got, B));
    }
  }

  @Test
  void callerErrorsAreRejected() throws IOException {
    Path path = dir.resolve("dev.img");
    try (BlockDevice dev = FileBlockDevice.create(path, 4)) {
      byte[] buf = new byte[B];
      assertThrows(IllegalArgumentException.class, () -> dev.read(4, buf, 0));
      assertThrows(IllegalArgumentException.class, () -> dev.write(-1, buf, 0));
      assertThrows(IndexOutOfBoundsException.class, () -> dev.write(0, buf, 1));
      assertThrows(IllegalArgumentException.class, () -> dev.discard(3, 2));
    }
    assertThrows(FileAlreadyExistsException.class, () -> FileBlockDevice.create(path, 4));
    Path odd = dir.resolve("odd.img");
    Files.write(odd, new byte[B + 1]);
    assertThrows(IOException.class, () -> FileBlockDevice.open(odd));
  }

  @Test
  void createdFileIsSparseAndDiscardPunchesHoles() throws Exception {
    Path path = dir.resolve("dev.img");
    try (FileBlockDevice dev = FileBlockDevice.create(path, 1 << 18)) { // 1 GiB apparent
      assertTrue(allocatedBytes(path) < 1 << 20, "a new device must be sparse");
      byte[] data = new byte[B];
      Arrays.fill(data, (byte) 7);
      for (int i = 0; i < 256; i++) {
        dev.write(i, data, 0);
      }
      dev.sync();
      long before = allocatedBytes(path);
      assertTrue(before >= 256L * B, "written blocks take space: " + before);
      dev.discard(0, 256);
      if (dev.discardPunchesHoles()) {
        assertTrue(allocatedBytes(path) < before, "discard returns space");
        byte[] got = new byte[B];
        dev.read(10, got, 0);
        assertArrayEquals(new byte[B], got);
      }
    }
  }

  @Test
  void writebackStartsEveryFewMibAndDataStaysIntact() throws Exception {
    Path path = dir.resolve("dev.img");
    int batch = 64;
    int batches = (int) (2 * Writeback.KICK_BYTES / (batch * B)) + 1;
    byte[] data = new byte[batch * B];
    FileBlockDevice dev = FileBlockDevice.create(path, (long) batches * batch);
    try (dev) {
      Random random = new Random(3);
      dev.write(0, 1, data, 0);
      assertEquals(0, dev.writebackKicks(), "one block starts no writeback");
      for (int i = 0; i < batches; i++) {
        random.nextBytes(data);
        dev.write((long) i * batch, batch, data, 0);
      }
      byte[] got = new byte[batch * B];
      dev.read((long) (batches - 1) * batch, batch, got, 0);
      assertArrayEquals(data, got);
    }
    // close() lets a queued or running writeback finish before it returns.
    if (LinuxLibC.available()) {
      assertTrue(dev.writebackKicks() >= 1, "writeback started after "
          + batches * batch * (long) B + " bytes");
    }
  }

  /** st_blocks x 512 via stat(1): the JDK does not expose a file's allocated size. */
  private static long allocatedBytes(Path path) throws Exception {
    Process p = new ProcessBuilder("stat", "-c", "%b", path.toString()).start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    p.waitFor();
    return Long.parseLong(out) * 512;
  }
}
