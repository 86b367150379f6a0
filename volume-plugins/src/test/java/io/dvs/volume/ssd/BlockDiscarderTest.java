package io.dvs.volume.ssd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dvs.volume.BlockDevice;
import io.dvs.volume.LinuxLibC;
import io.dvs.volume.ssd.BlockDiscarder.Mode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fallback from ioctl(BLKDISCARD) to fallocate(PUNCH_HOLE), driven by the kernel's own
 * refusal: on a regular file BLKDISCARD fails (ENOTTY) as on a drive without TRIM, while the
 * file system punches holes. (No loop device can show this step: Linux 6.18 refuses PUNCH_HOLE
 * on a loop device even where it accepts BLKDISCARD. SsdBlockDeviceTest covers a device that
 * refuses both.)
 */
class BlockDiscarderTest {
  private static final int B = BlockDevice.BLOCK_SIZE_BYTES;
  private static final int BLOCKS = 64;

  @TempDir Path dir;

  @Test
  void refusedBlkdiscardFallsBackToPunchingHolesThatReadAsZeros() throws Exception {
    assumeTrue(LinuxLibC.available(), "skipped: needs Linux libc");
    Path file = dir.resolve("device.img");
    byte[] sevens = new byte[BLOCKS * B];
    Arrays.fill(sevens, (byte) 7);
    Files.write(file, sevens);
    try (BlockDiscarder discarder = BlockDiscarder.open(file)) {
      assertEquals(Mode.IOCTL, discarder.mode());
      discarder.discard(8L * B, 16L * B);
      assertEquals(Mode.FALLOCATE, discarder.mode(), "BLKDISCARD refused: punch holes instead");
      discarder.discard(40L * B, B); // straight to fallocate now
      discarder.discard(0, 0);
      assertEquals(Mode.FALLOCATE, discarder.mode());
      assertTrue(discarder.works());
    }
    byte[] after = Files.readAllBytes(file);
    assertEquals(BLOCKS * B, after.length, "KEEP_SIZE: the device keeps its length");
    for (int block = 0; block < BLOCKS; block++) {
      boolean discarded = (block >= 8 && block < 24) || block == 40;
      byte[] expected = new byte[B];
      Arrays.fill(expected, discarded ? 0 : (byte) 7);
      assertArrayEquals(expected, Arrays.copyOfRange(after, block * B, (block + 1) * B),
          "block " + block);
    }
  }
}
