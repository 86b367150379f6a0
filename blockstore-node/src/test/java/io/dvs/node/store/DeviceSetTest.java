package io.dvs.node.store;

import static io.dvs.volume.BlockDevice.BLOCK_SIZE_BYTES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.dvs.volume.BlockDevice;
import io.dvs.volume.file.FileBlockDevice;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceSetTest {
  @TempDir Path dir;

  /** A run of Ls that crosses from one device into the next reads back as written. */
  @Test
  void runsAcrossDevicesRoundTrip() throws Exception {
    BlockDevice a = FileBlockDevice.create(dir.resolve("a.img"), 8);
    BlockDevice b = FileBlockDevice.create(dir.resolve("b.img"), 8);
    try (DeviceSet set = new DeviceSet(List.of(a, b), List.of("a", "b"))) {
      byte[] data = new byte[10 * BLOCK_SIZE_BYTES];
      new Random(3).nextBytes(data);
      set.write(3, 10, data, 0); // Ls 3..7 on a, 8..12 on b
      byte[] run = new byte[10 * BLOCK_SIZE_BYTES];
      set.read(3, 10, run, 0);
      assertArrayEquals(data, run);
      for (int i = 0; i < 10; i++) { // one block at a time, from each device directly
        byte[] one = new byte[BLOCK_SIZE_BYTES];
        (i < 5 ? a : b).read(i < 5 ? 3 + i : i - 5, one, 0);
        assertArrayEquals(Arrays.copyOfRange(data, i * BLOCK_SIZE_BYTES,
            (i + 1) * BLOCK_SIZE_BYTES), one, "block " + i);
      }
    }
  }
}
