package io.dvs.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MS is a process that can die: with every role in its own process, `kill -9` of the MS in
 * the middle of a `cp -a` of a few thousand files into the mount; the MS restarts on the same
 * port; the copy finishes without an error, the file fsync'd before the kill is intact, and
 * after a clean unmount and a fresh mount the whole tree is there byte for byte. On the way, a
 * second mount of the volume through the CLI is refused with an error naming the holder.
 */
class MetaCrashIT {
  static final long START_TIMEOUT_MS = 60_000;
  /** Files copied: enough that the copy is still running when the MS dies. */
  static final int FILES = 3000;
  /** How long the MS stays dead: longer than a few client retries, far below their bound. */
  static final long MS_DOWN_MS = 3_000;

  @TempDir Path tmp;

  @Test
  void theClientRidesOutAnMsCrashAndASecondMountIsRefused() throws Exception {
    assumeTrue(TestTrees.fuseAvailable(), "needs root, /dev/fuse and libfuse2 (CI has them)");
    Path src = tmp.resolve("src");
    TestTrees.build(src, FILES, 11);
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));
    byte[] fsynced = TestTrees.bytes(new Random(3), 3 * 1024 * 1024 + 17);
    Files.write(tmp.resolve("fsynced.bin"), fsynced);
    int port = freePort();
    String meta = "127.0.0.1:" + port;

    DvsProcess ms = startMs(port);
    try (DvsProcess sn = DvsProcess.start("node", "start", "--data", tmp + "/sn0", "--meta",
        meta, "--device-size", "4G")) {
      sn.await("listening on", START_TIMEOUT_MS);
      try (DvsProcess mount = DvsProcess.start("mount", "--meta", meta, "--volume", "crash",
          mnt.toString())) {
        mount.await("mounted at", START_TIMEOUT_MS);

        DvsProcess second = DvsProcess.run("mount", "--meta", meta, "--volume", "crash",
            Files.createDirectories(tmp.resolve("mnt2")).toString());
        assertNotEquals(0, second.exitCode(), second.output());
        assertTrue(second.output().contains("'crash' is mounted by client"), second.output());

        assertEquals(0, TestTrees.run(tmp, "dd", "if=" + tmp.resolve("fsynced.bin"),
            "of=" + mnt.resolve("fsynced.bin"), "bs=1M", "conv=fsync", "status=none"));
        Process copy = new ProcessBuilder("cp", "-a", src.toString(), mnt.resolve("tree")
            .toString()).inheritIO().start();
        awaitCopyUnderWay(copy, mnt.resolve("tree"));
        boolean copyRunning = copy.isAlive();
        ms.kill();
        System.out.println("MetaCrashIT: MS killed (cp still running: " + copyRunning + ")");
        Thread.sleep(MS_DOWN_MS);
        ms = startMs(port);

        assertTrue(copy.waitFor(5, TimeUnit.MINUTES), "cp -a finished");
        assertEquals(0, copy.exitValue(), "cp -a through the MS crash");
        assertArrayEquals(fsynced, Files.readAllBytes(mnt.resolve("fsynced.bin")));
        TestTrees.assertSameTree(src, mnt.resolve("tree"));
        assertEquals(0, mount.terminate(), "clean unmount after the crash: " + mount.output());
        assertTrue(mount.output().contains("all data is durable"), mount.output());
      }
      try (DvsProcess mount = DvsProcess.start("mount", "--meta", meta, "--volume", "crash",
          mnt.toString())) {
        mount.await("mounted at", START_TIMEOUT_MS);
        assertArrayEquals(fsynced, Files.readAllBytes(mnt.resolve("fsynced.bin")));
        TestTrees.assertSameTree(src, mnt.resolve("tree"));
        assertEquals(0, mount.terminate());
      }
    } finally {
      ms.close();
    }
  }

  private DvsProcess startMs(int port) throws Exception {
    DvsProcess ms = DvsProcess.start("meta", "start", "--data", tmp + "/ms", "--port",
        String.valueOf(port));
    ms.await("listening on", START_TIMEOUT_MS);
    return ms;
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Waits until cp has created part of the tree (or finished), so the kill lands mid-copy. */
  private static void awaitCopyUnderWay(Process copy, Path tree) throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT_MS * 1_000_000;
    while (copy.isAlive() && System.nanoTime() < deadline) {
      if (Files.isDirectory(tree)) {
        try (var entries = Files.walk(tree)) {
          if (entries.limit(FILES / 10).count() >= FILES / 10) {
            return;
          }
        } catch (java.io.UncheckedIOException e) {
          // cp is renaming or creating as we walk: look again.
        }
      }
      Thread.sleep(20);
    }
  }
}
