package io.dvs.tools;

import static io.dvs.tools.PosixIT.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A thin 1 TiB image file in dvs used as a block device: `dvs image create`, losetup,
 * mkfs.ext4, a real tree copied in, e2fsck clean; after unmounting and mounting dvs again the
 * tree is still there byte for byte; fstrim inside the ext4 punches holes in the image
 * (the loop driver turns discards into fallocate PUNCH_HOLE) and the image's blocks drop.
 */
class ImageIT {
  static final String TREE = "/usr/share/doc";
  /** A few MB of real files: enough for ext4 to spread over several block groups. */
  static final String TREE_SUBSET = "git valgrind bash coreutils";

  @TempDir Path tmp;

  @Test
  void oneTebibyteImageLoopMountsSurvivesRemountAndTrims() throws Exception {
    assumeTrue(TestTrees.fuseAvailable() && Files.exists(Path.of("/dev/loop-control")),
        PosixIT.SKIP + ", and loop devices");
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));
    Path ext4 = Files.createDirectories(tmp.resolve("ext4"));
    Path src = Files.createDirectories(tmp.resolve("src"));
    sh(Path.of(TREE), "cp -a " + TREE_SUBSET + " " + src + "/ 2>/dev/null; true");
    Path data = tmp.resolve("data");
    Path image = mnt.resolve("disk.img");
    String loop = null;
    try (PosixIT.Mount m = PosixIT.Mount.start(data, mnt)) {
      assertNotEquals(0, Dvs.run("image", "create", tmp.resolve("outside.img").toString(),
          "--size", "1G"), "refused outside a dvs mount");
      assertEquals(0, Dvs.run("image", "create", image.toString(), "--size", "1T"));
      assertNotEquals(0, Dvs.run("image", "create", image.toString(), "--size", "1T"),
          "refused when the file exists");
      assertEquals(1L << 40, Files.size(image));
      assertEquals("0", sh(mnt, "stat -c %b disk.img"), "thin: nothing allocated");

      loop = sh(tmp, "losetup --find --show " + image);
      try {
        sh(tmp, "mkfs.ext4 -q -F -J size=16 -E lazy_itable_init=1,lazy_journal_init=1 " + loop);
        sh(tmp, "mount -o noinit_itable " + loop + " " + ext4 + " && cp -a src/. " + ext4
            + "/ && umount " + ext4);
        sh(tmp, "e2fsck -fn " + loop);
      } finally {
        sh(tmp, "losetup -d " + loop);
      }
      assertTrue(Long.parseLong(sh(mnt, "stat -c %b disk.img")) < 2L * 1024 * 1024,
          "the 1 TiB image holds under 1 GiB");
    }
    try (PosixIT.Mount m = PosixIT.Mount.start(data, mnt)) {
      loop = sh(tmp, "losetup --find --show " + image);
      try {
        sh(tmp, "mount " + loop + " " + ext4);
        try {
          sh(tmp, "diff -r --no-dereference -x lost+found src " + ext4); // mkfs made lost+found
          sh(tmp, "sync");
          long before = Long.parseLong(sh(mnt, "stat -c %b disk.img"));
          sh(tmp, "rm -rf " + ext4 + "/git " + ext4 + "/valgrind && sync && fstrim " + ext4);
          sh(tmp, "sync");
          long after = Long.parseLong(sh(mnt, "stat -c %b disk.img"));
          assertTrue(after < before - 2048, "fstrim released blocks: " + before + " -> "
              + after + " sectors");
        } finally {
          sh(tmp, "umount " + ext4);
        }
        sh(tmp, "e2fsck -fn " + loop);
      } finally {
        sh(tmp, "losetup -d " + loop);
      }
    }
  }
}
