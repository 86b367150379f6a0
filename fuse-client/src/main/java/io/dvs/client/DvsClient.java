package io.dvs.client;

import io.dvs.client.data.BlockPlacement;
import io.dvs.client.data.FileData;
import io.dvs.client.fs.DvsFilesystem;
import io.dvs.client.meta.MetadataJournal;
import io.dvs.client.meta.Namespace;
import io.dvs.client.net.MetaClient;
import io.dvs.client.net.Retry;
import io.dvs.client.net.StorageClients;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.MetadataOps;
import io.dvs.protocol.message.NodeOps;
import io.dvs.protocol.message.VolumeOps;
import io.dvs.protocol.message.Wdacg;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One mounted volume's client: holds the lease, the namespace, the file data path and the
 * journal, and ships metadata in the background (at least every {@link #SHIP_INTERVAL_MS}).
 * {@link FuseMount} puts a {@link DvsFilesystem} over it in the kernel.
 *
 * <p>Lifecycle: {@link #open} (mount the volume at the MS, take its lease) → serve →
 * {@link #close} (ship every pending change, FLUSH the SNs, give the lease back).
 */
public final class DvsClient implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(DvsClient.class.getName());

  /** The async group update's deadline: without fsync, at most ~1 s of work is at risk. */
  public static final long SHIP_INTERVAL_MS = 1_000;
  /** How often the SNs that take new blocks are looked up again (joins, downs, full ones). */
  static final long PLACEMENT_REFRESH_MS = 5_000;

  /**
   * How long a WDACG request waits out an MS restart. NODE_DOWN is retried too: right after an
   * MS restart every SN counts as down until its next heartbeat (1 s). A minute covers a
   * restart; a cluster with no SN at all fails the write with EIO after it.
   */
  static final long WDACG_WAIT_MS_MAX = 60_000;

  /** Metadata loads (lookup, readdir, open) wait out an MS restart this long, then EIO. */
  static final long LOAD_WAIT_MS_MAX = Retry.TOTAL_WAIT_MS_DEFAULT;

  private final MetaClient meta;
  private final StorageClients storage;
  private final VolumeOps.Mounted mounted;
  private final MetadataJournal journal;
  private final Namespace namespace;
  private final FileData data;
  private final ScheduledExecutorService background;
  private boolean closed;

  private DvsClient(MetaClient meta, VolumeOps.Mounted mounted) {
    this.meta = meta;
    this.mounted = mounted;
    this.storage = new StorageClients(meta);
    long volumeId = mounted.volume().volumeId();
    long epoch = mounted.epoch();
    LongSupplier nowNs = DvsClient::nowNs;
    Retry loads = Retry.transientErrors().withTotalWaitMs(LOAD_WAIT_MS_MAX);
    Retry wdacgs = Retry.transientErrors().alsoOn(ErrorCode.NODE_DOWN)
        .withTotalWaitMs(WDACG_WAIT_MS_MAX);
    this.journal = new MetadataJournal(meta, storage, volumeId, epoch, mounted.lastAppliedSeq());
    this.namespace = new Namespace(new Namespace.MetadataSource() {
      @Override
      public MetadataOps.StoredInode getInode(long ino) {
        return loads.call("load inode " + ino, () -> meta.getInode(volumeId, epoch, ino));
      }

      @Override
      public MetadataOps.DirPage listDir(long dirIno, String afterName, int maxEntries) {
        return loads.call("list directory " + dirIno,
            () -> meta.listDir(volumeId, epoch, dirIno, afterName, maxEntries));
      }

      @Override
      public io.dvs.protocol.message.Xattrs getXattrs(long ino) {
        return loads.call("load xattrs of " + ino, () -> meta.getXattrs(volumeId, epoch, ino));
      }
    }, journal, mounted.nextIno(), nowNs);
    this.background = Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "dvs-client-background");
      t.setDaemon(true);
      return t;
    });
    Retry onSn = Retry.transientErrors().withTotalWaitMs(WDACG_WAIT_MS_MAX);
    BlockPlacement placement = new BlockPlacement(new BlockPlacement.Cluster() {
      @Override
      public List<NodeOps.NodeInfo> nodes() {
        return meta.listNodes();
      }

      @Override
      public Wdacg allocate(int snId, int count) {
        // Any SN: wait out a cluster with none up. One SN: refuse fast, placement goes on.
        return (snId == Wdacg.Alloc.ANY_SN ? wdacgs : onSn).call("WDACG request",
            () -> meta.allocWdacg(volumeId, epoch, count, snId));
      }
    }, background, System::currentTimeMillis);
    placement.refresh();
    this.data = new FileData(storage, placement, journal, namespace,
        (ino, from, max) -> loads.call("load block map of inode " + ino,
            () -> meta.getLpt(volumeId, epoch, ino, from, max)), nowNs,
        mounted.volume().sizeBytes());
    background.scheduleWithFixedDelay(this::shipQuietly, SHIP_INTERVAL_MS, SHIP_INTERVAL_MS,
        TimeUnit.MILLISECONDS);
    background.scheduleWithFixedDelay(placement::refresh, PLACEMENT_REFRESH_MS,
        PLACEMENT_REFRESH_MS, TimeUnit.MILLISECONDS);
    long renewMs = Math.max(100, mounted.leaseTimeoutMs() / 3);
    background.scheduleWithFixedDelay(this::renewQuietly, renewMs, renewMs,
        TimeUnit.MILLISECONDS);
  }

  /**
   * Mounts {@code volume} at the MS (creating it if asked) and takes its read-write lease.
   * Fails with a DvsException naming what is wrong: MS unreachable, lease held elsewhere, ...
   */
  public static DvsClient open(InetSocketAddress metaAddress, String volume, String clientId,
      boolean createIfMissing) {
    MetaClient meta = new MetaClient(metaAddress);
    try {
      return new DvsClient(meta, meta.mount(volume, clientId, createIfMissing));
    } catch (RuntimeException e) {
      meta.close();
      throw e;
    }
  }

  /** The filesystem to hand to FUSE. */
  public DvsFilesystem filesystem() {
    long mappedAtMount = mounted.volume().mappedBlocks();
    return new DvsFilesystem(namespace, data, journal, mounted.volume().sizeBytes(),
        () -> mappedAtMount + data.mappedDelta(), DvsClient::nowNs);
  }

  public Namespace namespace() {
    return namespace;
  }

  public FileData data() {
    return data;
  }

  public VolumeOps.Mounted mounted() {
    return mounted;
  }

  /** Makes everything done so far durable (what fsync and unmount promise). */
  public void sync() {
    journal.ship();
  }

  private void shipQuietly() {
    try {
      journal.ship();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "metadata update not shipped yet: " + e.getMessage());
    }
  }

  private void renewQuietly() {
    try {
      meta.renewLease(mounted.volume().volumeId(), mounted.epoch());
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "lease renewal failed: " + e.getMessage());
    }
  }

  static long nowNs() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  /**
   * Ships everything, gives the lease back and closes the connections. Giving the lease back
   * also returns the PAs of this mount's WDACGs that no LPT row uses: the MS releases them.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    background.shutdown();
    try {
      background.awaitTermination(30, TimeUnit.SECONDS);
      journal.ship();
      Retry.transientErrors().run("unmount", () ->
          meta.unmount(mounted.volume().volumeId(), mounted.epoch()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DvsException(ErrorCode.UNAVAILABLE, "interrupted while unmounting");
    } finally {
      storage.close();
      meta.close();
    }
  }
}
