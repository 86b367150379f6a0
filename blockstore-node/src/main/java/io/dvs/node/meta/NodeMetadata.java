package io.dvs.node.meta;

import com.google.common.base.Preconditions;
import com.google.common.base.Verify;
import io.dvs.node.dedup.FingerprintIndex;
import io.dvs.node.index.FingerprintFilter;
import io.dvs.node.index.ThreeLevelIndex;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.LongPredicate;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The SN's metadata, all in memory: the LBA map, the block table (reference counts and
 * fingerprints), the three-level index with its Bloom filter, and the dedup counters; made
 * durable by a write-ahead {@link Journal} of logical records and bounded by periodic
 * {@link Checkpoint}s (docs/format/sn-journal.md).
 *
 * <p>Each change ({@link #mapNew}, {@link #mapExisting}, {@link #release}) applies to memory
 * and appends one record to the open batch. The engine commits the batch with
 * {@link #takeBatch} (under its lock) and {@link #writeBatch} (outside it, after the device
 * sync). Replay at open runs the very same methods with journaling off, so a restart reaches
 * exactly the state of the last durable batch.
 *
 * <p>Not thread-safe: the dedup engine's metadata lock guards every call except
 * {@link #writeBatch}, which its commit lock serialises.
 */
public final class NodeMetadata implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(NodeMetadata.class.getName());

  /** Checkpoint once the journal passes 64 MiB (~1.3M unique blocks): restart replays little. */
  public static final long JOURNAL_BYTES_CHECKPOINT = 64L << 20;

  /** The mutable state a checkpoint captures. */
  static final class State {
    final LbaMap lba = new LbaMap();
    final BlockTable blocks;
    long uniqueWrites;
    long duplicateWrites;

    State(int digestBytes) {
      blocks = new BlockTable(digestBytes);
    }
  }

  /** A closed batch: its records and the Ls it freed. */
  public record Batch(byte[] records, int length, long[] freed) {}

  private final Path dir;
  private final UUID uuid;
  private final State state;
  private final ThreeLevelIndex index;
  private final FingerprintFilter filter;
  private long capacityBlocks;
  private JournalRecords records;
  private Journal journal;
  private long journalSeq;
  private boolean replaying;

  private NodeMetadata(Path dir, UUID uuid, int digestBytes, long capacityBlocks) {
    this.dir = dir;
    this.uuid = uuid;
    this.state = new State(digestBytes);
    this.index = new ThreeLevelIndex(state.blocks::matches);
    this.filter = new FingerprintFilter(capacityBlocks);
    this.capacityBlocks = capacityBlocks;
    this.records = new JournalRecords(digestBytes);
  }

  /** Formats empty metadata in {@code dir}: checkpoint (journal 1 next), then journal 1. */
  public static NodeMetadata create(Path dir, UUID uuid, int digestBytes, long capacityBlocks)
      throws IOException {
    Preconditions.checkArgument(!Files.exists(dir.resolve(Checkpoint.FILE_NAME)),
        "%s exists", dir.resolve(Checkpoint.FILE_NAME));
    NodeMetadata meta = new NodeMetadata(dir, uuid, digestBytes, capacityBlocks);
    meta.journal = Journal.create(dir, 1, uuid, digestBytes);
    meta.journalSeq = 1;
    Checkpoint.write(dir, uuid, 1, meta.state);
    return meta;
  }

  /**
   * Loads the checkpoint, replays the journals after it, checks the invariants and builds the
   * index and filter. Anything inconsistent is an IO_ERROR naming the file.
   */
  public static NodeMetadata open(Path dir, UUID uuid, int digestBytes, long capacityBlocks) {
    NodeMetadata meta = new NodeMetadata(dir, uuid, digestBytes, capacityBlocks);
    meta.load();
    Consistency.Report report = Consistency.check(meta.state.lba, meta.state.blocks);
    if (!report.clean()) {
      meta.closeQuietly();
      throw new DvsException(ErrorCode.IO_ERROR, "metadata in " + dir + " is inconsistent: "
          + report.leakedBlocks() + " leaked blocks, " + report.refCountMismatches()
          + " reference count mismatches, " + report.danglingPas() + " dangling PAs (first: "
          + report.problems().get(0) + "); refusing to start (run 'dvs node fsck --repair "
          + dir + "')");
    }
    return meta;
  }

  /** For fsck: loads without the invariant check. */
  public static NodeMetadata openUnchecked(Path dir, UUID uuid, int digestBytes,
      long capacityBlocks) {
    NodeMetadata meta = new NodeMetadata(dir, uuid, digestBytes, capacityBlocks);
    meta.load();
    return meta;
  }

  private void load() {
    Checkpoint.Header header = Checkpoint.read(dir, uuid, capacityBlocks, state);
    List<Long> seqs = journalSeqs();
    long seq = header.nextJournalSeq();
    replaying = true;
    try {
      for (long s : seqs) {
        if (s < seq) {
          Files.deleteIfExists(Journal.fileFor(dir, s)); // covered by the checkpoint
        }
      }
      while (seqs.contains(seq)) {
        if (journal != null) {
          journal.close();
        }
        journal = Journal.replay(Journal.fileFor(dir, seq), uuid, state.blocks.digestBytes(),
            seq, this::replayRecord);
        journalSeq = seq++;
      }
      if (journal == null) { // crash between checkpoint rename and journal creation
        journal = Journal.create(dir, seq, uuid, state.blocks.digestBytes());
        journalSeq = seq;
      }
      if (seqs.stream().anyMatch(s -> s > journalSeq)) {
        throw Journal.corrupt(Journal.fileFor(dir, journalSeq + 1), "a journal file is missing "
            + "before it (found " + seqs + ", checkpoint starts at " + header.nextJournalSeq()
            + ")");
      }
    } catch (IOException e) {
      closeQuietly();
      throw new DvsException(ErrorCode.IO_ERROR, "cannot read the metadata journal in " + dir
          + ": " + e, e);
    } catch (RuntimeException e) {
      closeQuietly();
      throw e;
    } finally {
      replaying = false;
    }
    state.blocks.forEach((location, refCount) -> {
      if (!state.blocks.contentUnknown(location)) {
        index.insert(state.blocks.fingerprint(location), location);
      }
    });
    filter.rebuild(Math.max(capacityBlocks, state.blocks.usedBlocks()), this::liveFingerprints);
  }

  private List<Long> journalSeqs() {
    try (Stream<Path> files = Files.list(dir)) {
      List<Long> seqs = new ArrayList<>();
      files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(Journal.PREFIX))
          .forEach(n -> {
            try {
              seqs.add(Long.parseLong(n.substring(Journal.PREFIX.length())));
            } catch (NumberFormatException e) {
              throw Journal.corrupt(dir.resolve(n), "not a journal file name");
            }
          });
      seqs.sort(null);
      return seqs;
    } catch (IOException e) {
      throw new DvsException(ErrorCode.IO_ERROR, "cannot list " + dir + ": " + e, e);
    }
  }

  private void replayRecord(ByteBuffer r) {
    byte type = r.get();
    if (type == JournalRecords.INDEX) {
      long location = r.getLong();
      byte[] fp = new byte[state.blocks.digestBytes()];
      r.get(fp);
      Verify.verify(refCount(location) > 0 && state.blocks.contentUnknown(location),
          "journal indexes L %s, which is empty or of known content", location);
      index(location, fp);
      return;
    }
    long pa = r.getLong();
    Verify.verify(pa >= 0, "journal record with PA %s", pa);
    switch (type) {
      case JournalRecords.NEW -> {
        long location = r.getLong();
        byte[] fp = new byte[state.blocks.digestBytes()];
        r.get(fp);
        Verify.verify(location >= 0 && location < capacityBlocks && refCount(location) == 0,
            "journal stores new content at L %s, which is outside 0..%s or holds data",
            location, capacityBlocks);
        mapNew(pa, location, fp);
      }
      case JournalRecords.DUP -> {
        long location = r.getLong();
        Verify.verify(refCount(location) > 0, "journal maps PA %s to empty L %s", pa, location);
        mapExisting(pa, location);
      }
      case JournalRecords.RELEASE -> release(pa);
      case JournalRecords.REWRITE -> {
        long location = r.getLong();
        Verify.verify(state.lba.get(pa) == location && refCount(location) == 1,
            "journal rewrites L %s in place for PA %s, which maps to L %s of %s references",
            location, pa, state.lba.get(pa), refCount(state.lba.get(pa)));
        rewrite(pa);
      }
      default -> throw new com.google.common.base.VerifyException("journal record type " + type);
    }
  }

  private void liveFingerprints(java.util.function.Consumer<byte[]> sink) {
    state.blocks.forEach((location, refCount) -> {
      if (!state.blocks.contentUnknown(location)) {
        sink.accept(state.blocks.fingerprint(location));
      }
    });
  }

  /**
   * The first L holding this content that {@code usable} accepts (see
   * {@link FingerprintIndex#lookup(byte[], LongPredicate)}), or NO_LOCATION; counted in the
   * filter statistics.
   */
  public long lookup(byte[] fingerprint, LongPredicate usable) {
    if (!filter.mightContain(fingerprint)) {
      return FingerprintIndex.NO_LOCATION;
    }
    long location = index.lookup(fingerprint, usable);
    if (location == FingerprintIndex.NO_LOCATION
        && index.lookup(fingerprint) == FingerprintIndex.NO_LOCATION) {
      filter.countFalsePositive(); // not when only unusable Ls hold it: the filter was right
    }
    return location;
  }

  /** As {@link #lookup}, not counted: the engine's second look under the lock. */
  public long lookupAgain(byte[] fingerprint, LongPredicate usable) {
    return index.lookup(fingerprint, usable);
  }

  /** New content at free L; PA → L. Returns the L this freed (PA's old one), or NONE. */
  public long mapNew(long pa, long location, byte[] fingerprint) {
    state.blocks.create(location, fingerprint, 1);
    state.uniqueWrites++;
    if (!replaying) { // replay leaves index and filter to be built once, after it
      index.insert(fingerprint, location);
      filter.put(fingerprint);
      records.putNew(pa, location, fingerprint);
    }
    return dropOld(state.lba.put(pa, location));
  }

  /** PA → an L holding data: +1 there first, then -1 on PA's old L. Returns the L freed. */
  public long mapExisting(long pa, long location) {
    state.duplicateWrites++;
    if (!replaying) {
      records.putDup(pa, location);
    }
    if (state.lba.get(pa) == location) {
      return LbaMap.NONE; // the same data to the same PA again: an idempotent retry
    }
    state.blocks.increment(location);
    return dropOld(state.lba.put(pa, location));
  }

  /** Unmaps PA. Returns the L freed, or NONE. */
  public long release(long pa) {
    long old = state.lba.remove(pa);
    if (old == LbaMap.NONE) {
      return LbaMap.NONE;
    }
    if (!replaying) {
      records.putRelease(pa);
    }
    return dropOld(old);
  }

  private long dropOld(long old) {
    if (old == LbaMap.NONE) {
      return LbaMap.NONE;
    }
    byte[] fingerprint = state.blocks.refCount(old) == 1 && !state.blocks.contentUnknown(old)
        ? state.blocks.fingerprint(old) : null;
    if (state.blocks.decrement(old) > 0) {
      return LbaMap.NONE;
    }
    if (!replaying) {
      if (fingerprint != null) {
        index.remove(fingerprint, old);
      }
      filter.noteRemoved();
      records.addFreed(old);
    }
    return old;
  }

  /**
   * PA's L, its only reference, is about to get new content in place: the L leaves the index
   * and its content is unknown until {@link #index}. The engine writes the new data only after
   * this record is durable, so after a crash the index never names content the L may no longer
   * hold. A no-op (no record) if the content is unknown already.
   */
  public void rewrite(long pa) {
    long location = state.lba.get(pa);
    Verify.verify(location != LbaMap.NONE && state.blocks.refCount(location) == 1,
        "rewrite in place of PA %s at L %s", pa, location);
    if (state.blocks.contentUnknown(location)) {
      return; // not counted either: a restart, replaying the records, would not count it
    }
    state.uniqueWrites++;
    if (!replaying) {
      index.remove(state.blocks.fingerprint(location), location);
      filter.noteRemoved();
      records.putRewrite(pa, location);
    }
    state.blocks.forgetContent(location);
  }

  /** An L of unknown content holds {@code fingerprint}'s content, durably: it is indexed again. */
  public void index(long location, byte[] fingerprint) {
    state.blocks.setFingerprint(location, fingerprint);
    if (!replaying) {
      index.insert(fingerprint, location);
      filter.put(fingerprint);
      records.putIndex(location, fingerprint);
    }
  }

  /** True if L holds data whose content is unknown (being or having been rewritten in place). */
  public boolean contentUnknown(long location) {
    return state.blocks.contentUnknown(location);
  }

  /** The used Ls whose content is unknown: after a crash, those that were being rewritten. */
  public long[] unknownContent() {
    List<Long> found = new ArrayList<>();
    state.blocks.forEach((location, refCount) -> {
      if (state.blocks.contentUnknown(location)) {
        found.add(location);
      }
    });
    return found.stream().mapToLong(Long::longValue).toArray();
  }

  /** Rebuilds the Bloom filter if deletions or growth made it stale; true if it did. */
  public boolean rebuildFilterIfStale() {
    if (!filter.needsRebuild(state.blocks.usedBlocks())) {
      return false;
    }
    filter.rebuild(Math.max(capacityBlocks, state.blocks.usedBlocks()), this::liveFingerprints);
    LOG.fine(() -> "rebuilt the Bloom filter over " + state.blocks.usedBlocks() + " blocks");
    return true;
  }

  /** The device set grew (algorithm 4): Ls up to the new capacity are valid. */
  public void growCapacity(long newCapacityBlocks) {
    Preconditions.checkArgument(newCapacityBlocks >= capacityBlocks, "shrink to %s",
        newCapacityBlocks);
    capacityBlocks = newCapacityBlocks;
  }

  public long locationOf(long pa) {
    return state.lba.get(pa);
  }

  public int refCount(long location) {
    return state.blocks.refCount(location);
  }

  /** Bytes waiting in the open batch. */
  public int openBatchBytes() {
    return records.length();
  }

  public boolean hasOpenBatch() {
    return !records.isEmpty();
  }

  /** Closes the open batch (under the engine lock); the next changes start a new one. */
  public Batch takeBatch() {
    JournalRecords closed = records;
    records = new JournalRecords(state.blocks.digestBytes());
    return new Batch(closed.bytes(), closed.length(), closed.freed());
  }

  /** Appends a closed batch to the journal and fdatasyncs it. */
  public void writeBatch(Batch batch) throws IOException {
    if (batch.length() > 0) {
      journal.append(batch.records(), batch.length());
    }
  }

  public boolean checkpointDue() {
    return journal.sizeBytes() > JOURNAL_BYTES_CHECKPOINT;
  }

  /**
   * Snapshots the state and starts a new journal; the caller holds the engine lock and has
   * just written every batch. Order: new journal file, checkpoint naming it, old journal gone.
   */
  public void checkpoint() throws IOException {
    Verify.verify(records.isEmpty(), "checkpoint with %s bytes in the open batch",
        records.length());
    Journal next = Journal.create(dir, journalSeq + 1, uuid, state.blocks.digestBytes());
    Checkpoint.write(dir, uuid, journalSeq + 1, state);
    Journal old = journal;
    journal = next;
    journalSeq++;
    old.close();
    Files.deleteIfExists(old.file());
  }

  /** For fsck --repair: fixes counts, frees leaks; returns the Ls freed. */
  public long[] repairReferences() {
    // The in-memory index keeps entries of freed Ls: fsck writes a checkpoint and closes.
    return Consistency.repair(state.lba, state.blocks);
  }

  public Consistency.Report check() {
    return Consistency.check(state.lba, state.blocks);
  }

  public LbaMap lbaMap() {
    return state.lba;
  }

  public BlockTable blockTable() {
    return state.blocks;
  }

  public long usedBlocks() {
    return state.blocks.usedBlocks();
  }

  public long mappedPas() {
    return state.lba.size();
  }

  public long uniqueWrites() {
    return state.uniqueWrites;
  }

  public long duplicateWrites() {
    return state.duplicateWrites;
  }

  public FingerprintFilter filter() {
    return filter;
  }

  public ThreeLevelIndex index() {
    return index;
  }

  public Path dir() {
    return dir;
  }

  @Override
  public void close() {
    closeQuietly();
  }

  private void closeQuietly() {
    if (journal != null) {
      try {
        journal.close();
      } catch (IOException e) {
        LOG.fine(() -> "closing journal: " + e);
      }
    }
  }
}
