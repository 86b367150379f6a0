package io.dvs.tools;

import static io.dvs.tools.PosixIT.sh;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fio with verification on files in the mount: every block written is read back and its
 * crc32c checked (--verify_fatal stops at the first bad block and fails the run). Sequential
 * and random, 4 KiB to 1 MiB, one and four jobs. Sizes are small so the test stays short on
 * two shared cores; the point is integrity, not speed.
 */
class FioIT {
  /** Common flags: verify everything written, fail on the first mismatch, no page-cache skip. */
  static final String VERIFY = "--ioengine=psync --verify=crc32c --verify_fatal=1 "
      + "--do_verify=1 --group_reporting --minimal";

  @TempDir Path tmp;

  @Test
  void sequentialAndRandomWritesVerify() throws Exception {
    assumeTrue(TestTrees.fuseAvailable(), PosixIT.SKIP);
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));
    try (PosixIT.Mount m = PosixIT.Mount.start(tmp.resolve("data"), mnt)) {
      String dir = " --directory=" + mnt + " ";
      sh(tmp, "fio --name=seq1m --rw=write --bs=1M --size=32M --numjobs=1" + dir + VERIFY);
      sh(tmp, "fio --name=seq128k4 --rw=write --bs=128k --size=8M --numjobs=4" + dir + VERIFY);
      sh(tmp, "fio --name=rand4k --rw=randwrite --bs=4k --size=2M --numjobs=1" + dir + VERIFY);
      sh(tmp, "fio --name=rand4k4 --rw=randwrite --bs=4k --size=1M --numjobs=4" + dir + VERIFY);
      // Mixed sizes 4 KiB..1 MiB at unaligned-to-the-request offsets, overwriting in place.
      sh(tmp, "fio --name=mixed --rw=randrw --bsrange=4k-1m --size=16M --numjobs=2"
          + " --overwrite=1" + dir + VERIFY);
      // Direct I/O bypasses the page cache: the data really comes from the SNs.
      sh(tmp, "fio --name=direct --rw=randwrite --bs=64k --size=8M --direct=1" + dir + VERIFY);
    }
  }
}
