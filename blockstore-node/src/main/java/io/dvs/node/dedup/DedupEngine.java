package io.dvs.node.dedup;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;

import com.google.common.base.Preconditions;
import io.dvs.node.meta.LbaMap;
import io.dvs.node.meta.NodeMetadata;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.message.NodeStats;
import io.dvs.volume.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The SN data path of paper 2 (DESIGN.md, "Write (SN)"): fingerprint each 4 KiB block, ask the
 * Bloom filter and the three-level index ({@link NodeMetadata#lookup}); a duplicate maps the PA
 * to the existing physical location L (refcount + 1), new content gets a fresh L from the
 * {@link SpaceAllocator}, is written to the device and enters index and filter. Overwriting or
 * releasing a PA drops a reference on its old L after the increment (so a crash may leak a
 * block, never lose one); at zero the L leaves the index and goes to quarantine.
 *
 * <h2>Durability and crash rules</h2>
 * <ul>
 *   <li>Shared data is never overwritten in place: a PA's new content goes to a new L, so the
 *       state of the last commit stays readable on the device until a later commit.
 *   <li>An L that only its own PA references is overwritten in place by a short write (a random
 *       write then leaves a file where it was, so read-ahead on the device still fetches its
 *       neighbours; see {@link #REWRITE_RUN_MAX} for long ones). Its old
 *       content leaves the index at once and a REWRITE record says so; the new data waits in
 *       memory ({@link #rewrites}, served to readers from there) until the commit that makes the
 *       record durable, which then writes it, syncs the device and indexes the L again. A crash
 *       before then leaves the old data or the new, never an index entry naming bytes the L no
 *       longer holds; Ls of unknown content are fingerprinted again when the node opens.
 *   <li>{@link #commit()} closes the open journal batch, syncs the device, then appends and
 *       fdatasyncs the batch, so durable metadata only points at durable data. It runs for
 *       FLUSH, at least every second (group commit), and inline when a batch grows past
 *       {@link #BATCH_BYTES_COMMIT}.
 *   <li>An L freed by a change is quarantined, never reused or discarded, until the batch that
 *       freed it is durable: otherwise a crash could revert the LBA map to an L that already
 *       holds someone else's data.
 *   <li>After that commit the freed Ls are discarded (a file device punches holes) by a
 *       background thread, and only then become free: a discard must never hit new data. The
 *       discard is not on the write path because it can be slow: an ext4 hole punch per
 *       scattered L, thousands of them after random overwrites or a delete.
 * </ul>
 *
 * <h2>Concurrency</h2>
 * Fingerprints are computed and unique data is written outside the lock; {@link #lock} guards
 * the metadata (all in memory, so it is held for microseconds). {@link #commitLock} serialises
 * commits, whose device sync and journal fsync run without {@link #lock}. A reader looks up L
 * under the lock and reads it outside; {@link #reuseEpoch} changes before a quarantined L may be
 * discarded or reused, and a reader that sees it change reads again.
 */
public final class DedupEngine implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(DedupEngine.class.getName());

  /**
   * The virtual PA space of one SN: 2^48 blocks (1 EiB), far beyond any thin volume, and a bound
   * on what a peer can make us store as an LBA map key.
   */
  public static final long PA_COUNT_MAX = 1L << 48;

  /** Optimistic reads retried before one read runs under the lock (reuse is rare: once/commit). */
  static final int READ_RETRIES_MAX = 3;

  /** An open journal batch past 8 MiB (~170k unique blocks) is committed by the writer inline. */
  static final int BATCH_BYTES_COMMIT = 8 << 20;

  /**
   * A write's unique blocks are written again elsewhere only after a device failed under them:
   * three attempts ride out two devices failing at once; a third means the node is dying.
   */
  static final int WRITE_ATTEMPTS_MAX = 3;

  /** Lifecycle: OPEN serves; FAILED after a metadata or sync error (restart needed); CLOSED. */
  enum State { OPEN, FAILED, CLOSED }

  private final NodeMetadata meta;
  private final BlockDevice device;
  private final Fingerprinter fingerprinter;
  private final boolean verifyOnMatch;

  /**
   * This opening of the store (BlockOps.BootId): what it acknowledges and has not yet committed
   * is lost if the process dies, and a client that sees another boot id knows to send it again.
   */
  private final long bootId = new java.security.SecureRandom().nextLong();

  /** Guards every field below and every call on {@link #meta} and {@link #allocator}. */
  private final ReentrantLock lock = new ReentrantLock();

  /** Serialises commits; taken before {@link #lock}, never while holding it. */
  private final ReentrantLock commitLock = new ReentrantLock();

  private final SpaceAllocator allocator;
  private State state = State.OPEN;
  private Throwable failure;
  private long verifyMismatches;

  /** Devices that failed since start; written under the lock, read without it. */
  private volatile int deviceFailures;

  /** Bumped (under the lock) before any quarantined L becomes reusable; read without it. */
  private volatile long reuseEpoch;

  /**
   * Ls freed by durable commits, sorted, waiting for their discard; still quarantined. A chunk
   * leaves the queue when the discarder takes it or when space runs out ({@link #reclaimNow}).
   */
  private final ArrayDeque<long[]> discardQueue = new ArrayDeque<>();

  /** Chunks taken off {@link #discardQueue} whose discard is running. */
  private int discardsRunning;

  /** Signalled (under the lock) when a running discard ended and its Ls are free. */
  private final Condition discardEnded = lock.newCondition();

  /** One thread: discards are sequential and never wait on the writers. */
  private final ExecutorService discarder = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "sn-discard");
    t.setDaemon(true);
    return t;
  });

  /**
   * A freed run shorter than this (in blocks, after merging) is not discarded now: punching
   * one ext4 hole per scattered L cost more CPU than the writes that freed them, and fragments
   * the device file. Such an L stays allocated in the device until it is written again or a
   * later discard spans it (see {@link #DISCARD_GAP_MAX}).
   */
  static final int DISCARD_RUN_MIN = 16;

  /**
   * Freed runs separated by at most this many Ls that are all free are discarded as one range,
   * gap included (the gap is reserved meanwhile): a file deleted after random overwrites frees
   * a region riddled with Ls freed earlier, which one punch then covers.
   */
  static final int DISCARD_GAP_MAX = 256;

  /** A close waits this long for queued discards, then leaves the space allocated. */
  static final long CLOSE_DISCARD_WAIT_MS = 30_000;

  /**
   * New content for a once-referenced L, to be written in place after the commit that makes its
   * REWRITE record durable (see the class comment). Keyed by L; a newer write replaces it.
   */
  private record Rewrite(long pa, long location, byte[] fingerprint, byte[] data) {}

  /** Pending in-place writes by L, under the lock. */
  private final Map<Long, Rewrite> rewrites = new HashMap<>();

  /**
   * Pending in-place writes past which a writer commits inline (32 MiB), and past which an
   * overwrite goes to a fresh L instead (128 MiB of heap at most).
   */
  static final int REWRITES_COMMIT = 8192;
  static final int REWRITES_MAX = 32768;

  /**
   * Only a block in a run of at most this many consecutive PAs of one write is rewritten in
   * place. A longer run (a sequential overwrite) gets fresh consecutive Ls, as good a layout,
   * without holding its data until a commit: rewritten in place, a 1 GiB sequential overwrite of
   * dvs-emb ran 150-250 MB/s against 260-425 to fresh Ls.
   */
  static final int REWRITE_RUN_MAX = 4;

  /** In {@link #read}: a block served from {@link #rewrites}, not from the device. */
  private static final long SERVED = -2;

  /** Set when closing: the discarder stops before its next run (the device is about to close). */
  private volatile boolean discardStopping;

  private DedupEngine(NodeMetadata meta, BlockDevice device, Fingerprinter fingerprinter,
      boolean verifyOnMatch) {
    this.meta = meta;
    this.device = device;
    this.fingerprinter = fingerprinter;
    this.verifyOnMatch = verifyOnMatch;
    this.allocator = new SpaceAllocator(device.capacityBlocks());
  }

  /** Opens over loaded metadata; the free-space map is rebuilt from the block table. */
  public static DedupEngine open(NodeMetadata meta, BlockDevice device,
      Fingerprinter fingerprinter, boolean verifyOnMatch) {
    Preconditions.checkArgument(device.capacityBlocks() <= SpaceAllocator.CAPACITY_BLOCKS_MAX,
        "device of %s blocks (expected: <= %s)", device.capacityBlocks(),
        SpaceAllocator.CAPACITY_BLOCKS_MAX);
    Preconditions.checkArgument(meta.blockTable().digestBytes() == fingerprinter.digestBytes(),
        "metadata of %s-byte fingerprints, %s makes %s", meta.blockTable().digestBytes(),
        fingerprinter.algorithm(), fingerprinter.digestBytes());
    DedupEngine engine = new DedupEngine(meta, device, fingerprinter, verifyOnMatch);
    meta.blockTable().forEach((location, refCount) -> engine.allocator.markUsed(location));
    engine.fingerprintUnknown(meta.unknownContent());
    return engine;
  }

  /**
   * Ls whose in-place rewrite a stop interrupted hold the old content or the new: whichever it
   * is, fingerprint it and index the L again, so their content deduplicates again. An L that
   * cannot be read stays out of the index (it is still read by its PA).
   */
  private void fingerprintUnknown(long[] locations) {
    if (locations.length == 0) {
      return;
    }
    byte[] block = new byte[BLOCK_SIZE_BYTES];
    int indexed = 0;
    for (long location : locations) {
      try {
        device.read(location, block, 0);
      } catch (IOException e) {
        LOG.warning(() -> "L " + location + " was being rewritten and cannot be read (" + e
            + "); it stays out of the fingerprint index");
        continue;
      }
      lock.lock();
      try {
        meta.index(location, fingerprinter.fingerprint(block, 0));
      } finally {
        lock.unlock();
      }
      indexed++;
    }
    commit();
    int n = indexed;
    LOG.info(() -> "fingerprinted again " + n + " of " + locations.length + " blocks that were "
        + "being rewritten in place when the node stopped");
  }

  public String fingerprintAlgorithm() {
    return fingerprinter.algorithm();
  }

  public boolean verifyOnMatch() {
    return verifyOnMatch;
  }

  /**
   * Stores block i of {@code data} (from {@code offset}) at {@code pas[i]}, in order (a PA named
   * twice ends with its last block). On NO_SPACE or IO_ERROR a prefix of the batch may have been
   * applied, like a disk; nothing is corrupted.
   */
  public void write(long[] pas, byte[] data, int offset) {
    checkPas(pas);
    Preconditions.checkArgument(offset >= 0
        && data.length - offset >= (long) pas.length * BLOCK_SIZE_BYTES,
        "data: %s bytes from %s for %s blocks", data.length, offset, pas.length);
    int n = pas.length;
    byte[][] fingerprints = new byte[n][];
    for (int i = 0; i < n; i++) {
      fingerprints[i] = fingerprinter.fingerprint(data, offset + i * BLOCK_SIZE_BYTES);
    }
    boolean[] inPlaceOk = shortRuns(pas);
    long[] fresh = storeNewContent(pas, inPlaceOk, fingerprints, data, offset);
    boolean commitNow;
    lock.lock();
    try {
      checkOpen();
      for (int i = 0; i < n; i++) {
        mapBlock(pas[i], inPlaceOk[i], fingerprints[i], fresh[i], data,
            offset + i * BLOCK_SIZE_BYTES);
      }
      commitNow = meta.openBatchBytes() > BATCH_BYTES_COMMIT || rewrites.size() >= REWRITES_COMMIT;
    } catch (RuntimeException e) {
      throw failIfUnexpected(e);
    } finally {
      lock.unlock();
    }
    if (commitNow) {
      commit();
    }
  }

  /**
   * Phase 1 of a write and its unique data: fresh Ls, written outside the lock. When a device
   * fails under these writes (the failure retires its Ls) they go again to the devices left:
   * the client's data is still in hand, so a dying device costs it nothing while others have
   * space. Any other device error is IO_ERROR.
   */
  private long[] storeNewContent(long[] pas, boolean[] inPlaceOk, byte[][] fingerprints,
      byte[] data, int offset) {
    for (int attempt = 1; ; attempt++) {
      int failuresBefore = deviceFailures;
      long[] fresh = allocateForNewContent(pas, inPlaceOk, fingerprints);
      if (fresh == null) { // only quarantined space left: a commit frees it
        commit();
        reclaimNow();
        fresh = allocateForNewContent(pas, inPlaceOk, fingerprints);
        if (fresh == null) {
          throw noSpace();
        }
      }
      try {
        for (int i = 0; i < fresh.length; ) {
          if (fresh[i] == SpaceAllocator.NONE) {
            i++;
            continue;
          }
          int n = runLength(fresh, i, SpaceAllocator.NONE); // a batch's new Ls are consecutive
          device.write(fresh[i], n, data, offset + i * BLOCK_SIZE_BYTES);
          i += n;
        }
        return fresh;
      } catch (IOException e) {
        lock.lock();
        try {
          unallocateAll(fresh); // retired Ls among them stay taken
        } finally {
          lock.unlock();
        }
        if (deviceFailures == failuresBefore || attempt == WRITE_ATTEMPTS_MAX) {
          throw new DvsException(ErrorCode.IO_ERROR, "write to " + device + " failed: " + e, e);
        }
        LOG.warning(() -> "a device failed under a write; writing it to the others: " + e);
      }
    }
  }

  /**
   * Phase 1 of a write, under the lock: one fresh L for each block whose content is neither
   * indexed nor earlier in the batch, unless its PA's L can be rewritten in place (only a block
   * of a short run, {@code inPlaceOk});
   * {@link SpaceAllocator#NONE} for the others. Null if space ran out while quarantined Ls
   * exist (the caller commits and retries); NO_SPACE if none do.
   */
  private long[] allocateForNewContent(long[] pas, boolean[] inPlaceOk, byte[][] fingerprints) {
    long[] fresh = new long[fingerprints.length];
    Arrays.fill(fresh, SpaceAllocator.NONE);
    Set<ByteBuffer> inBatch = new HashSet<>(); // ByteBuffer compares by content
    lock.lock();
    try {
      checkOpen();
      for (int i = 0; i < fingerprints.length; i++) {
        if (meta.lookup(fingerprints[i], this::usable) == FingerprintIndex.NO_LOCATION
            && inBatch.add(ByteBuffer.wrap(fingerprints[i]))
            && !(inPlaceOk[i] && rewritable(pas[i]))) {
          fresh[i] = allocator.allocate();
          if (fresh[i] == SpaceAllocator.NONE) {
            unallocateAll(fresh);
            if (allocator.quarantinedCount() > 0) {
              return null;
            }
            throw noSpace();
          }
        }
      }
      return fresh;
    } finally {
      lock.unlock();
    }
  }

  private DvsException noSpace() {
    return new DvsException(ErrorCode.NO_SPACE, "storage node is full: all "
        + allocator.capacityBlocks() + " physical blocks hold data; release blocks or add a "
        + "device");
  }

  private void unallocateAll(long[] fresh) {
    for (int i = 0; i < fresh.length; i++) {
      if (fresh[i] != SpaceAllocator.NONE) {
        allocator.unallocate(fresh[i]);
        fresh[i] = SpaceAllocator.NONE;
      }
    }
  }

  /**
   * Phase 2 of a write, under the lock: maps {@code pa} to the content's L. The index is asked
   * again because other writers ran since phase 1: the content may have appeared (our fresh L
   * is given back) or vanished (a rare fresh L is written here, under the lock). With
   * verify-on-match a candidate whose bytes differ (a hash collision) is stored anew.
   */
  private void mapBlock(long pa, boolean inPlaceOk, byte[] fingerprint, long fresh, byte[] data,
      int off) {
    long existing = meta.lookupAgain(fingerprint, this::usable);
    if (existing != FingerprintIndex.NO_LOCATION && verifyOnMatch
        && !sameBytes(existing, data, off)) {
      verifyMismatches++;
      long collided = existing;
      LOG.warning(() -> fingerprinter.algorithm() + " collision: L " + collided
          + " has the fingerprint of different bytes; storing them separately");
      existing = FingerprintIndex.NO_LOCATION;
    }
    if (existing != FingerprintIndex.NO_LOCATION) {
      if (fresh != SpaceAllocator.NONE) {
        allocator.unallocate(fresh);
      }
      quarantine(meta.mapExisting(pa, existing));
      return;
    }
    long location = fresh;
    if (location == SpaceAllocator.NONE && inPlaceOk && rewritable(pa)) {
      long rewritten = meta.locationOf(pa);
      meta.rewrite(pa);
      rewrites.put(rewritten, new Rewrite(pa, rewritten, fingerprint,
          Arrays.copyOfRange(data, off, off + BLOCK_SIZE_BYTES)));
      return;
    }
    if (location == SpaceAllocator.NONE) {
      location = allocator.allocate();
      if (location == SpaceAllocator.NONE) {
        throw noSpace();
      }
      try {
        device.write(location, data, off);
      } catch (IOException e) {
        allocator.unallocate(location);
        throw new DvsException(ErrorCode.IO_ERROR, "write to " + device + " failed: " + e, e);
      }
    }
    quarantine(meta.mapNew(pa, location, fingerprint));
  }

  /** For each block: is it in a run of at most {@link #REWRITE_RUN_MAX} consecutive PAs? */
  static boolean[] shortRuns(long[] pas) {
    boolean[] shortRun = new boolean[pas.length];
    for (int i = 0; i < pas.length; ) {
      int n = runLength(pas, i, LbaMap.NONE); // PAs are >= 0
      Arrays.fill(shortRun, i, i + n, n <= REWRITE_RUN_MAX);
      i += n;
    }
    return shortRun;
  }

  /**
   * Under the lock: may new content for {@code pa} overwrite its L in place? Only if no other PA
   * references the L, its device has not failed, and the pending rewrites have room.
   */
  private boolean rewritable(long pa) {
    long location = meta.locationOf(pa);
    return location != LbaMap.NONE && meta.refCount(location) == 1 && usable(location)
        && (rewrites.size() < REWRITES_MAX || rewrites.containsKey(location));
  }

  /** Content at an L of a failed device is not shared: the new write stores it anew. */
  private boolean usable(long location) {
    return !allocator.isRetired(location);
  }

  private boolean sameBytes(long location, byte[] data, int off) {
    byte[] stored = new byte[BLOCK_SIZE_BYTES];
    try {
      device.read(location, stored, 0);
    } catch (IOException e) {
      throw new DvsException(ErrorCode.IO_ERROR, "verify read from " + device + " failed: " + e,
          e);
    }
    return Arrays.equals(stored, 0, BLOCK_SIZE_BYTES, data, off, off + BLOCK_SIZE_BYTES);
  }

  private void quarantine(long freed) {
    if (freed != LbaMap.NONE) {
      allocator.quarantine(freed);
      rewrites.remove(freed); // its PA went elsewhere: the pending data is moot
    }
  }

  /** Reads the blocks of {@code pas} back to back; a PA never written or released reads zeros. */
  public byte[] read(long[] pas) {
    checkPas(pas);
    byte[] out = new byte[pas.length * BLOCK_SIZE_BYTES];
    for (int attempt = 0; attempt < READ_RETRIES_MAX; attempt++) {
      long epoch;
      long[] locations;
      lock.lock();
      try {
        checkOpen();
        epoch = reuseEpoch;
        locations = lookup(pas);
        serveRewrites(locations, out);
      } finally {
        lock.unlock();
      }
      readLocations(pas, locations, out);
      if (reuseEpoch == epoch) {
        return out; // no L became reusable while we read, so none was overwritten
      }
    }
    lock.lock();
    try {
      checkOpen();
      long[] locations = lookup(pas);
      serveRewrites(locations, out);
      readLocations(pas, locations, out);
      return out;
    } finally {
      lock.unlock();
    }
  }

  private long[] lookup(long[] pas) {
    long[] locations = new long[pas.length];
    for (int i = 0; i < pas.length; i++) {
      locations[i] = meta.locationOf(pas[i]);
    }
    return locations;
  }

  /** Under the lock: copies blocks whose new data waits in {@link #rewrites}; marks them SERVED. */
  private void serveRewrites(long[] locations, byte[] out) {
    if (rewrites.isEmpty()) {
      return;
    }
    for (int i = 0; i < locations.length; i++) {
      Rewrite r = locations[i] == LbaMap.NONE ? null : rewrites.get(locations[i]);
      if (r != null) {
        System.arraycopy(r.data(), 0, out, i * BLOCK_SIZE_BYTES, BLOCK_SIZE_BYTES);
        locations[i] = SERVED;
      }
    }
  }

  /** An IO_ERROR names the PA, its L and (through the device set) the device. */
  private void readLocations(long[] pas, long[] locations, byte[] out) {
    for (int i = 0; i < locations.length; ) {
      if (locations[i] == SERVED) {
        i++;
        continue;
      }
      if (locations[i] == LbaMap.NONE) {
        Arrays.fill(out, i * BLOCK_SIZE_BYTES, (i + 1) * BLOCK_SIZE_BYTES, (byte) 0);
        i++;
        continue;
      }
      int n = runLength(locations, i, LbaMap.NONE);
      try {
        // Sequentially written data sits in consecutive Ls: one device read for the run.
        device.read(locations[i], n, out, i * BLOCK_SIZE_BYTES);
      } catch (IOException runFailed) {
        for (int j = i; j < i + n; j++) { // find the block to name
          try {
            device.read(locations[j], out, j * BLOCK_SIZE_BYTES);
          } catch (IOException e) {
            throw new DvsException(ErrorCode.IO_ERROR, "read of PA " + pas[j] + " (L "
                + locations[j] + ") failed: " + e.getMessage(), e);
          }
        }
        throw new DvsException(ErrorCode.IO_ERROR, "read of PAs " + pas[i] + ".. (Ls "
            + locations[i] + "+" + n + ") failed: " + runFailed.getMessage(), runFailed);
      }
      i += n;
    }
  }

  /** How many entries from {@code i} hold consecutive Ls (at least 1); {@code none}: no L. */
  private static int runLength(long[] locations, int i, long none) {
    int n = 1;
    while (i + n < locations.length && locations[i + n] != none
        && locations[i + n] == locations[i] + n) {
      n++;
    }
    return n;
  }

  /**
   * Drops the mapping of each PA (reference -1 on its L), {@link #RELEASE_CHUNK} PAs per lock
   * hold; an unmapped PA is a no-op.
   */
  /** The boot id every WRITE_BLOCKS, RELEASE_BLOCKS and FLUSH answer carries. */
  public long bootId() {
    return bootId;
  }

  public void release(long[] pas) {
    checkPas(pas);
    for (int from = 0; from < pas.length; from += RELEASE_CHUNK) {
      lock.lock();
      try {
        checkOpen();
        for (int i = from; i < Math.min(pas.length, from + RELEASE_CHUNK); i++) {
          quarantine(meta.release(pas[i]));
        }
      } catch (RuntimeException e) {
        throw failIfUnexpected(e);
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * A release takes the lock for this many PAs at a time: a 64 Ki-PA batch (a 256 MiB file)
   * costs ~0.2 s of index and refcount work, which writers would otherwise wait out whole.
   */
  static final int RELEASE_CHUNK = 1024;

  /**
   * Makes every write and release that returned before this call durable: close the open batch,
   * device sync, journal append + fdatasync, then the Ls the batch freed go to the discarder,
   * which frees them after their discard. Writers
   * keep going during the syncs (their changes join the next batch).
   */
  public void commit() {
    commitLock.lock();
    try {
      NodeMetadata.Batch batch;
      List<Rewrite> inPlace;
      lock.lock();
      try {
        checkOpen();
        batch = meta.takeBatch();
        inPlace = rewrites.isEmpty() ? List.of() : new ArrayList<>(rewrites.values());
      } finally {
        lock.unlock();
      }
      writeDurably(batch);
      boolean relocated = !inPlace.isEmpty() && writeInPlace(inPlace);
      lock.lock();
      try {
        checkOpen();
        releaseFreed(batch.freed());
        meta.rebuildFilterIfStale();
        if (meta.checkpointDue()) {
          checkpointLocked();
        }
      } finally {
        lock.unlock();
      }
      if (relocated) {
        commit(); // their NEW records, durable before a FLUSH that waits on us returns
      }
    } finally {
      commitLock.unlock();
    }
  }

  private void writeDurably(NodeMetadata.Batch batch) {
    try {
      device.sync();
      meta.writeBatch(batch);
    } catch (IOException | RuntimeException e) {
      throw failLocked(e);
    }
  }

  /** {@link #fail} from a commit step that runs without the lock. */
  private DvsException failLocked(Exception e) {
    lock.lock();
    try {
      return fail(e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * After the commit that made their REWRITE records durable: writes the pending data over the
   * old (runs of consecutive Ls in one write), syncs the device, and indexes each L whose data
   * was not replaced or released meanwhile (its INDEX record joins the open batch). If a device
   * fails under these writes, the data meant for its Ls goes to fresh Ls on the others (NEW
   * records in the open batch); returns true if that happened, and the caller commits again.
   */
  private boolean writeInPlace(List<Rewrite> inPlace) {
    inPlace.sort(java.util.Comparator.comparingLong(Rewrite::location));
    boolean relocated = false;
    for (int attempt = 1; ; attempt++) {
      int failuresBefore = deviceFailures;
      try {
        writeRuns(inPlace);
        device.sync();
        break;
      } catch (IOException | RuntimeException e) {
        if (deviceFailures == failuresBefore || attempt == WRITE_ATTEMPTS_MAX) {
          throw failLocked(e);
        }
        LOG.warning(() -> "a device failed under blocks being overwritten in place; writing "
            + "them to the others: " + e);
        inPlace = relocateRetired(inPlace);
        relocated = true;
      }
    }
    lock.lock();
    try {
      checkOpen();
      for (Rewrite r : inPlace) {
        if (rewrites.get(r.location()) == r) {
          rewrites.remove(r.location());
          meta.index(r.location(), r.fingerprint());
        }
      }
    } finally {
      lock.unlock();
    }
    return relocated;
  }

  private void writeRuns(List<Rewrite> sorted) throws IOException {
    long[] locations = sorted.stream().mapToLong(Rewrite::location).toArray();
    for (int i = 0; i < sorted.size(); ) {
      int n = runLength(locations, i, LbaMap.NONE);
      byte[] run = n == 1 ? sorted.get(i).data() : new byte[n * BLOCK_SIZE_BYTES];
      for (int j = 0; n > 1 && j < n; j++) {
        System.arraycopy(sorted.get(i + j).data(), 0, run, j * BLOCK_SIZE_BYTES,
            BLOCK_SIZE_BYTES);
      }
      device.write(sorted.get(i).location(), n, run, 0);
      i += n;
    }
  }

  /**
   * Under the lock, after a device failed: each pending rewrite of one of its Ls is stored as a
   * write would store it, through {@link #mapBlock} (its PA moves; the lost L is freed). Returns the rewrites left to write
   * in place.
   */
  private List<Rewrite> relocateRetired(List<Rewrite> inPlace) {
    List<Rewrite> left = new ArrayList<>();
    lock.lock();
    try {
      checkOpen();
      for (Rewrite r : inPlace) {
        if (!allocator.isRetired(r.location())) {
          left.add(r);
        } else if (rewrites.get(r.location()) == r) {
          rewrites.remove(r.location());
          try { // as a write would store it now: a duplicate, or a fresh L written here
            mapBlock(r.pa(), false, r.fingerprint(), SpaceAllocator.NONE, r.data(), 0);
          } catch (RuntimeException e) {
            throw fail(e); // acknowledged data with nowhere to go
          }
        }
      }
    } finally {
      lock.unlock();
    }
    return left;
  }

  /** Under both locks: writes what is open, then snapshots (writers wait; it is rare). */
  private void checkpointLocked() {
    NodeMetadata.Batch rest = meta.takeBatch();
    writeDurably(rest);
    releaseFreed(rest.freed());
    try {
      meta.checkpoint();
    } catch (IOException | RuntimeException e) {
      throw fail(e);
    }
  }

  /** Under the lock, after the commit that freed them: queues the Ls for discard, then reuse. */
  private void releaseFreed(long[] freed) {
    if (freed.length == 0) {
      return;
    }
    Arrays.sort(freed);
    discardQueue.add(freed);
    try {
      discarder.execute(this::drainDiscards);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      reclaimQueued(); // closing: no discard, the space is simply free
    }
  }

  /** On the discarder thread: discards queued chunks, then makes their Ls free. */
  private void drainDiscards() {
    while (true) {
      long[] chunk;
      List<long[]> ranges;
      List<long[]> gaps = new ArrayList<>();
      lock.lock();
      try {
        chunk = discardQueue.poll();
        if (chunk == null) {
          return;
        }
        ranges = planDiscards(chunk, allocator::allFree, DISCARD_GAP_MAX, DISCARD_RUN_MIN, gaps);
        for (long[] gap : gaps) {
          allocator.reserve(gap[0], gap[1]);
        }
        discardsRunning++;
        reuseEpoch++; // a reader of an old L may see zeros from here on: it must read again
      } finally {
        lock.unlock();
      }
      try {
        discard(ranges);
      } finally {
        lock.lock();
        try {
          reuseEpoch++;
          allocator.release(chunk);
          for (long[] gap : gaps) {
            allocator.unreserve(gap[0], gap[1]);
          }
          discardsRunning--;
          discardEnded.signalAll();
        } finally {
          lock.unlock();
        }
      }
    }
  }

  /** Is every L in [from, to) free? */
  interface FreeRange {
    boolean allFree(long from, long to);
  }

  /**
   * The ranges to discard for the sorted freed Ls {@code sorted}: runs of consecutive Ls, merged
   * across gaps of at most {@code gapMax} free Ls (added to {@code gapsOut}), keeping only ranges
   * of at least {@code runMin} blocks. Each range is {from, to}.
   */
  static List<long[]> planDiscards(long[] sorted, FreeRange free, int gapMax, int runMin,
      List<long[]> gapsOut) {
    List<long[]> ranges = new ArrayList<>();
    List<long[]> pendingGaps = new ArrayList<>();
    int i = 0;
    long from = -1;
    long to = -1;
    while (i < sorted.length) {
      int j = i + runLength(sorted, i, SpaceAllocator.NONE);
      long runFrom = sorted[i];
      long runTo = sorted[j - 1] + 1;
      if (from >= 0 && runFrom - to <= gapMax && free.allFree(to, runFrom)) {
        pendingGaps.add(new long[] {to, runFrom});
        to = runTo;
      } else {
        keep(from, to, runMin, ranges, pendingGaps, gapsOut);
        from = runFrom;
        to = runTo;
      }
      i = j;
    }
    keep(from, to, runMin, ranges, pendingGaps, gapsOut);
    return ranges;
  }

  private static void keep(long from, long to, int runMin, List<long[]> ranges,
      List<long[]> pendingGaps, List<long[]> gapsOut) {
    if (from >= 0 && to - from >= runMin) {
      ranges.add(new long[] {from, to});
      gapsOut.addAll(pendingGaps);
    }
    pendingGaps.clear();
  }

  /**
   * Space ran out: the Ls waiting for discard become free at once, undiscarded (they are about
   * to be written anyway), and a discard in progress is waited for.
   */
  private void reclaimNow() {
    lock.lock();
    try {
      reclaimQueued();
      while (discardsRunning > 0) {
        discardEnded.awaitUninterruptibly();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Under the lock. */
  private void reclaimQueued() {
    if (discardQueue.isEmpty()) {
      return;
    }
    reuseEpoch++;
    for (long[] chunk = discardQueue.poll(); chunk != null; chunk = discardQueue.poll()) {
      allocator.release(chunk);
    }
  }

  /** For the group committer: commits only when something changed. */
  public void commitIfDirty() {
    lock.lock();
    try {
      if (state != State.OPEN || !meta.hasOpenBatch()) {
        return;
      }
    } finally {
      lock.unlock();
    }
    commit();
  }

  /** Gives the space of these ranges back to the device; a failure only costs space. */
  private void discard(List<long[]> ranges) {
    for (long[] range : ranges) {
      if (discardStopping) {
        return;
      }
      try {
        device.discard(range[0], range[1] - range[0]);
      } catch (IOException | RuntimeException e) {
        LOG.log(Level.FINE, "discard on " + device + " failed; space stays allocated", e);
      }
    }
  }

  public NodeStats stats() {
    lock.lock();
    try {
      return new NodeStats(allocator.capacityBlocks(), meta.usedBlocks(), meta.mappedPas(),
          meta.uniqueWrites(), meta.duplicateWrites(), meta.filter().lookups(),
          meta.filter().negatives(), meta.filter().falsePositives(), deviceFailures);
    } finally {
      lock.unlock();
    }
  }

  /** Hash collisions found by verify-on-match since start. */
  public long verifyMismatches() {
    lock.lock();
    try {
      return verifyMismatches;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Algorithm 4 of paper 1 (add a device): the device set under this engine grew to
   * {@code newCapacityBlocks}; the free-space map grows with it.
   */
  public void grow(long newCapacityBlocks) {
    lock.lock();
    try {
      checkOpen();
      allocator.grow(newCapacityBlocks);
      meta.growCapacity(newCapacityBlocks);
    } finally {
      lock.unlock();
    }
  }

  /**
   * A device failed: its Ls in [first, first + count) are never allocated again, and new writes
   * of content stored there store it anew.
   */
  public void retire(long first, long count) {
    lock.lock();
    try {
      allocator.retire(first, count);
      deviceFailures++;
    } finally {
      lock.unlock();
    }
  }

  /** The L that {@code pa} maps to, or -1: for tests and fsck. */
  public long locationOf(long pa) {
    lock.lock();
    try {
      return meta.locationOf(pa);
    } finally {
      lock.unlock();
    }
  }

  /** The reference count of {@code location} (0 if it holds no data). */
  public long refCount(long location) {
    lock.lock();
    try {
      return meta.refCount(location);
    } finally {
      lock.unlock();
    }
  }

  /** Test hook: waits until every L freed by a commit is discarded and free. */
  void awaitDiscards() {
    lock.lock();
    try {
      while (!discardQueue.isEmpty() || discardsRunning > 0) {
        discardEnded.awaitUninterruptibly();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Test hook: a writer out of space is parked until a running discard ends. */
  boolean writerWaitsForDiscard() {
    lock.lock();
    try {
      return lock.hasWaiters(discardEnded);
    } finally {
      lock.unlock();
    }
  }

  /** Test hook: close or crash has told the discarder to stop. */
  boolean discardsStopping() {
    return discardStopping;
  }

  /** True while {@code location} is freed but not yet free (commit and discard pending). */
  boolean isQuarantined(long location) {
    lock.lock();
    try {
      return allocator.isQuarantined(location);
    } finally {
      lock.unlock();
    }
  }

  private static void checkPas(long[] pas) {
    for (long pa : pas) {
      Preconditions.checkArgument(pa >= 0 && pa < PA_COUNT_MAX, "PA %s (expected: 0..%s)", pa,
          PA_COUNT_MAX - 1);
    }
  }

  private void checkOpen() {
    if (state == State.CLOSED) {
      throw new DvsException(ErrorCode.UNAVAILABLE, "storage node is closing");
    }
    if (state == State.FAILED) {
      throw new DvsException(ErrorCode.IO_ERROR, "storage node stopped after a storage error ("
          + failure + "); restart it: it recovers to its last commit", failure);
    }
  }

  /**
   * A typed error (NO_SPACE, IO_ERROR on a data write) leaves the metadata consistent; anything
   * else thrown in the middle of a metadata change may leave memory half-changed, so the engine
   * stops and never commits it.
   */
  private RuntimeException failIfUnexpected(RuntimeException e) {
    return e instanceof DvsException ? e : fail(e);
  }

  private DvsException fail(Throwable e) {
    if (state == State.OPEN) {
      state = State.FAILED;
      failure = e;
      LOG.log(Level.SEVERE, "storage node metadata failed; stopping until restart", e);
    }
    return new DvsException(ErrorCode.IO_ERROR, "storage error: " + e
        + "; the node stops serving until restarted", e);
  }

  /** Commits what is open (unless the engine failed), then closes the store and the device. */
  @Override
  public void close() {
    commitLock.lock();
    try {
      lock.lock();
      try {
        if (state == State.CLOSED) {
          return;
        }
      } finally {
        lock.unlock();
      }
      try {
        if (state == State.OPEN) {
          commit();
          commitIfDirty(); // the INDEX records of data the first commit wrote in place
        }
      } finally {
        finishDiscards();
        lock.lock();
        try {
          state = State.CLOSED;
          closeQuietly();
        } finally {
          lock.unlock();
        }
      }
    } finally {
      commitLock.unlock();
    }
  }

  /** Lets queued discards finish (bounded), so a delete before close gives its space back. */
  private void finishDiscards() {
    discarder.shutdown();
    try {
      if (!discarder.awaitTermination(CLOSE_DISCARD_WAIT_MS, TimeUnit.MILLISECONDS)) {
        LOG.warning("discards still running after " + CLOSE_DISCARD_WAIT_MS
            + " ms; closing without them (their space stays allocated in the device)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stopDiscards();
  }

  /**
   * Stops the discarder and waits for the run it is punching: a discard after the device closed
   * could hit whatever file reuses its descriptor.
   */
  private void stopDiscards() {
    discardStopping = true;
    // Not shutdownNow: an interrupt would close a FileChannel under a device call.
    discarder.shutdown();
    boolean interrupted = false;
    while (true) {
      try {
        if (discarder.awaitTermination(1, TimeUnit.MINUTES)) {
          break;
        }
        LOG.warning("a discard has not ended in a minute; still waiting before closing");
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Test hook: stops as a crash would, losing everything not committed. */
  void crash() {
    stopDiscards();
    lock.lock();
    try {
      state = State.CLOSED;
      closeQuietly();
    } finally {
      lock.unlock();
    }
  }

  private void closeQuietly() {
    try {
      meta.close();
    } finally {
      try {
        device.close();
      } catch (IOException e) {
        LOG.log(Level.WARNING, "closing " + device + " failed", e);
      }
    }
  }
}
