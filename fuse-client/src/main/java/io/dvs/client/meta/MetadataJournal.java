package io.dvs.client.meta;

import io.dvs.client.net.MetaClient;
import io.dvs.client.net.Retry;
import io.dvs.client.net.StorageClients;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.FsNames;
import io.dvs.protocol.ProtocolLimits;
import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.JournalGroup;
import io.dvs.protocol.message.JournalRecord;
import io.dvs.protocol.message.LptExtent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The volume's metadata journal on the client (paper 1, 3.5, asynchronous group update).
 * Namespace changes and new LPT rows are applied locally at once and queued here; {@link #ship}
 * sends them to the MS as one sequence-numbered group, after FLUSHing every SN written since
 * the last group, so the MS never holds a row whose data is not durable.
 *
 * <p>Attribute changes are coalesced: the latest attributes of each changed inode go out once
 * per group, ahead of the group's ordered records. Each record touches its own keys, an inode
 * is never changed again after its DeleteInode (inode numbers are not reused), and a group
 * holds every attribute change queued before it was cut, so this order gives the same final
 * state as the order of the changes, and no record names an inode the MS has not seen.
 *
 * <p>A group is cut only between namespace operations ({@link #cutBetweenOperationsOf}): the MS
 * applies a group all or nothing, so a crash of the client shows each operation done or not
 * done. A rename that replaces its target is a DeleteDirent and a PutDirent of the target's
 * name, and a cut between them left, after a crash, neither the old file nor the new one.
 * A rename over a file that is open is two operations: libfuse first renames the target to a
 * hidden name, then makes the rename, both on one thread within one request. A cut after such a
 * hide waits for that thread's next change or the end of its request ({@link #hidden}).
 */
public final class MetadataJournal {
  /** Encoded bytes in one group: well inside one frame. */
  static final int GROUP_BYTES_MAX = 4 * 1024 * 1024;
  /** Queued bytes past which writers wait for a ship: bounds client memory when the MS lags. */
  static final long PENDING_BYTES_MAX = 64L * 1024 * 1024;
  /**
   * How long one group is retried against an unreachable MS before ship() gives up (fsync then
   * fails with EIO; the group stays queued and goes out with the next ship).
   */
  static final long SHIP_RETRY_MS_MAX = Retry.TOTAL_WAIT_MS_DEFAULT;

  private final MetaClient meta;
  private final StorageClients storage;
  private final long volumeId;
  private final long epoch;
  private final Retry retry;

  /** Guarded by {@code this}: what is not yet in a group. */
  private final Map<Long, InodeAttrs> dirtyAttrs = new LinkedHashMap<>();
  private final ArrayDeque<JournalRecord> records = new ArrayDeque<>();
  /**
   * How long a cut waits at most after a hide for the rename that follows it on the same thread,
   * when no end of the request says that none will ({@link #requestEnded}; callers that are
   * not FUSE workers). A time bound alone can be overrun by a stall between the hide and the
   * rename (a GC pause, preemption); the end of the request cannot.
   */
  static final long HIDE_PAIR_WAIT_MS = 2_000;

  /** Written under {@code this}; read without it by {@link #throttle}. */
  private volatile long pendingBytes;
  /** Changes queued so far (attribute updates and records), for ship()'s "before this call". */
  private long queued;
  /**
   * The extents of each file's queued MapBlocks record that new ones may extend (ours, mutable):
   * only records queued since the last record of another kind and not yet cut into a group, so
   * an extent never moves past a record that could depend on it. Several files written at once
   * (their records interleave) each keep one growing record.
   */
  private final Map<Long, List<LptExtent>> openMapExtents = new HashMap<>();

  /**
   * Held by a namespace operation while it queues its records (null: none is known; tests):
   * a cut takes it first, so it never falls inside an operation.
   */
  private volatile Object cutLock;
  /** Threads whose {@link #throttle} was skipped inside a namespace operation. */
  private final ThreadLocal<Boolean> throttleOwed = ThreadLocal.withInitial(() -> Boolean.FALSE);
  /**
   * The thread of the last hide not yet followed by a change or request end of it; written under
   * {@code this}.
   */
  private volatile Thread hideThread;
  private long hideNanos;

  /** Serialises shipping so groups reach the MS in sequence order. Guards the fields below. */
  private final ReentrantLock shipLock = new ReentrantLock();
  private long lastSeq;
  private JournalGroup unacked;
  /**
   * The value of {@code queued} when {@code unacked} was cut if it took everything queued then;
   * -1 if limits left some behind (then it proves no point of the queue shipped).
   */
  private long unackedThrough;
  /** Every change counted up to this is acknowledged by the MS. */
  private long shippedThrough;

  public MetadataJournal(MetaClient meta, StorageClients storage, long volumeId, long epoch,
      long lastAppliedSeq) {
    this(meta, storage, volumeId, epoch, lastAppliedSeq,
        Retry.transientErrors().withTotalWaitMs(SHIP_RETRY_MS_MAX));
  }

  /** As above, with the policy for an MS that does not answer (tests shorten it). */
  public MetadataJournal(MetaClient meta, StorageClients storage, long volumeId, long epoch,
      long lastAppliedSeq, Retry retry) {
    this.retry = retry;
    this.meta = meta;
    this.storage = storage;
    this.volumeId = volumeId;
    this.epoch = epoch;
    this.lastSeq = lastAppliedSeq;
  }

  /**
   * Cuts groups only while no thread holds {@code lock}'s monitor: the namespace holds it for the
   * whole of each operation, which may queue several records. Lock order: {@code lock}, then
   * this journal. A writer that holds it does not ship when over the limit (the shipper would
   * wait for its lock): it pays in {@link #throttleIfOwed} after letting go.
   */
  public void cutBetweenOperationsOf(Object lock) {
    this.cutLock = lock;
  }

  /**
   * The namespace queued a hide (a rename to libfuse's hidden name of an open file): a group is
   * not cut until this thread queues its next change or ends its request
   * ({@link #requestEnded}), or {@link #HIDE_PAIR_WAIT_MS} passed.
   */
  public synchronized void hidden() {
    hideThread = Thread.currentThread();
    hideNanos = System.nanoTime();
  }

  /**
   * The FUSE request of this thread is over: a hide of it has had its rename, or will have
   * none (an unlink of an open file, a rename that failed).
   */
  public void requestEnded() {
    if (hideThread == Thread.currentThread()) { // after every request: no lock unless it hid
      synchronized (this) {
        pairEnded();
      }
    }
  }

  /** Under {@code this}: a change of the thread that hid ends the wait for its rename. */
  private void pairEnded() {
    if (hideThread == Thread.currentThread()) {
      hideThread = null;
    }
  }

  /** Whether a cut now would wait for a hide's rename; for tests. */
  synchronized boolean awaitingHidePair() {
    return hidePairWaitNanos() > 0;
  }

  /** Under {@code this}: how long a cut must still wait for a hide's rename; 0 if not. */
  private long hidePairWaitNanos() {
    if (hideThread == null) {
      return 0;
    }
    long left = hideNanos + TimeUnit.MILLISECONDS.toNanos(HIDE_PAIR_WAIT_MS) - System.nanoTime();
    if (left <= 0) {
      hideThread = null;
      return 0;
    }
    return left;
  }

  /** Queues the inode's current attributes (coalesced with earlier changes). */
  public void putInode(InodeAttrs attrs) {
    synchronized (this) {
      pairEnded();
      if (dirtyAttrs.put(attrs.ino(), attrs) == null) {
        pendingBytes += 96;
      }
      queued++;
    }
    throttle();
  }

  public void append(JournalRecord record) {
    synchronized (this) {
      // A DeleteInode keeps the inode's queued attributes: they go out at the head of the group,
      // before records that still name the inode (its blocks, entries, xattrs), and the delete
      // later in the group wins. Dropping them made the MS refuse such groups as a whole.
      pairEnded();
      queued++;
      List<LptExtent> open = record instanceof JournalRecord.MapBlocks m
          ? openMapExtents.get(m.ino()) : null;
      if (record instanceof JournalRecord.MapBlocks m && open != null
          && open.size() + m.extents().size() <= JournalRecord.BLOCKS_PER_RECORD_MAX) {
        // Extents of one file (a sequential write) extend its record in place, and an extent
        // that continues the last one grows it: the list is ours and still queued, so no group
        // holds it yet. Only extents that stay separate add bytes. Records of other files in
        // between are MapBlocks too (anything else closes every open record), and mappings of
        // different files do not depend on each other's order.
        for (LptExtent x : m.extents()) {
          int lastIndex = open.size() - 1;
          if (open.get(lastIndex).continuedBy(x)) {
            open.set(lastIndex, open.get(lastIndex).append(x));
          } else {
            open.add(x);
            pendingBytes += LptExtent.ENCODED_BYTES;
          }
        }
      } else if (record instanceof JournalRecord.MapBlocks m) {
        pendingBytes += estimateBytes(record);
        open = new ArrayList<>(m.extents());
        openMapExtents.put(m.ino(), open);
        records.addLast(new JournalRecord.MapBlocks(m.ino(), open));
      } else {
        pendingBytes += estimateBytes(record);
        openMapExtents.clear();
        records.addLast(record);
      }
    }
    throttle();
  }

  public synchronized boolean isEmpty() {
    return dirtyAttrs.isEmpty() && records.isEmpty();
  }

  /**
   * Blocks a writer while too much is queued and lets it ship (backpressure on the MS). Called
   * after every append. Inside a namespace operation it only notes that this thread owes it
   * ({@link #cutBetweenOperationsOf}); {@link #throttleIfOwed} pays after the operation.
   */
  private void throttle() {
    if (pendingBytes <= PENDING_BYTES_MAX) {
      return;
    }
    Object lock = cutLock;
    if (lock != null && Thread.holdsLock(lock)) {
      throttleOwed.set(Boolean.TRUE);
      return;
    }
    ship();
  }

  /**
   * For the filesystem after each operation: the throttle this thread skipped inside a
   * namespace operation, if any. Other threads (readers) never wait here for an MS that is away.
   */
  public void throttleIfOwed() {
    if (throttleOwed.get()) {
      throttleOwed.remove();
      throttle();
    }
  }

  /**
   * Sends everything queued before this call and waits for the MS to acknowledge it. A group
   * that fails is resent with the same sequence number (the MS ignores a duplicate).
   *
   * <p>Changes queued while this runs wait for the next call: chasing them kept a steady writer's
   * shipper busy without end, one FLUSH and one MS commit per round trip (23 groups a second
   * for a 1 GiB copy instead of one).
   */
  public void ship() {
    long target;
    synchronized (this) {
      target = queued;
    }
    shipLock.lock();
    try {
      while (shippedThrough < target) {
        if (unacked == null) {
          betweenOperations(() -> {
            synchronized (this) {
              unacked = cutGroup();
              unackedThrough = records.isEmpty() ? queued : -1;
            }
            return null;
          });
          if (unacked == null) {
            shippedThrough = Math.max(shippedThrough, unackedThrough);
            return;
          }
        }
        // Data before the metadata that points at it, on every attempt: a retried group must
        // not skip the flush that failed the first time.
        storage.flushWritten();
        send(unacked);
        lastSeq = unacked.seq();
        unacked = null;
        shippedThrough = Math.max(shippedThrough, unackedThrough);
      }
    } finally {
      shipLock.unlock();
    }
  }

  // Package-private for MetadataJournalTest.
  JournalGroup nextGroup() {
    return betweenOperations(this::cutGroup);
  }

  /**
   * Runs {@code cut} holding the cut lock, if any, so no operation is half queued meanwhile, and
   * not right after a hide whose rename is still to come.
   */
  private <T> T betweenOperations(Supplier<T> cut) {
    Object lock = cutLock;
    if (lock == null) {
      return cut.get();
    }
    while (true) {
      long wait;
      synchronized (lock) {
        synchronized (this) {
          wait = hidePairWaitNanos();
        }
        if (wait == 0) {
          return cut.get();
        }
      }
      LockSupport.parkNanos(wait);
    }
  }

  /**
   * The next group: every queued attribute change, then records from the head of the queue up
   * to the group limits. Only a backlog past those limits (an MS that was away) can end a group
   * inside an operation.
   */
  private JournalGroup cutGroup() {
    List<JournalRecord> group = new ArrayList<>();
    synchronized (this) {
      if (dirtyAttrs.isEmpty() && records.isEmpty()) {
        return null;
      }
      long bytes = 0;
      for (InodeAttrs a : dirtyAttrs.values()) {
        group.add(new JournalRecord.PutInode(a));
        bytes += 96;
      }
      dirtyAttrs.clear();
      openMapExtents.clear(); // the records go into a group now: no longer ours to extend
      while (!records.isEmpty() && group.size() < ProtocolLimits.JOURNAL_RECORDS_MAX
          && (group.isEmpty() || bytes + estimateBytes(records.peekFirst()) <= GROUP_BYTES_MAX)) {
        JournalRecord r = records.pollFirst();
        bytes += estimateBytes(r);
        group.add(r);
      }
      pendingBytes = Math.max(0, pendingBytes - bytes);
    }
    return new JournalGroup(volumeId, epoch, lastSeq + 1, group);
  }

  /** A transient failure is retried with the same seq: the MS acknowledges a duplicate. */
  private void send(JournalGroup group) {
    retry.run("metadata group " + group.seq(), () -> meta.applyJournal(group));
  }

  static boolean isTransient(ErrorCode code) {
    return Retry.TRANSIENT.contains(code);
  }

  private static long estimateBytes(JournalRecord r) {
    if (r instanceof JournalRecord.MapBlocks m) {
      return 16 + (long) m.extents().size() * LptExtent.ENCODED_BYTES;
    }
    if (r instanceof JournalRecord.UnmapBlocks u) {
      return 16 + 8L * u.blockIndexes().length;
    }
    if (r instanceof JournalRecord.PutInode) {
      return 96;
    }
    // A name's own length, not the longest name's (303 bytes): a group holds ~5x more name
    // records before GROUP_BYTES_MAX, the one place a group may still end inside an operation.
    if (r instanceof JournalRecord.PutDirent d) {
      return 48 + FsNames.encodedLength(d.name());
    }
    if (r instanceof JournalRecord.DeleteDirent d) {
      return 48 + FsNames.encodedLength(d.name());
    }
    return 48 + ProtocolLimits.NAME_BYTES_MAX;
  }
}
