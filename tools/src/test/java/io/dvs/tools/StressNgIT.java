package io.dvs.tools;

import static io.dvs.tools.PosixIT.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * stress-ng's file system and I/O stressors, each with {@code --verify}, on a mounted volume:
 * the checks another file system's users run on it (each stressor exits non-zero on a failed
 * check or a system call that should have worked). They found two bugs no test of ours had:
 * fstat(2) of an open file after its unlink failed ENOENT (fallocate, hdd, readahead), and
 * names that are not UTF-8 became one name (filename; now kept byte for byte, RawPaths).
 *
 * <p>Left out: fiemap (FUSE has no FS_IOC_FIEMAP; stress-ng skips it anyway), and stressors
 * that need something no FUSE file system offers (bind-mount, chattr, inode-flags, verity,
 * fanotify, file-ioctl, handle).
 */
class StressNgIT {
  static final List<String> STRESSORS = List.of("access", "chdir", "chmod", "chown",
      "copy-file", "dentry", "dir", "dirdeep", "dirmany", "dup", "fallocate", "fcntl",
      "filename", "flock", "fpunch", "fsize", "fstat", "getdent", "hdd", "io", "iomix", "link",
      "locka", "lockf", "lockofd", "mknod", "open", "rename", "symlink", "sync-file", "touch",
      "utime", "xattr", "aio", "readahead", "revio", "seek");

  /** Seconds per stressor: enough for thousands of operations, the whole run about 90 s. */
  static final int SECONDS = 2;

  @TempDir Path tmp;

  @Test
  void fileSystemStressorsPassWithVerify() throws Exception {
    assumeTrue(TestTrees.fuseAvailable(), PosixIT.SKIP);
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));
    try (PosixIT.Mount m = PosixIT.Mount.start(tmp.resolve("data"), mnt)) {
      Path work = Files.createDirectories(mnt.resolve("stress"));
      List<String> failed = new ArrayList<>();
      for (String stressor : STRESSORS) {
        String out = sh(tmp, "stress-ng --" + stressor + " 1 -t " + SECONDS + " --verify "
            + "--temp-path " + work + " 2>&1; echo \"exit=$?\"");
        if (!out.endsWith("exit=0") || out.contains("fail:")) {
          failed.add(stressor + ":\n" + out);
        }
      }
      assertEquals(List.of(), failed, "stressors that failed");
      try (var left = Files.list(work)) {
        assertTrue(left.findAny().isEmpty(), "stress-ng removes what it made; readdir shows "
            + "no .fuse_hidden names of files unlinked while open");
      }
    }
  }
}
