package io.dvs.tools.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Checks, before anything starts, that this machine can mount FUSE filesystems. */
final class FuseSupport {
  static final String INSTALL_HINT = "apt-get install -y fuse3 libfuse2";

  private static final String[] LIBFUSE2_PATHS = {
      "/usr/lib/x86_64-linux-gnu/libfuse.so.2", "/lib/x86_64-linux-gnu/libfuse.so.2",
      "/usr/lib/aarch64-linux-gnu/libfuse.so.2", "/lib/aarch64-linux-gnu/libfuse.so.2",
      "/usr/lib64/libfuse.so.2", "/usr/lib/libfuse.so.2", "/lib64/libfuse.so.2"};

  private FuseSupport() {}

  static void check() {
    if (!Files.exists(Path.of("/dev/fuse"))) {
      throw new UserException("/dev/fuse is missing: load the fuse module (modprobe fuse) "
          + "and install FUSE: " + INSTALL_HINT);
    }
    boolean libfuse = false;
    for (String p : LIBFUSE2_PATHS) {
      libfuse |= Files.exists(Path.of(p));
    }
    if (!libfuse) {
      throw new UserException("libfuse2 is not installed; install it with: " + INSTALL_HINT);
    }
    if (!onPath("fusermount") && !onPath("fusermount3")) {
      throw new UserException("fusermount is not installed; install it with: " + INSTALL_HINT);
    }
  }

  private static boolean onPath(String program) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(":")) {
      if (Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }
}
