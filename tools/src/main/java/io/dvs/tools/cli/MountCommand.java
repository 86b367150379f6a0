package io.dvs.tools.cli;

import io.dvs.client.DvsClient;
import io.dvs.client.FuseMount;
import io.dvs.client.fs.DvsFilesystem;
import io.dvs.tools.cluster.EmbeddedCluster;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code dvs mount MOUNTPOINT}: mounts a volume. With no --meta it starts an embedded cluster
 * (one MS, one SN on a file device under the data directory) in this process. Runs in the
 * foreground until unmounted: Ctrl-C, SIGTERM or {@code fusermount -u MOUNTPOINT} unmount
 * cleanly, after every change has been made durable.
 */
@Command(name = "mount", mixinStandardHelpOptions = true,
    description = "Mount a dvs volume (an embedded cluster unless --meta is given).",
    footer = {"", "Examples:", "  dvs mount /mnt/dvs",
        "  dvs mount --meta 127.0.0.1:7100 --volume photos /mnt/photos"})
public final class MountCommand implements Callable<Integer> {
  /** Physical capacity of the embedded SN's file device (sparse: costs only what is written). */
  static final String EMBEDDED_DEVICE_SIZE_DEFAULT = "64G";
  /** How long shutdown waits for the final flush before the JVM exits anyway. */
  static final long SHUTDOWN_FLUSH_MS_MAX = 120_000;

  @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "An empty directory.")
  Path mountPoint;

  @Option(names = "--meta", paramLabel = "HOST:PORT",
      description = "The metadata server of a running cluster; none: start an embedded one.")
  String meta;

  @Option(names = "--volume", defaultValue = "default", description = "Volume name (default: ${DEFAULT-VALUE}); created if missing.")
  String volume;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Embedded cluster's data directory (default: ~/.local/share/dvs).")
  Path data;

  @Option(names = "--device-size", paramLabel = "SIZE", defaultValue = EMBEDDED_DEVICE_SIZE_DEFAULT,
      description = "Capacity of a new embedded storage device (default: ${DEFAULT-VALUE}).")
  String deviceSize;

  @Option(names = "-o", paramLabel = "OPTION", split = ",",
      description = "Extra FUSE mount options.")
  List<String> fuseOptions = new ArrayList<>();

  @Option(names = "--verbose", description = "Log what happens, with stack traces.")
  boolean verbose;

  @Override
  public Integer call() {
    Path mp = mountPoint.toAbsolutePath().normalize();
    checkMountPoint(mp);
    InetSocketAddress metaAddress = meta == null ? null : Args.hostPort(meta);
    Path dataDir = meta == null ? Args.writableDir(
        data == null ? Args.defaultDataDir() : data, "data directory") : null;
    long deviceBytes = Args.size(deviceSize);
    FuseSupport.check();

    EmbeddedCluster cluster = metaAddress == null ? EmbeddedCluster.start(dataDir, deviceBytes) : null;
    DvsClient client = null;
    try {
      InetSocketAddress ms = cluster != null ? cluster.metaAddress() : metaAddress;
      EmbeddedCluster.awaitNodeUp(ms); // A write needs a WDACG, and a WDACG needs an SN.
      client = DvsClient.open(ms, volume, clientId(), true);
      DvsFilesystem fs = client.filesystem();
      FuseMount mount = FuseMount.mount(fs, mp, fuseOptions);
      CountDownLatch closed = new CountDownLatch(1);
      AtomicInteger exitCode = new AtomicInteger(ErrorReporter.EXIT_FAILED);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        if (mount.isMounted()) { // Not after an unmount from outside (fusermount -u).
          System.out.println("dvs: stopping: unmounting " + mp + " and flushing");
          try {
            mount.unmount();
          } catch (RuntimeException e) {
            System.err.println("dvs: " + ErrorReporter.describe(e));
          }
        }
        // A signal ended us: once the main thread has finished (made everything durable, or
        // said why not), exit with its code; the JVM would report 143 for SIGTERM otherwise.
        if (awaitQuietly(closed)) {
          Runtime.getRuntime().halt(exitCode.get());
        }
      }, "dvs-shutdown"));
      System.out.println("dvs: volume '" + volume + "' mounted at " + mp
          + (cluster != null ? " (embedded cluster in " + dataDir + ")" : " (cluster " + meta + ")")
          + "; Ctrl-C or 'fusermount -u " + mp + "' unmounts");
      System.out.flush();
      mount.awaitUnmounted();
      try {
        client.close();
        client = null;
        if (cluster != null) {
          cluster.close();
          cluster = null;
        }
        System.out.println("dvs: unmounted " + mp + "; all data is durable");
        exitCode.set(0);
      } catch (RuntimeException e) {
        System.err.println("dvs: unmounted " + mp + ", but the last changes may not be durable: "
            + ErrorReporter.describe(e));
      } finally {
        System.out.flush();
        System.err.flush();
        closed.countDown();
      }
      return exitCode.get();
    } finally {
      if (client != null) {
        closeQuietly(client);
      }
      if (cluster != null) {
        closeQuietly(cluster);
      }
    }
  }

  private static void checkMountPoint(Path mp) {
    if (!Files.isDirectory(mp)) {
      throw new UserException("mount point " + mp + " does not exist or is not a directory; "
          + "create it first: mkdir -p " + mp);
    }
    try (var entries = Files.list(mp)) {
      if (entries.findAny().isPresent()) {
        throw new UserException("mount point " + mp + " is not empty (is something mounted "
            + "there already?); choose an empty directory");
      }
    } catch (java.io.IOException e) {
      throw new UserException("cannot read mount point " + mp + ": " + e.getMessage());
    }
  }

  private static String clientId() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "localhost";
    }
    return host + "/" + ProcessHandle.current().pid() + "/" + UUID.randomUUID();
  }

  /** Returns true if the latch opened in time. */
  private static boolean awaitQuietly(CountDownLatch latch) {
    try {
      return latch.await(SHUTDOWN_FLUSH_MS_MAX, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      System.err.println("dvs: while cleaning up: " + e.getMessage());
    }
  }

}
