package io.dvs.meta.volume;

import io.dvs.meta.MetaClock;
import io.dvs.meta.snmm.Snmm;
import io.dvs.meta.snmm.WdacgAllocator;
import io.dvs.meta.store.MetaStore;
import io.dvs.meta.store.PaRanges;
import io.dvs.meta.store.PaTable;
import io.dvs.meta.store.VolumeRecord;
import io.dvs.meta.store.VolumeStore;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.FsNames;
import io.dvs.protocol.ProtocolLimits;
import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.JournalGroup;
import io.dvs.protocol.message.MetadataOps.DirEntry;
import io.dvs.protocol.message.MetadataOps.DirPage;
import io.dvs.protocol.message.MetadataOps.GetInode;
import io.dvs.protocol.message.MetadataOps.GetLpt;
import io.dvs.protocol.message.MetadataOps.ListDir;
import io.dvs.protocol.message.LptExtent;
import io.dvs.protocol.message.MetadataOps;
import io.dvs.protocol.message.MetadataOps.LptPage;
import io.dvs.protocol.message.VolumeOps;
import io.dvs.protocol.message.VolumeOps.LeaseRef;
import io.dvs.protocol.message.VolumeOps.Mounted;
import io.dvs.protocol.message.VolumeOps.MountVolume;
import io.dvs.protocol.message.VolumeOps.VolumeInfo;
import io.dvs.protocol.message.VolumeStat;
import io.dvs.protocol.message.Wdacg;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Volumes (paper 1's SSRDS) as the clients see them: create, list, delete, mount with a
 * read-write lease, and every per-mount request (metadata reads, WDACGs, journal groups).
 * Each request is one {@link MetaStore} read or write transaction, so it is isolated from the
 * others and a change is durable before it is acknowledged.
 */
public final class VolumeService {
  private static final Logger LOG = Logger.getLogger(VolumeService.class.getName());

  /** Paper 1, 3.1: a volume is "infinite" (1 PiB) unless asked otherwise. */
  public static final long DEFAULT_VOLUME_SIZE_BYTES = 1L << 50;

  /** 1 EiB: block indexes stay far from overflow in every computation. */
  public static final long VOLUME_SIZE_BYTES_MAX = 1L << 60;

  /** Root directory: drwxr-xr-x, owned by root, like a fresh mkfs. */
  static final int ROOT_MODE = InodeAttrs.S_IFDIR | 0755;

  /** LIST_DIR stops adding entries past this many body bytes: half a frame leaves headroom. */
  static final int DIR_PAGE_BYTES_BUDGET = ProtocolLimits.FRAME_BYTES_MAX / 2;

  private final MetaStore store;
  private final VolumeStore volumes;
  private final Snmm snmm;
  private final WdacgAllocator allocator;
  private final MetaClock clock;
  private final LeaseTable leases;
  private final LeaseReclaimer reclaimer;
  private final int leaseTimeoutMs;

  public VolumeService(MetaStore store, Snmm snmm, MetaClock clock, long leaseTimeoutMs) {
    this.store = store;
    this.volumes = store.volumes();
    this.snmm = snmm;
    this.allocator = new WdacgAllocator(store, snmm);
    this.clock = clock;
    this.leases = new LeaseTable(clock, leaseTimeoutMs);
    this.reclaimer = new LeaseReclaimer(store);
    this.leaseTimeoutMs = (int) leaseTimeoutMs;
  }

  public VolumeInfo create(VolumeOps.CreateVolume request) {
    return store.write(() -> create(request.name(), request.sizeBytes()).info());
  }

  private VolumeRecord create(String name, long sizeBytes) {
    Names.checkVolumeName(name);
    long size = sizeBytes == 0 ? DEFAULT_VOLUME_SIZE_BYTES : sizeBytes;
    if (size % ProtocolLimits.BLOCK_SIZE_BYTES != 0 || size > VOLUME_SIZE_BYTES_MAX) {
      throw new DvsException(ErrorCode.INVALID_ARGUMENT, "volume size " + size + " bytes must be"
          + " a multiple of " + ProtocolLimits.BLOCK_SIZE_BYTES + " and at most "
          + VOLUME_SIZE_BYTES_MAX + " (0 means 1 PiB)");
    }
    if (volumes.volumeIdByName(name).isPresent()) {
      throw new DvsException(ErrorCode.ALREADY_EXISTS, "volume '" + name + "' already exists");
    }
    long now = clock.wallNanos();
    VolumeRecord volume = new VolumeRecord(volumes.newVolumeId(), name, size, 0,
        VolumeRecord.NO_HOLDER, InodeAttrs.ROOT_INO + 1, 0, 1, 0);
    volumes.putVolume(volume);
    volumes.putInode(volume.volumeId(),
        new InodeAttrs(InodeAttrs.ROOT_INO, ROOT_MODE, 2, 0, 0, 0, 0, now, now, now, ""));
    LOG.info("created volume '" + name + "' (id " + volume.volumeId() + ", " + size + " bytes)");
    return volume;
  }

  public List<VolumeInfo> list() {
    return store.read(() -> {
      List<VolumeInfo> infos = new ArrayList<>();
      volumes.volumes(VolumeOps.VOLUMES_MAX).forEach(v -> infos.add(v.info()));
      return infos;
    });
  }

  /** Refused while a live lease is held; releases every PA the volume maps. */
  public void delete(String name) {
    Names.checkVolumeName(name);
    store.write(() -> {
      VolumeRecord volume = byName(name);
      if (volume.isMounted() && !leases.expired(volume.volumeId())) {
        throw leaseHeld(volume);
      }
      PaRanges released = new PaRanges((snId, start, end) ->
          store.paSpace().queueRelease(snId, start, end - start));
      volumes.removeVolume(volume.volumeId(), x -> released.add(x.snId(), x.firstPa(), x.count()));
      released.flush();
      reclaimer.endLease(volume.volumeId());
      leases.forget(volume.volumeId());
      LOG.info("deleted volume '" + name + "' (id " + volume.volumeId() + ")");
      return null;
    });
  }

  public Mounted mount(MountVolume request) {
    Names.checkVolumeName(request.name());
    if (request.clientId().isEmpty()) {
      throw new DvsException(ErrorCode.INVALID_ARGUMENT, "MOUNT_VOLUME needs a client id");
    }
    return store.write(() -> {
      VolumeRecord volume;
      if (volumes.volumeIdByName(request.name()).isEmpty() && request.createIfMissing()) {
        volume = create(request.name(), 0);
      } else {
        volume = byName(request.name());
      }
      if (volume.isMounted() && !volume.leaseHolder().equals(request.clientId())
          && !leases.expired(volume.volumeId())) {
        throw leaseHeld(volume);
      }
      // A new epoch ends the old lease (expired, or this client's own earlier mount): PAs it
      // held unmapped are reclaimed before the new holder gets any.
      long reclaimed = reclaimer.endLease(volume.volumeId());
      if (reclaimed > 0) {
        LOG.info("volume '" + volume.name() + "': reclaimed " + reclaimed
            + " unmapped WDACG PAs of epoch " + volume.epoch());
      }
      VolumeRecord granted = volume.withLease(volume.epoch() + 1, request.clientId());
      volumes.putVolume(granted);
      leases.renew(granted.volumeId());
      LOG.info("volume '" + granted.name() + "' mounted by '" + request.clientId() + "' (epoch "
          + granted.epoch() + (volume.isMounted() ? ", took over from '"
          + volume.leaseHolder() + "'" : "") + ")");
      return new Mounted(granted.info(), granted.epoch(), granted.nextIno(),
          granted.lastAppliedSeq(), leaseTimeoutMs);
    });
  }

  public void unmount(LeaseRef request) {
    store.write(() -> {
      VolumeRecord volume = leased(request.volumeId(), request.epoch());
      // The client shipped its journal first: what it holds unmapped now, it returns.
      reclaimer.endLease(volume.volumeId());
      volumes.putVolume(volume.withLease(volume.epoch(), VolumeRecord.NO_HOLDER));
      leases.forget(volume.volumeId());
      return null;
    });
  }

  public void renew(LeaseRef request) {
    store.read(() -> leased(request.volumeId(), request.epoch()));
  }

  public MetadataOps.StoredInode getInode(GetInode request) {
    return store.read(() -> {
      leased(request.volumeId(), request.epoch());
      return stored(request.volumeId(), inode(request.volumeId(), request.ino()));
    });
  }

  /** The inode with its mapped block count (a walk of its LPT rows: one per MiB of file). */
  private MetadataOps.StoredInode stored(long volumeId, InodeAttrs attrs) {
    return new MetadataOps.StoredInode(attrs,
        attrs.isRegular() ? volumes.mappedBlocks(volumeId, attrs.ino()) : 0);
  }

  public DirPage listDir(ListDir request) {
    return store.read(() -> {
      leased(request.volumeId(), request.epoch());
      InodeAttrs dir = inode(request.volumeId(), request.dirIno());
      if (!dir.isDirectory()) {
        throw new DvsException(ErrorCode.INVALID_ARGUMENT,
            "inode " + request.dirIno() + " is not a directory");
      }
      byte[] after = FsNames.encode(request.afterName());
      List<VolumeStore.DirentRow> rows = volumes.dirents(request.volumeId(), request.dirIno(),
          after, request.maxEntries() + 1);
      List<DirEntry> entries = new ArrayList<>();
      int bytes = 0;
      for (VolumeStore.DirentRow row : rows) {
        if (entries.size() == request.maxEntries() || bytes > DIR_PAGE_BYTES_BUDGET) {
          return new DirPage(entries, true);
        }
        String name = FsNames.decode(row.name());
        var child = volumes.inode(request.volumeId(), row.childIno());
        if (child.isEmpty()) {
          // The client's journal left a dangling entry; listing the rest is more useful.
          LOG.warning("volume " + request.volumeId() + ": entry '" + name + "' of directory "
              + request.dirIno() + " names missing inode " + row.childIno());
          continue;
        }
        entries.add(new DirEntry(name, stored(request.volumeId(), child.get())));
        bytes += row.name().length + 100 + child.get().symlinkTarget().length() * 4;
      }
      return new DirPage(entries, false);
    });
  }

  /** GET_XATTRS: the inode's extended attributes, loaded by the client on first use. */
  public io.dvs.protocol.message.Xattrs getXattrs(GetInode request) {
    return store.read(() -> {
      leased(request.volumeId(), request.epoch());
      inode(request.volumeId(), request.ino());
      return volumes.xattrs(request.volumeId(), request.ino());
    });
  }

  public LptPage getLpt(GetLpt request) {
    return store.read(() -> {
      leased(request.volumeId(), request.epoch());
      inode(request.volumeId(), request.ino());
      List<LptExtent> rows = volumes.lptExtents(request.volumeId(), request.ino(),
          request.fromBlock(), request.maxEntries() + 1);
      boolean more = rows.size() > request.maxEntries();
      return new LptPage(more ? rows.subList(0, request.maxEntries()) : rows, more);
    });
  }

  public Wdacg allocWdacg(Wdacg.Alloc request) {
    return store.write(() -> {
      leased(request.volumeId(), request.epoch());
      Wdacg wdacg = allocator.allocate(request.count(), request.snId());
      reclaimer.leased(request.volumeId(), wdacg);
      return wdacg;
    });
  }

  /** JournalGroup's contract: retries are acknowledged, gaps refused, a group all or nothing. */
  public void applyJournal(JournalGroup group) {
    store.write(() -> {
      VolumeRecord volume = leased(group.volumeId(), group.epoch());
      if (group.seq() <= volume.lastAppliedSeq()) {
        return null;
      }
      if (group.seq() != volume.lastAppliedSeq() + 1) {
        throw new DvsException(ErrorCode.JOURNAL_GAP, "volume '" + volume.name()
            + "': journal group " + group.seq() + " arrived but the next is "
            + (volume.lastAppliedSeq() + 1) + "; resend from there");
      }
      JournalApplier applier = new JournalApplier(volumes, store.paSpace(), snmm, volume);
      volumes.putVolume(applier.apply(volume, group.seq(), group.records()));
      reclaimer.mapped(volume.volumeId(), group.records());
      return null;
    });
  }

  /**
   * Ends every lease whose holder was silent for the lease timeout: the volume is unmounted
   * and the PAs the lease held unmapped are reclaimed. Returns how many leases ended.
   */
  public int expireLeases() {
    List<VolumeRecord> mounted = store.read(() -> volumes.volumes(VolumeOps.VOLUMES_MAX).stream()
        .filter(VolumeRecord::isMounted).toList());
    int ended = 0;
    for (VolumeRecord seen : mounted) {
      if (leases.expired(seen.volumeId()) && expireLease(seen)) {
        ended++;
      }
    }
    return ended;
  }

  /**
   * Ends every lease in the store now, as if each had expired: for an MS whose only client ran
   * in the process that ran it before (dvs mount's embedded cluster, its data directory locked
   * by this process), so a lease found at start belongs to a process that is gone, and its
   * owner should not have to wait out the lease timeout to mount again. Returns how many ended.
   */
  public int endLeasesOfEarlierRuns() {
    List<VolumeRecord> mounted = store.read(() -> volumes.volumes(VolumeOps.VOLUMES_MAX).stream()
        .filter(VolumeRecord::isMounted).toList());
    int ended = 0;
    for (VolumeRecord seen : mounted) {
      if (endLease(seen, false)) {
        ended++;
      }
    }
    return ended;
  }

  private boolean expireLease(VolumeRecord seen) {
    return endLease(seen, true);
  }

  private boolean endLease(VolumeRecord seen, boolean onlyIfExpired) {
    return store.write(() -> {
      // Re-checked under the write lock: a renewal or a new mount may have come in between.
      var current = volumes.volume(seen.volumeId());
      if (current.isEmpty() || !current.get().isMounted()
          || current.get().epoch() != seen.epoch()
          || (onlyIfExpired && !leases.expired(seen.volumeId()))) {
        return false;
      }
      VolumeRecord volume = current.get();
      long reclaimed = reclaimer.endLease(volume.volumeId());
      volumes.putVolume(volume.withLease(volume.epoch(), VolumeRecord.NO_HOLDER));
      leases.forget(volume.volumeId());
      LOG.info("volume '" + volume.name() + "': lease of '" + volume.leaseHolder() + "' (epoch "
          + volume.epoch() + ") " + (onlyIfExpired ? "expired after " + leaseTimeoutMs
          + " ms of silence" : "ended: its holder ran in an earlier run of this process")
          + "; reclaimed " + reclaimed + " unmapped WDACG PAs");
      return true;
    });
  }

  /** VOLUME_STAT: the volume's counters, its lease and the MS-wide PA use. */
  public VolumeStat stat(String name) {
    Names.checkVolumeName(name);
    return store.read(() -> {
      VolumeRecord volume = byName(name);
      long msPasInUse = 0;
      for (var node : snmm.list()) {
        msPasInUse += PaTable.PA_SPACE_BLOCKS - store.paSpace().freeCount(node.snId());
      }
      return new VolumeStat(volume.info(), volume.leaseHolder(), volume.epoch(),
          store.leasedPas().count(volume.volumeId()), msPasInUse,
          store.paSpace().releasingCount());
    });
  }

  /** The volume, if {@code epoch} is its live lease; renews the lease (any request does). */
  private VolumeRecord leased(long volumeId, long epoch) {
    VolumeRecord volume = volumes.volume(volumeId).orElseThrow(
        () -> DvsException.notFound("volume " + volumeId + " does not exist"));
    if (!volume.isMounted() || volume.epoch() != epoch) {
      throw new DvsException(ErrorCode.STALE_EPOCH, "volume '" + volume.name() + "': epoch "
          + epoch + " is not the current lease (" + (volume.isMounted() ? "epoch "
          + volume.epoch() + " held by '" + volume.leaseHolder() + "'" : "not mounted")
          + "); mount again");
    }
    leases.renew(volumeId);
    return volume;
  }

  private VolumeRecord byName(String name) {
    long id = volumes.volumeIdByName(name).orElseThrow(
        () -> DvsException.notFound("volume '" + name + "' does not exist"));
    return volumes.volume(id).orElseThrow(() -> new IllegalStateException(
        "volume name index names missing volume " + id + " ('" + name + "')"));
  }

  private InodeAttrs inode(long volumeId, long ino) {
    return volumes.inode(volumeId, ino).orElseThrow(
        () -> DvsException.notFound("inode " + ino + " does not exist"));
  }

  private DvsException leaseHeld(VolumeRecord volume) {
    return new DvsException(ErrorCode.LEASE_HELD, "volume '" + volume.name()
        + "' is mounted by client '" + volume.leaseHolder() + "' (epoch " + volume.epoch()
        + ", last heard " + leases.idleMs(volume.volumeId()) + " ms ago; the lease expires after "
        + leaseTimeoutMs + " ms); unmount it there or wait");
  }
}
