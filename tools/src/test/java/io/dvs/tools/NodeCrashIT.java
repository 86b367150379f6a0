package io.dvs.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An SN is a process that can die: every role in its own process, a file written through the
 * mount while one of two SNs is killed with {@code kill -9} twice. The first time it comes back
 * on the same port, right after writes it acknowledged from memory (so it lost them) and while
 * more are sent to it; the second time, after an fsync, on another port; the third time in the
 * middle of random overwrites, which the SNs write in place. Every fsync succeeds,
 * and after a clean unmount and a fresh mount the file is there byte for byte. (Before the SNs
 * answered with a boot id, the first crash lost acknowledged writes while fsync said all was
 * well, and the second made every later fsync fail.)
 */
class NodeCrashIT {
  static final long START_TIMEOUT_MS = 60_000;
  static final int MIB = 1 << 20;

  @TempDir Path tmp;

  @Test
  void writesSurviveKill9OfAStorageNode() throws Exception {
    assumeTrue(TestTrees.fuseAvailable(), "needs root, /dev/fuse and libfuse2 (CI has them)");
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));
    byte[] expected = TestTrees.bytes(new Random(5), 160 * MIB);
    String sn1Port = String.valueOf(freePort());

    DvsProcess sn0 = null;
    DvsProcess sn1 = null;
    try (DvsProcess ms = DvsProcess.start("meta", "start", "--data", tmp + "/ms", "--port", "0")) {
      String meta = metaAddress(ms);
      sn0 = startNode(meta, "sn0", "0");
      sn1 = startNode(meta, "sn1", sn1Port);
      try (DvsProcess mount = DvsProcess.start("mount", "--meta", meta, mnt.toString())) {
        mount.await("mounted at", START_TIMEOUT_MS);
        awaitNodesUp(meta, 2);
        try (FileChannel f = FileChannel.open(mnt.resolve("f.bin"), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE)) {
          int at = write(f, expected, 0, 48 * MIB);
          sn1.kill(); // acknowledged, not yet FLUSHed: in the SN's memory only
          at = write(f, expected, at, 32 * MIB); // while it is down
          sn1 = startNode(meta, "sn1", sn1Port);
          at = write(f, expected, at, 48 * MIB);
          f.force(true);

          sn1.kill();
          sn1 = startNode(meta, "sn1", "0"); // back on another port
          at = write(f, expected, at, expected.length - at);
          f.force(true);

          // Random 4 KiB overwrites go over the SNs' blocks in place: kill one while some of
          // them are durable, some wait in its memory for the commit after their REWRITE record.
          Random random = new Random(6);
          overwrite(f, expected, random, 3000);
          f.force(true);
          overwrite(f, expected, random, 3000);
          sn1.kill();
          sn1 = startNode(meta, "sn1", "0");
          overwrite(f, expected, random, 3000);
          f.force(true);
        }
        assertEquals(0, mount.terminate(), "clean unmount: " + mount.output());
        assertTrue(mount.output().contains("all data is durable"), mount.output());
      }
      try (DvsProcess mount = DvsProcess.start("mount", "--meta", meta, mnt.toString())) {
        mount.await("mounted at", START_TIMEOUT_MS);
        byte[] actual = Files.readAllBytes(mnt.resolve("f.bin"));
        assertEquals(expected.length, actual.length);
        assertEquals(-1, Arrays.mismatch(expected, actual),
            "the first byte that differs after two SN crashes");
        assertEquals(0, mount.terminate());
      }
    } finally {
      for (DvsProcess sn : new DvsProcess[] {sn1, sn0}) {
        if (sn != null) {
          sn.close();
        }
      }
    }
  }

  private static int write(FileChannel f, byte[] data, int from, int length) throws Exception {
    ByteBuffer b = ByteBuffer.wrap(data, from, length);
    while (b.hasRemaining()) {
      f.write(b, b.position());
    }
    return from + length;
  }

  /** {@code count} 4 KiB writes of new random bytes at random block offsets, also into data. */
  private static void overwrite(FileChannel f, byte[] data, Random random, int count)
      throws Exception {
    byte[] block = new byte[4096];
    for (int i = 0; i < count; i++) {
      int at = random.nextInt(data.length / block.length) * block.length;
      random.nextBytes(block);
      System.arraycopy(block, 0, data, at, block.length);
      write(f, data, at, block.length);
    }
  }

  private DvsProcess startNode(String meta, String name, String port) throws Exception {
    DvsProcess sn = DvsProcess.start("node", "start", "--data", tmp + "/" + name, "--meta", meta,
        "--port", port, "--device-size", "4G");
    sn.await("listening on", START_TIMEOUT_MS);
    return sn;
  }

  private static String metaAddress(DvsProcess ms) throws InterruptedException {
    return ms.await("listening on (\\S+)", START_TIMEOUT_MS);
  }

  private static void awaitNodesUp(String meta, int count) throws Exception {
    TestTrees.await(count + " storage nodes up", START_TIMEOUT_MS, () -> {
      try {
        DvsProcess status = DvsProcess.run("status", "--meta", meta);
        return status.output().split(" up ", -1).length - 1 >= count;
      } catch (Exception e) {
        return false;
      }
    });
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
