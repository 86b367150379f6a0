package io.dvs.meta;

import com.google.common.base.Preconditions;
import io.dvs.meta.server.MetadataRequestHandler;
import io.dvs.meta.snmm.PaReleaser;
import io.dvs.meta.snmm.Snmm;
import io.dvs.meta.store.MetaStore;
import io.dvs.meta.volume.LeaseReaper;
import io.dvs.meta.volume.VolumeService;
import io.dvs.protocol.rpc.RpcServer;
import java.net.InetSocketAddress;
import java.util.logging.Logger;

/**
 * One metadata server (MS) of the MSG: the SNMM, every volume's metadata (SSRDS: namespace and
 * LPT), WDACG allocation and journal apply, served over {@link RpcServer}. Start with
 * {@link #start(MetadataServerConfig)}; {@link #close()} stops it.
 *
 * <p>Lifecycle: open the store (refusing a corrupt one), load the SNMM, start the PA releaser
 * and the lease reaper, listen. Close in the reverse order, so no request runs against a
 * closed store.
 */
public final class MetadataServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(MetadataServer.class.getName());

  /**
   * Handler threads. Changes serialize on the store's write lock, so more threads only help
   * reads and overlap of network with disk; four is plenty on the 2-core machines we target.
   */
  static final int HANDLER_THREADS = 4;

  private final MetaStore store;
  private final PaReleaser releaser;
  private final LeaseReaper reaper;
  private final RpcServer rpcServer;
  private boolean closed;

  private final VolumeService volumes;

  private MetadataServer(MetaStore store, VolumeService volumes, PaReleaser releaser,
      LeaseReaper reaper, RpcServer rpcServer) {
    this.store = store;
    this.volumes = volumes;
    this.releaser = releaser;
    this.reaper = reaper;
    this.rpcServer = rpcServer;
  }

  /**
   * Opens {@code config.dataDir()} and serves. Fails with a DvsException whose one-line
   * message says what is wrong and what to do (unwritable data dir, corrupt store, port in use).
   */
  public static MetadataServer start(MetadataServerConfig config) {
    return start(config, MetaClock.SYSTEM);
  }

  /** As {@link #start(MetadataServerConfig)}, with a clock tests can drive. */
  static MetadataServer start(MetadataServerConfig config, MetaClock clock) {
    Preconditions.checkNotNull(config, "config");
    MetaStore store = MetaStore.open(config.dataDir());
    PaReleaser releaser = null;
    LeaseReaper reaper = null;
    try {
      Snmm snmm = new Snmm(store, clock, config.nodeDownAfterMs());
      VolumeService volumes = new VolumeService(store, snmm, clock, config.leaseTimeoutMs());
      releaser = new PaReleaser(store, snmm, clock);
      RpcServer rpcServer = RpcServer.start("ms",
          new InetSocketAddress(config.bindHost(), config.port()),
          new MetadataRequestHandler(snmm, volumes), HANDLER_THREADS);
      releaser.start();
      reaper = new LeaseReaper(volumes);
      reaper.start();
      MetadataServer server = new MetadataServer(store, volumes, releaser, reaper, rpcServer);
      LOG.info("metadata server listening on " + server.address() + ", store " + store.file());
      return server;
    } catch (RuntimeException | Error e) {
      if (reaper != null) {
        reaper.close();
      }
      if (releaser != null) {
        releaser.close();
      }
      store.close();
      throw e;
    }
  }

  /** Clients in this JVM (the embedded cluster's mount) call the MS without a socket. */
  public MetadataServer acceptCallsFromThisJvm() {
    rpcServer.acceptCallsFromThisJvm();
    return this;
  }

  /** See {@link VolumeService#endLeasesOfEarlierRuns}: for an MS private to one process. */
  public int endLeasesOfEarlierRuns() {
    return volumes.endLeasesOfEarlierRuns();
  }

  public InetSocketAddress address() {
    return rpcServer.address();
  }

  /** Idempotent. Every acknowledged change is already committed; this closes the store. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    rpcServer.close();
    reaper.close();
    releaser.close();
    store.close();
    LOG.info("metadata server stopped");
  }
}
