package io.dvs.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The round trip with every role in its own process, started as an operator would:
 * `dvs meta start`, `dvs node start`, `dvs mount --meta`; then every process is stopped,
 * restarted, and the tree compared byte for byte.
 */
class MultiProcessClusterIT {
  static final long START_TIMEOUT_MS = 60_000;

  @TempDir Path tmp;

  @Test
  void treeSurvivesARestartOfEveryProcess() throws Exception {
    assumeTrue(TestTrees.fuseAvailable(), "needs root, /dev/fuse and libfuse2 (CI has them)");
    Path src = tmp.resolve("src");
    TestTrees.build(src, 1500, 7);
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));

    try (DvsProcess ms = DvsProcess.start("meta", "start", "--data", tmp + "/ms", "--port", "0")) {
      String meta = metaAddress(ms);
      DvsProcess sn = startNode(meta);
      try (DvsProcess mount = DvsProcess.start("mount", "--meta", meta, mnt.toString())) {
        mount.await("mounted at", START_TIMEOUT_MS);
        assertEquals(0, TestTrees.run(tmp, "cp", "-a", src + "/.", mnt.toString()));
        assertEquals(0, mount.terminate(), "SIGTERM unmounts cleanly");
        assertTrue(mount.output().contains("all data is durable"), mount.output());
      }
      DvsProcess status = DvsProcess.run("status", "--meta", meta);
      assertEquals(0, status.exitCode(), status.output());
      assertTrue(status.output().contains(" up "), status.output());
      assertEquals(0, sn.terminate());
      assertEquals(0, ms.terminate());
    }

    try (DvsProcess ms = DvsProcess.start("meta", "start", "--data", tmp + "/ms", "--port", "0")) {
      String meta = metaAddress(ms);
      try (DvsProcess sn = startNode(meta);
          DvsProcess mount = DvsProcess.start("mount", "--meta", meta, mnt.toString())) {
        mount.await("mounted at", START_TIMEOUT_MS);
        TestTrees.assertSameTree(src, mnt);
        assertEquals(0, mount.terminate());
      }
    }
  }

  private DvsProcess startNode(String meta) throws Exception {
    DvsProcess sn = DvsProcess.start("node", "start", "--data", tmp + "/sn0", "--meta", meta,
        "--device-size", "4G");
    sn.await("listening on", START_TIMEOUT_MS);
    return sn;
  }

  private static String metaAddress(DvsProcess ms) throws InterruptedException {
    return ms.await("listening on (\\S+)", START_TIMEOUT_MS);
  }
}
