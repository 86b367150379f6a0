package io.dvs.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `dvs mount --data DIR` killed with {@code kill -9} (its MS, SN and client all die at once):
 * the same command mounts again at once, without waiting out the dead run's lease, and the
 * file fsync'd before the kill is there byte for byte. (Before, the second mount was refused:
 * "volume 'default' is mounted by client ...; unmount it there or wait".) A file that was open
 * and unlinked at the kill leaves no name behind (Namespace drops libfuse's hidden name), and a
 * rename over a file, killed in the middle of many, leaves the old or the new file.
 */
class EmbeddedCrashIT {
  static final long START_TIMEOUT_MS = 60_000;

  @TempDir Path tmp;

  /** `dvs mount --data DATA MNT`, returned once it has mounted; stopped if it does not. */
  private static DvsProcess mounted(String data, Path mnt) throws Exception {
    DvsProcess mount = DvsProcess.start("mount", "--data", data, mnt.toString());
    try {
      mount.await("mounted at", START_TIMEOUT_MS);
      return mount;
    } catch (Exception | Error e) {
      mount.close();
      throw e;
    }
  }

  @Test
  void mountingAgainAfterKill9NeedsNoWaitAndKeepsWhatWasFsynced() throws Exception {
    assumeTrue(TestTrees.fuseAvailable(), "needs root, /dev/fuse and libfuse2 (CI has them)");
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));
    byte[] fsynced = TestTrees.bytes(new Random(9), 5 * 1024 * 1024 + 3);
    Files.write(tmp.resolve("fsynced.bin"), fsynced);
    String data = tmp.resolve("data").toString();

    RandomAccessFile unlinkedOpen;
    try (DvsProcess mount = mounted(data, mnt)) {
      assertEquals(0, TestTrees.run(tmp, "dd", "if=" + tmp.resolve("fsynced.bin"),
          "of=" + mnt.resolve("fsynced.bin"), "bs=1M", "conv=fsync", "status=none"));
      // A file open and unlinked at the kill: libfuse had renamed it to .fuse_hiddenN.
      Path dir = Files.createDirectories(mnt.resolve("dir"));
      unlinkedOpen = new RandomAccessFile(dir.resolve("tmp").toFile(), "rw");
      unlinkedOpen.write(fsynced, 0, 1024 * 1024);
      unlinkedOpen.getFD().sync();
      Files.delete(dir.resolve("tmp"));
      assertEquals(1024 * 1024, unlinkedOpen.length(), "fstat of the unlinked open file");
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true); // the unlink, durable: without this the kill may undo it (POSIX)
      }
      mount.kill();
    }
    assertEquals(0, TestTrees.run(tmp, "fusermount", "-u", "-z", mnt.toString()));
    try {
      unlinkedOpen.close();
    } catch (IOException expected) {
      // its mount is gone
    }

    try (DvsProcess mount = mounted(data, mnt)) {
      assertArrayEquals(fsynced, Files.readAllBytes(mnt.resolve("fsynced.bin")));
      try (Stream<Path> left = Files.list(mnt.resolve("dir"))) {
        assertEquals(List.of(), left.collect(Collectors.toList()), "no .fuse_hidden leftover");
      }
      Files.delete(mnt.resolve("dir"));
      assertEquals(0, mount.terminate(), mount.output());
    }
  }

  /**
   * The atomic-replace pattern (write a temporary file, rename(2) it over the target) running
   * when the mount is killed: after the restart the target holds one whole version, never
   * nothing. ATOMIC_MOVE, because Files.move with REPLACE_EXISTING is unlink and then rename:
   * two calls, and a crash between them rightly leaves no target.
   * Every other rename goes over a target that is open, which libfuse makes two operations
   * (hide the target as .fuse_hiddenN, then rename onto its name).
   */
  @Test
  void aRenameOverItsTargetLeavesTheOldOrTheNewFileAfterKill9() throws Exception {
    assumeTrue(TestTrees.fuseAvailable(), "needs root, /dev/fuse and libfuse2 (CI has them)");
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));
    String data = tmp.resolve("data").toString();
    int renames;
    try (DvsProcess mount = mounted(data, mnt)) {
      Path target = mnt.resolve("target");
      Files.writeString(target, "version 0");
      try (FileChannel d = FileChannel.open(mnt, StandardOpenOption.READ)) {
        d.force(true);
      }
      long until = System.nanoTime() + 3_000_000_000L; // three journal groups at least
      int i = 1;
      while (System.nanoTime() < until) {
        Path next = mnt.resolve("next");
        Files.writeString(next, "version " + i);
        if (i % 2 == 0) {
          try (FileChannel open = FileChannel.open(target, StandardOpenOption.READ)) {
            Files.move(next, target, StandardCopyOption.ATOMIC_MOVE);
          }
        } else {
          Files.move(next, target, StandardCopyOption.ATOMIC_MOVE);
        }
        i++;
      }
      renames = i - 1;
      mount.kill();
    }
    assertEquals(0, TestTrees.run(tmp, "fusermount", "-u", "-z", mnt.toString()));

    try (DvsProcess mount = mounted(data, mnt)) {
      Path target = mnt.resolve("target");
      List<String> names;
      try (Stream<Path> left = Files.list(mnt)) {
        names = left.map(p -> p.getFileName().toString()).sorted().toList();
      }
      assertTrue(names.equals(List.of("target")) || names.equals(List.of("next", "target")),
          "names after " + renames + " renames and a restart: " + names);
      String version = Files.readString(target);
      assertTrue(version.matches("version [0-9]+"), "target holds '" + version + "'");
      assertEquals(0, mount.terminate(), mount.output());
    }
  }

  /**
   * Ctrl-C while a process sits in the mount (a shell's working directory): the mount used to
   * wait 30 s, print a stack trace and exit without flushing. Now, as root, it closes the mount
   * under that process, flushes, and says both.
   */
  @Test
  void stoppingWhileAProcessSitsInTheMountFlushesAndSaysWhy() throws Exception {
    assumeTrue(TestTrees.fuseAvailable(), "needs root, /dev/fuse and libfuse2 (CI has them)");
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));
    String data = tmp.resolve("data").toString();
    Process sitter;
    try (DvsProcess mount = mounted(data, mnt)) {
      Files.writeString(mnt.resolve("written"), "kept");
      sitter = new ProcessBuilder("sh", "-c", "cd " + mnt + " && exec sleep 60").start();
      TestTrees.await("the sitter inside", START_TIMEOUT_MS, () -> TestTrees.run(tmp, "sh", "-c",
          "ls -l /proc/" + sitter.pid() + "/cwd | grep -q " + mnt) == 0);
      assertEquals(0, mount.terminate(), mount.output());
      assertTrue(mount.output().contains("was in use"), mount.output());
      assertTrue(mount.output().contains("all data is durable"), mount.output());
      assertFalse(mount.output().contains("Exception"), mount.output());
    } finally {
      TestTrees.run(tmp, "fusermount", "-u", "-z", mnt.toString());
    }
    sitter.destroyForcibly().waitFor();
    try (DvsProcess mount = mounted(data, mnt)) {
      assertEquals("kept", Files.readString(mnt.resolve("written")));
      assertEquals(0, mount.terminate(), mount.output());
    }
  }
}
