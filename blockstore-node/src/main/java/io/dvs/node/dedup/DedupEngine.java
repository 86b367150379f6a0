package io.dvs.node.dedup;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;

import com.google.common.base.Preconditions;
import com.google.common.base.Verify;
import io.dvs.node.store.BlockRecord;
import io.dvs.node.store.MetaStore;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.message.NodeStats;
import io.dvs.volume.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The SN data path of paper 2 (DESIGN.md, "Write (SN)"): fingerprint each 4 KiB block, look it
 * up in the {@link FingerprintIndex}; a duplicate maps the PA to the existing physical location
 * L (refcount + 1), new content gets a fresh L from the {@link SpaceAllocator}, is written to the
 * device, and enters the index. Overwriting or releasing a PA drops a reference on its old L
 * (increment before decrement, so rewriting the same content never frees it); at zero the L
 * leaves the index and goes to quarantine.
 *
 * <h2>Durability and crash rules</h2>
 * <ul>
 *   <li>Data is never overwritten in place: a PA's new content goes to a new L, so the state of
 *       the last commit stays readable on the device until a later commit.
 *   <li>{@link #commit()} syncs the device, then commits the metadata, so committed metadata
 *       only points at synced data. It runs for FLUSH and at least every second (group commit).
 *   <li>An L freed in the open transaction is quarantined, never reused, until the commit that
 *       freed it is durable: otherwise a crash could revert the LBA map to point at an L that
 *       already holds someone else's data.
 * </ul>
 *
 * <h2>Concurrency</h2>
 * Fingerprints are computed and data is read and written outside the lock; {@link #lock}
 * guards all metadata (the {@link MetaStore} transaction, the allocator and the counters).
 * A reader looks up L under the lock and reads it outside; {@link #reuseEpoch} changes before a
 * quarantined L may be discarded or reused, and a reader that sees it change reads again.
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

  /** Lifecycle: OPEN serves; FAILED after a metadata or sync error (restart needed); CLOSED. */
  enum State { OPEN, FAILED, CLOSED }

  private final MetaStore meta;
  private final BlockDevice device;
  private final Fingerprinter fingerprinter;
  private final FingerprintIndex index;

  /**
   * Guards every field below, and every call on {@link #meta}, {@link #index} and
   * {@link #allocator}. Held across the device sync of a commit, never across other I/O.
   */
  private final ReentrantLock lock = new ReentrantLock();

  private final SpaceAllocator allocator;
  private State state = State.OPEN;
  private Throwable failure;
  /** True when the open transaction holds changes not yet committed. */
  private boolean dirty;
  private long usedBlocks;
  private long mappedPas;
  private long uniqueWrites;
  private long duplicateWrites;

  /** Bumped (under the lock) before any quarantined L becomes reusable; read without it. */
  private volatile long reuseEpoch;

  private DedupEngine(MetaStore meta, BlockDevice device, Fingerprinter fingerprinter) {
    this.meta = meta;
    this.device = device;
    this.fingerprinter = fingerprinter;
    this.index = meta.fingerprintIndex();
    this.allocator = new SpaceAllocator(device.capacityBlocks());
  }

  /**
   * Rebuilds the free-space map from the committed block table and checks it against the
   * committed counters; a mismatch is corruption and refuses to open.
   */
  public static DedupEngine open(MetaStore meta, BlockDevice device, Fingerprinter fingerprinter) {
    Preconditions.checkArgument(device.capacityBlocks() <= SpaceAllocator.CAPACITY_BLOCKS_MAX,
        "device of %s blocks (expected: <= %s)", device.capacityBlocks(),
        SpaceAllocator.CAPACITY_BLOCKS_MAX);
    DedupEngine engine = new DedupEngine(meta, device, fingerprinter);
    long[] refSum = new long[2];
    meta.forEachBlock((record, location) -> {
      if (location >= device.capacityBlocks()
          || record.fingerprint().length != fingerprinter.digestBytes()) {
        throw corrupt(meta, "block record of L " + location + " does not fit the device ("
            + device.capacityBlocks() + " blocks) or the fingerprint length");
      }
      engine.allocator.markUsed(location);
      refSum[0]++;
      refSum[1] += record.refCount();
    });
    engine.usedBlocks = meta.counter("usedBlocks");
    engine.mappedPas = meta.counter("mappedPas");
    engine.uniqueWrites = meta.counter("uniqueWrites");
    engine.duplicateWrites = meta.counter("duplicateWrites");
    if (refSum[0] != engine.usedBlocks || refSum[1] != engine.mappedPas) {
      throw corrupt(meta, "block table has " + refSum[0] + " blocks and " + refSum[1]
          + " references, counters say " + engine.usedBlocks + " and " + engine.mappedPas);
    }
    return engine;
  }

  private static DvsException corrupt(MetaStore meta, String why) {
    return new DvsException(ErrorCode.IO_ERROR, "metadata file " + meta.file()
        + " is inconsistent: " + why + "; refusing to start (restore the data directory from "
        + "backup)");
  }

  public String fingerprintAlgorithm() {
    return fingerprinter.algorithm();
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
    long[] fresh = allocateForNewContent(fingerprints);
    try {
      for (int i = 0; i < n; i++) {
        if (fresh[i] != SpaceAllocator.NONE) {
          device.write(fresh[i], data, offset + i * BLOCK_SIZE_BYTES);
        }
      }
    } catch (IOException e) {
      lock.lock();
      try {
        unallocateAll(fresh);
      } finally {
        lock.unlock();
      }
      throw new DvsException(ErrorCode.IO_ERROR, "write to " + device + " failed: " + e, e);
    }
    lock.lock();
    try {
      checkOpen();
      for (int i = 0; i < n; i++) {
        mapBlock(pas[i], fingerprints[i], fresh[i], data, offset + i * BLOCK_SIZE_BYTES);
      }
    } catch (RuntimeException e) {
      throw failIfUnexpected(e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Phase 1 of a write, under the lock: one fresh L for each block whose content is neither
   * indexed nor earlier in the batch; {@link SpaceAllocator#NONE} for the others.
   */
  private long[] allocateForNewContent(byte[][] fingerprints) {
    long[] fresh = new long[fingerprints.length];
    Arrays.fill(fresh, SpaceAllocator.NONE);
    Set<ByteBuffer> inBatch = new HashSet<>(); // ByteBuffer compares by content
    lock.lock();
    try {
      checkOpen();
      for (int i = 0; i < fingerprints.length; i++) {
        if (index.lookup(fingerprints[i]) == FingerprintIndex.NO_LOCATION
            && inBatch.add(ByteBuffer.wrap(fingerprints[i]))) {
          fresh[i] = allocateLocked(fresh);
        }
      }
      return fresh;
    } finally {
      lock.unlock();
    }
  }

  /** A free L; commits first if only quarantined ones are left; NO_SPACE if none at all. */
  private long allocateLocked(long[] pendingToUndo) {
    long location = allocator.allocate();
    if (location == SpaceAllocator.NONE && allocator.quarantinedCount() > 0) {
      commitLocked();
      location = allocator.allocate();
    }
    if (location == SpaceAllocator.NONE) {
      unallocateAll(pendingToUndo);
      throw new DvsException(ErrorCode.NO_SPACE, "storage node is full: all "
          + allocator.capacityBlocks() + " physical blocks hold data; release blocks or add a "
          + "device");
    }
    return location;
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
   * is given back) or vanished (a rare fresh L is written here, under the lock).
   */
  private void mapBlock(long pa, byte[] fingerprint, long fresh, byte[] data, int off) {
    long existing = index.lookup(fingerprint);
    if (existing != FingerprintIndex.NO_LOCATION) {
      if (fresh != SpaceAllocator.NONE) {
        allocator.unallocate(fresh);
      }
      duplicateWrites++;
      remap(pa, existing);
      return;
    }
    long location = fresh;
    if (location == SpaceAllocator.NONE) {
      location = allocateLocked(new long[0]);
      try {
        device.write(location, data, off);
      } catch (IOException e) {
        allocator.unallocate(location);
        throw new DvsException(ErrorCode.IO_ERROR, "write to " + device + " failed: " + e, e);
      }
    }
    index.insert(fingerprint, location);
    meta.putBlock(location, new BlockRecord(1, fingerprint));
    usedBlocks++;
    uniqueWrites++;
    dirty = true;
    Long old = meta.lbaMap().put(pa, location);
    if (old == null) {
      mappedPas++;
    } else {
      dropReference(old);
    }
  }

  /** Points {@code pa} at an indexed L: reference +1 first, then the old L's -1. */
  private void remap(long pa, long location) {
    Long old = meta.lbaMap().get(pa);
    dirty = true; // the counters changed even when the mapping did not
    if (old != null && old == location) {
      return; // the same data to the same PA again: an idempotent retry
    }
    BlockRecord record = meta.block(location);
    Verify.verify(record != null, "index points at L %s, which has no block record", location);
    meta.putBlock(location, record.withRefCount(record.refCount() + 1));
    meta.lbaMap().put(pa, location);
    if (old == null) {
      mappedPas++;
    } else {
      dropReference(old);
    }
  }

  /** Reference -1 on {@code location}; at zero it leaves the index and is quarantined. */
  private void dropReference(long location) {
    BlockRecord record = meta.block(location);
    Verify.verify(record != null, "a PA maps to L %s, which has no block record", location);
    if (record.refCount() > 1) {
      meta.putBlock(location, record.withRefCount(record.refCount() - 1));
      return;
    }
    meta.removeBlock(location);
    index.remove(record.fingerprint(), location);
    allocator.quarantine(location);
    usedBlocks--;
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
      } finally {
        lock.unlock();
      }
      readLocations(locations, out);
      if (reuseEpoch == epoch) {
        return out; // no L became reusable while we read, so none was overwritten
      }
    }
    lock.lock();
    try {
      checkOpen();
      readLocations(lookup(pas), out);
      return out;
    } finally {
      lock.unlock();
    }
  }

  private long[] lookup(long[] pas) {
    long[] locations = new long[pas.length];
    for (int i = 0; i < pas.length; i++) {
      Long location = meta.lbaMap().get(pas[i]);
      locations[i] = location == null ? SpaceAllocator.NONE : location;
    }
    return locations;
  }

  private void readLocations(long[] locations, byte[] out) {
    try {
      for (int i = 0; i < locations.length; i++) {
        if (locations[i] == SpaceAllocator.NONE) {
          Arrays.fill(out, i * BLOCK_SIZE_BYTES, (i + 1) * BLOCK_SIZE_BYTES, (byte) 0);
        } else {
          device.read(locations[i], out, i * BLOCK_SIZE_BYTES);
        }
      }
    } catch (IOException e) {
      throw new DvsException(ErrorCode.IO_ERROR, "read from " + device + " failed: " + e, e);
    }
  }

  /** Drops the mapping of each PA (reference -1 on its L); an unmapped PA is a no-op. */
  public void release(long[] pas) {
    checkPas(pas);
    lock.lock();
    try {
      checkOpen();
      for (long pa : pas) {
        Long old = meta.lbaMap().remove(pa);
        if (old != null) {
          mappedPas--;
          dirty = true;
          dropReference(old);
        }
      }
    } catch (RuntimeException e) {
      throw failIfUnexpected(e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Makes every write and release that returned before this call durable: device sync, then the
   * metadata commit, then quarantined Ls become free. The first sync runs outside the lock so
   * writers keep going while the bulk of the data reaches the disk; the second, under the lock,
   * covers what they wrote meanwhile.
   */
  public void commit() {
    try {
      device.sync();
    } catch (IOException e) {
      lock.lock();
      try {
        throw fail(e);
      } finally {
        lock.unlock();
      }
    }
    lock.lock();
    try {
      checkOpen();
      commitLocked();
    } finally {
      lock.unlock();
    }
  }

  /** For the group committer: commits only when something changed. */
  public void commitIfDirty() {
    lock.lock();
    try {
      if (state != State.OPEN || (!dirty && allocator.quarantinedCount() == 0)) {
        return;
      }
    } finally {
      lock.unlock();
    }
    commit();
  }

  private void commitLocked() {
    if (!dirty && allocator.quarantinedCount() == 0) {
      return;
    }
    try {
      device.sync();
      meta.putCounter("usedBlocks", usedBlocks);
      meta.putCounter("mappedPas", mappedPas);
      meta.putCounter("uniqueWrites", uniqueWrites);
      meta.putCounter("duplicateWrites", duplicateWrites);
      meta.commit();
    } catch (IOException | RuntimeException e) {
      throw fail(e);
    }
    dirty = false;
    if (allocator.quarantinedCount() > 0) {
      reuseEpoch++; // before the discard, so a reader of an old L sees the change and retries
      discard(allocator.releaseQuarantine());
    }
  }

  /** Gives the space of freed Ls back to the device, in runs; a failure only costs space. */
  private void discard(long[] sortedLocations) {
    int start = 0;
    while (start < sortedLocations.length) {
      int end = start + 1;
      while (end < sortedLocations.length
          && sortedLocations[end] == sortedLocations[end - 1] + 1) {
        end++;
      }
      try {
        device.discard(sortedLocations[start], end - start);
      } catch (IOException e) {
        LOG.log(Level.FINE, "discard on " + device + " failed; space stays allocated", e);
      }
      start = end;
    }
  }

  public NodeStats stats() {
    lock.lock();
    try {
      return new NodeStats(allocator.capacityBlocks(), usedBlocks, mappedPas, uniqueWrites,
          duplicateWrites, 0, 0, 0);
    } finally {
      lock.unlock();
    }
  }

  /** The L that {@code pa} maps to, or -1: for tests and {@code dvs fsck}. */
  public long locationOf(long pa) {
    lock.lock();
    try {
      Long location = meta.lbaMap().get(pa);
      return location == null ? -1 : location;
    } finally {
      lock.unlock();
    }
  }

  /** The reference count of {@code location} (0 if it holds no data). */
  public long refCount(long location) {
    lock.lock();
    try {
      BlockRecord record = meta.block(location);
      return record == null ? 0 : record.refCount();
    } finally {
      lock.unlock();
    }
  }

  /** True while {@code location} is freed but its freeing is not committed yet. */
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
   * else thrown in the middle of a metadata change may leave the open transaction half-done, so
   * the engine stops and never commits it.
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
    lock.lock();
    try {
      if (state == State.CLOSED) {
        return;
      }
      try {
        if (state == State.OPEN) {
          commitLocked();
        }
      } finally {
        state = State.CLOSED;
        closeQuietly();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Test hook: stops as a crash would, losing everything not committed. */
  void crash() {
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
