package io.dvs.client.meta;

import io.dvs.client.net.Futures;
import io.dvs.client.net.MetaClient;
import io.dvs.client.net.StorageClients;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.ProtocolLimits;
import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.JournalGroup;
import io.dvs.protocol.message.JournalRecord;
import io.dvs.protocol.message.LptEntry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The volume's metadata journal on the client (paper 1, 3.5, asynchronous group update).
 * Namespace changes and new LPT rows are applied locally at once and queued here; {@link #ship}
 * sends them to the MS as one sequence-numbered group, after FLUSHing every SN written since
 * the last group, so the MS never holds a row whose data is not durable.
 *
 * <p>Attribute changes are coalesced: the latest attributes of each changed inode go out once
 * per group, ahead of the group's ordered records (each record touches its own keys, and a
 * deleted inode leaves the dirty set, so this order gives the same final state).
 */
public final class MetadataJournal {
  private static final Logger LOG = Logger.getLogger(MetadataJournal.class.getName());

  /** Encoded bytes in one group: well inside one frame. */
  static final int GROUP_BYTES_MAX = 4 * 1024 * 1024;
  /** Queued bytes past which writers wait for a ship: bounds client memory when the MS lags. */
  static final long PENDING_BYTES_MAX = 64L * 1024 * 1024;
  /** How long one group is retried against an unreachable MS before ship() gives up. */
  static final long SHIP_RETRY_MS_MAX = 120_000;
  static final long SHIP_BACKOFF_MS_MAX = 2_000;

  private final MetaClient meta;
  private final StorageClients storage;
  private final long volumeId;
  private final long epoch;

  /** Guarded by {@code this}: what is not yet in a group. */
  private final Map<Long, InodeAttrs> dirtyAttrs = new LinkedHashMap<>();
  private final ArrayDeque<JournalRecord> records = new ArrayDeque<>();
  private long pendingBytes;

  /** Serialises shipping so groups reach the MS in sequence order. Guards the fields below. */
  private final ReentrantLock shipLock = new ReentrantLock();
  private long lastSeq;
  private JournalGroup unacked;

  public MetadataJournal(MetaClient meta, StorageClients storage, long volumeId, long epoch,
      long lastAppliedSeq) {
    this.meta = meta;
    this.storage = storage;
    this.volumeId = volumeId;
    this.epoch = epoch;
    this.lastSeq = lastAppliedSeq;
  }

  /** Queues the inode's current attributes (coalesced with earlier changes). */
  public void putInode(InodeAttrs attrs) {
    synchronized (this) {
      if (dirtyAttrs.put(attrs.ino(), attrs) == null) {
        pendingBytes += 96;
      }
    }
    throttle();
  }

  public void append(JournalRecord record) {
    synchronized (this) {
      if (record instanceof JournalRecord.DeleteInode d) {
        dirtyAttrs.remove(d.ino());
      }
      if (record instanceof JournalRecord.MapBlocks m && !records.isEmpty()
          && records.peekLast() instanceof JournalRecord.MapBlocks last
          && last.ino() == m.ino() && last.entries().size() + m.entries().size()
              <= JournalRecord.BLOCKS_PER_RECORD_MAX) {
        records.pollLast();
        List<LptEntry> merged = new ArrayList<>(last.entries());
        merged.addAll(m.entries());
        record = new JournalRecord.MapBlocks(m.ino(), merged);
      }
      records.addLast(record);
      pendingBytes += estimateBytes(record);
    }
    throttle();
  }

  public synchronized boolean isEmpty() {
    return dirtyAttrs.isEmpty() && records.isEmpty();
  }

  /** Blocks a writer while too much is queued and lets it ship (backpressure on the MS). */
  private void throttle() {
    boolean over;
    synchronized (this) {
      over = pendingBytes > PENDING_BYTES_MAX;
    }
    if (over) {
      ship();
    }
  }

  /**
   * Sends everything queued before this call and waits for the MS to acknowledge it. A group
   * that fails is resent with the same sequence number (the MS ignores a duplicate).
   */
  public void ship() {
    shipLock.lock();
    try {
      while (true) {
        if (unacked == null) {
          unacked = nextGroup();
          if (unacked == null) {
            return;
          }
          storage.flushWritten(); // Data before the metadata that points at it.
        }
        send(unacked);
        lastSeq = unacked.seq();
        unacked = null;
      }
    } finally {
      shipLock.unlock();
    }
  }

  private JournalGroup nextGroup() {
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

  private void send(JournalGroup group) {
    long deadline = System.currentTimeMillis() + SHIP_RETRY_MS_MAX;
    long backoffMs = 50;
    while (true) {
      try {
        meta.applyJournal(group);
        return;
      } catch (DvsException e) {
        if (!isTransient(e.code()) || System.currentTimeMillis() > deadline) {
          throw e;
        }
        LOG.log(Level.INFO, "metadata group " + group.seq() + " not applied yet: "
            + e.getMessage() + "; retrying");
      } catch (RuntimeException e) {
        throw Futures.unwrap(e);
      }
      sleep(backoffMs);
      backoffMs = Math.min(SHIP_BACKOFF_MS_MAX, backoffMs * 2);
    }
  }

  static boolean isTransient(ErrorCode code) {
    return code == ErrorCode.TIMEOUT || code == ErrorCode.CONNECTION_LOST
        || code == ErrorCode.UNAVAILABLE;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DvsException(ErrorCode.UNAVAILABLE, "interrupted while shipping metadata");
    }
  }

  private static long estimateBytes(JournalRecord r) {
    if (r instanceof JournalRecord.MapBlocks m) {
      return 16 + (long) m.entries().size() * LptEntry.ENCODED_BYTES;
    }
    if (r instanceof JournalRecord.UnmapBlocks u) {
      return 16 + 8L * u.blockIndexes().length;
    }
    if (r instanceof JournalRecord.PutInode) {
      return 96;
    }
    return 48 + ProtocolLimits.NAME_BYTES_MAX;
  }
}
