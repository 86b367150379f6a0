package io.dvs.tools.cli;

import java.util.concurrent.CountDownLatch;

/** Runs a server in the foreground until SIGTERM or Ctrl-C, then closes it cleanly. */
final class Foreground {
  private Foreground() {}

  static int serve(AutoCloseable server, String banner) {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      int code = 0;
      try {
        server.close();
        System.out.println("dvs: stopped cleanly");
      } catch (Exception e) {
        System.err.println("dvs: while stopping: " + e.getMessage());
        code = 1;
      } finally {
        stopped.countDown();
      }
      System.out.flush();
      Runtime.getRuntime().halt(code); // A clean stop on SIGTERM exits 0, not 143.
    }, "dvs-shutdown"));
    System.out.println(banner);
    System.out.flush();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
