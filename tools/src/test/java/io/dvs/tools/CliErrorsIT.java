package io.dvs.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's mistakes: each gets one line saying what was wrong and what to do, a non-zero exit
 * code, no stack trace, and nothing left mounted or half-written.
 */
class CliErrorsIT {
  @TempDir Path tmp;

  private static void assertCleanFailure(DvsProcess p, int exitCode, String expected)
      throws InterruptedException {
    String out = p.output();
    assertEquals(exitCode, p.exitCode(), out);
    assertTrue(out.contains(expected), "expected '" + expected + "' in: " + out);
    assertFalse(out.contains("\tat "), "no stack trace: " + out);
    assertFalse(out.contains("Exception"), "no exception names: " + out);
  }

  private static boolean mounted(Path mp) throws Exception {
    return Files.readAllLines(Path.of("/proc/mounts")).stream()
        .anyMatch(l -> l.contains(" " + mp.toAbsolutePath() + " "));
  }

  @Test
  void mountOnAMissingDirectory() throws Exception {
    Path missing = tmp.resolve("nope");
    DvsProcess p = DvsProcess.run("mount", "--data", tmp + "/data", missing.toString());
    assertCleanFailure(p, 1, "mkdir -p " + missing);
    assertFalse(Files.exists(tmp.resolve("data")), "nothing created before the check");
  }

  @Test
  void mountOnANonEmptyDirectory() throws Exception {
    Path mp = Files.createDirectories(tmp.resolve("mp"));
    Files.writeString(mp.resolve("x"), "x");
    DvsProcess p = DvsProcess.run("mount", "--data", tmp + "/data", mp.toString());
    assertCleanFailure(p, 1, "is not empty");
    assertFalse(mounted(mp));
  }

  @Test
  void mountFromAnUnreachableServer() throws Exception {
    Path mp = Files.createDirectories(tmp.resolve("mp"));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // Free once closed: nothing listens there.
    }
    DvsProcess p = DvsProcess.run("mount", "--meta", "127.0.0.1:" + port, mp.toString());
    assertCleanFailure(p, 1, "cannot reach metadata server at 127.0.0.1:" + port);
    assertFalse(mounted(mp));
  }

  @Test
  void dataDirectoryThatCannotBeCreated() throws Exception {
    assumeTrue(TestTrees.fuseAvailable(), "the mount checks FUSE before the data directory");
    Path mp = Files.createDirectories(tmp.resolve("mp"));
    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    DvsProcess p = DvsProcess.run("mount", "--data", file + "/data", mp.toString());
    assertCleanFailure(p, 1, "choose another with --data");
    assertFalse(mounted(mp));
  }

  @Test
  void portInUse() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50,
        java.net.InetAddress.getByName("127.0.0.1"))) {
      DvsProcess p = DvsProcess.run("meta", "start", "--data", tmp + "/ms", "--port",
          String.valueOf(taken.getLocalPort()));
      assertCleanFailure(p, 1, "cannot listen on 127.0.0.1:" + taken.getLocalPort());
    }
  }

  @Test
  void badArgumentsExitWithUsage() throws Exception {
    assertCleanFailure(DvsProcess.run("mount"), 2, "Missing required parameter");
    assertCleanFailure(DvsProcess.run("node", "start", "--data", tmp.toString(), "--meta",
        "no-port-here"), 1, "is not HOST:PORT");
    assertCleanFailure(DvsProcess.run("frobnicate"), 2, "Unmatched argument");
    assertCleanFailure(DvsProcess.run("meta", "start", "--data", tmp + "/ms", "--port", "99999"),
        1, "from 0 to 65535");
  }
}
