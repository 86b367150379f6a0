package io.dvs.node;

import com.google.common.base.Preconditions;
import io.dvs.node.dedup.DedupEngine;
import io.dvs.node.dedup.Fingerprinters;
import io.dvs.node.server.BlockRequestHandler;
import io.dvs.node.server.Registrar;
import io.dvs.node.store.DataDirectory;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.message.NodeStats;
import io.dvs.protocol.rpc.RpcServer;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A running storage node (SN): its data directory, the dedup engine, the block server, the
 * group committer and, if an MS is configured, the registrar. Start with {@link #start}; stop
 * with {@link #close} (flushes first). Usable from code: the CLI and the embedded cluster
 * live in {@code tools/}.
 */
public final class StorageNode implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(StorageNode.class.getName());

  /** Group commit: acknowledged writes are durable within about this long even without FLUSH. */
  public static final long COMMIT_INTERVAL_MS = 1_000;

  /**
   * RPC handler threads. Handlers block on disk I/O and on the metadata lock; a few per core
   * keep the device busy without thrashing the lock.
   */
  static final int HANDLER_THREADS = 8;

  private final DataDirectory dir;
  private final DedupEngine engine;
  private final String nodeUuid;
  private final RpcServer server;
  private final ScheduledExecutorService committer;
  private final Registrar registrar;
  private boolean closed; // guarded by this

  private StorageNode(DataDirectory dir, DedupEngine engine, String nodeUuid, RpcServer server,
      ScheduledExecutorService committer, Registrar registrar) {
    this.dir = dir;
    this.engine = engine;
    this.nodeUuid = nodeUuid;
    this.server = server;
    this.committer = committer;
    this.registrar = registrar;
  }

  /**
   * Opens (or formats) the data directory, starts serving and, if configured, registering.
   * Start-up problems are a DvsException whose one-line message says what is wrong and what to
   * do; nothing is left running or locked after one.
   */
  public static StorageNode start(StorageNodeConfig config) {
    Preconditions.checkNotNull(config, "config");
    DataDirectory dir = DataDirectory.openOrFormat(config.dataDir(),
        config.newDeviceCapacityBlocks(), config.fingerprintAlgorithm(),
        config.verifyOnMatchOrDefault());
    DedupEngine engine;
    try {
      String algorithm = dir.superblock().fingerprintAlgorithm();
      engine = DedupEngine.open(dir.meta(), dir.device(), Fingerprinters.forName(algorithm),
          dir.superblock().verifyOnMatch());
      dir.device().onFailure(engine::retire);
    } catch (IllegalArgumentException e) { // unknown algorithm named in the superblock
      dir.close();
      throw new DvsException(ErrorCode.IO_ERROR, "superblock in " + config.dataDir()
          + " names an unusable fingerprint algorithm: " + e.getMessage()
          + "; refusing to start", e);
    } catch (RuntimeException e) {
      dir.close();
      throw e;
    }
    RpcServer server;
    try {
      server = RpcServer.start("storage node", new InetSocketAddress(config.bindHost(),
          config.port()), new BlockRequestHandler(engine, (plugin, path, blocks) ->
              addDevice(dir, engine, plugin, path, blocks)), HANDLER_THREADS);
    } catch (RuntimeException e) {
      engine.close();
      throw e;
    }
    ScheduledExecutorService committer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sn-group-commit");
      t.setDaemon(true);
      return t;
    });
    committer.scheduleWithFixedDelay(() -> groupCommit(engine), COMMIT_INTERVAL_MS,
        COMMIT_INTERVAL_MS, TimeUnit.MILLISECONDS);
    String uuid = dir.superblock().nodeUuid().toString();
    Registrar registrar = config.metaAddress() == null ? null
        : Registrar.start(config.metaAddress(), uuid, config.advertisedHost(),
            server.address().getPort(), engine::stats);
    LOG.fine(() -> "storage node " + uuid + " serving on " + server.address());
    return new StorageNode(dir, engine, uuid, server, committer, registrar);
  }

  /**
   * Algorithm 4 of paper 1 while clients keep writing: the device is created or opened and
   * recorded in the superblock first, then the engine's free-space map grows; the next
   * heartbeat reports the larger capacity to the MS (SNS and SNMM update).
   *
   * @param path null for a new sparse file in the data directory (plugin "file"), else an
   *     absolute block device path (plugins "disk", "ssd")
   * @return the node's new capacity in blocks
   */
  public long addDevice(String plugin, String path, long capacityBlocks) {
    return addDevice(dir, engine, plugin, path, capacityBlocks);
  }

  private static long addDevice(DataDirectory dir, DedupEngine engine, String plugin,
      String path, long capacityBlocks) {
    try {
      // One add at a time, device then free-space map: two concurrent adds could grow the
      // engine out of order and refuse a device that was in fact added.
      synchronized (dir) {
        long capacity = dir.addDevice(plugin, path, capacityBlocks);
        engine.grow(capacity);
        return capacity;
      }
    } catch (IllegalArgumentException e) {
      throw DvsException.badRequest("add device: " + e.getMessage());
    } catch (java.io.IOException e) {
      throw new DvsException(ErrorCode.IO_ERROR, "add device " + (path == null ? "" : path)
          + " (" + plugin + "): " + e, e);
    }
  }

  /** Devices that failed since start (the node stopped using them). */
  public java.util.List<String> failedDevices() {
    return dir.device().failedDevices();
  }

  private static void groupCommit(DedupEngine engine) {
    try {
      engine.commitIfDirty();
    } catch (DvsException e) {
      LOG.log(Level.FINE, "group commit failed: " + e.getMessage(), e);
    } catch (RuntimeException e) { // keep the schedule alive; the engine reports its state
      LOG.log(Level.WARNING, "group commit failed", e);
    }
  }

  /** The address the block server listens on (the real port when configured with 0). */
  /** Clients in this JVM (the embedded cluster's mount) call the node without a socket. */
  public StorageNode acceptCallsFromThisJvm() {
    server.acceptCallsFromThisJvm();
    return this;
  }

  public InetSocketAddress address() {
    return server.address();
  }

  public NodeStats stats() {
    return engine.stats();
  }

  /** The snId the MS gave this node, or -1 until registered (always -1 without an MS). */
  public int snId() {
    return registrar == null ? -1 : registrar.snId();
  }

  /** The node's identity, made when its data directory was formatted. */
  public String nodeUuid() {
    return nodeUuid;
  }

  /** Makes every acknowledged write durable, like a FLUSH request. */
  public void flush() {
    engine.commit();
  }

  /** Stops registering and serving, flushes, and closes the stores. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      if (registrar != null) {
        registrar.close();
      }
      server.close();
      committer.shutdownNow();
      try {
        committer.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } finally {
      engine.close();
    }
  }

  /** For tests in this module: the engine under the server. */
  DedupEngine engine() {
    return engine;
  }
}
