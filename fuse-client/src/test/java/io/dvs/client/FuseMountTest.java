package io.dvs.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FuseMountTest {
  @TempDir Path dir;

  private Path mountinfo(String... lines) throws Exception {
    Path file = dir.resolve("mountinfo");
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file;
  }

  @Test
  void deviceOfTakesTheLastMountAtThePath() throws Exception {
    Path info = mountinfo(
        "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw",
        "90 22 0:40 / /mnt/dvs rw,nosuid,nodev shared:50 - fuse.dvs dvs rw,user_id=0",
        "91 90 0:41 / /mnt/dvs rw,nosuid,nodev shared:51 - fuse.dvs dvs rw,user_id=0",
        "92 22 0:42 / /mnt/dvs2 rw shared:52 - fuse.dvs dvs rw");
    assertEquals("0:41", FuseMount.deviceOf(Path.of("/mnt/dvs"), info));
  }

  @Test
  void deviceOfReadsTheKernelsEscapes() throws Exception {
    Path info = mountinfo(
        "90 22 0:40 / /mnt/my\\040disk\\134x rw shared:50 - fuse.dvs dvs rw");
    assertEquals("0:40", FuseMount.deviceOf(Path.of("/mnt/my disk\\x"), info));
  }

  @Test
  void deviceOfIsNullWithoutSuchAMountOrFile() throws Exception {
    Path info = mountinfo("22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw", "garbage");
    assertNull(FuseMount.deviceOf(Path.of("/mnt/dvs"), info));
    assertNull(FuseMount.deviceOf(Path.of("/mnt/dvs"), dir.resolve("missing")));
  }
}
