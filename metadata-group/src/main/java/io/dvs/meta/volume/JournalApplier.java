package io.dvs.meta.volume;

import io.dvs.meta.snmm.Snmm;
import io.dvs.meta.store.PaRanges;
import io.dvs.meta.store.PaTable;
import io.dvs.meta.store.VolumeRecord;
import io.dvs.meta.store.VolumeStore;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ProtocolLimits;
import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.JournalRecord;
import io.dvs.protocol.message.JournalRecord.DeleteDirent;
import io.dvs.protocol.message.JournalRecord.DeleteInode;
import io.dvs.protocol.message.JournalRecord.MapBlocks;
import io.dvs.protocol.message.JournalRecord.PutDirent;
import io.dvs.protocol.message.JournalRecord.PutInode;
import io.dvs.protocol.message.JournalRecord.TruncateBlocks;
import io.dvs.protocol.message.JournalRecord.UnmapBlocks;
import io.dvs.protocol.message.LptExtent;
import java.util.List;

/**
 * Applies one journal group's records to a volume (paper 1, 3.5: the group metadata update).
 * Runs inside the caller's {@code MetaStore.write} transaction: the first invalid record
 * throws BAD_REQUEST naming it, and the whole group rolls back. Every PA that loses its LPT
 * row is queued for release in the same transaction.
 *
 * <p>Not checked (client bugs the MS cannot see cheaply yet): two LPT blocks sharing one PA, and
 * a PA mapped by a client other than the one it was handed to (capabilities, a later issue).
 */
final class JournalApplier {
  private final VolumeStore volumes;
  private final PaTable paSpace;
  private final Snmm snmm;
  private final long volumeId;
  private final long volumeBlocks;
  private long nextIno;
  private long inodes;
  private long mappedBlocks;
  /** PAs the record being applied took out of the LPT; queued for release after it, merged. */
  private final PaRanges released;

  JournalApplier(VolumeStore volumes, PaTable paSpace, Snmm snmm, VolumeRecord volume) {
    this.volumes = volumes;
    this.paSpace = paSpace;
    this.released = new PaRanges((snId, start, end) -> paSpace.queueRelease(snId, start,
        end - start));
    this.snmm = snmm;
    this.volumeId = volume.volumeId();
    this.volumeBlocks = (volume.sizeBytes() + ProtocolLimits.BLOCK_SIZE_BYTES - 1)
        / ProtocolLimits.BLOCK_SIZE_BYTES;
    this.nextIno = volume.nextIno();
    this.inodes = volume.inodes();
    this.mappedBlocks = volume.mappedBlocks();
  }

  /** Applies the records in order; returns the volume record with the new counters and seq. */
  VolumeRecord apply(VolumeRecord volume, long seq, List<JournalRecord> records) {
    for (int i = 0; i < records.size(); i++) {
      JournalRecord record = records.get(i);
      try {
        applyOne(record);
        released.flush();
      } catch (DvsException e) {
        throw DvsException.badRequest("journal group " + seq + ", record " + i + " ("
            + record.getClass().getSimpleName() + "): " + e.getMessage()
            + "; the whole group was rejected");
      }
    }
    return volume.withJournal(nextIno, seq, inodes, mappedBlocks);
  }

  private void applyOne(JournalRecord record) {
    if (record instanceof PutInode r) {
      putInode(r.attrs());
    } else if (record instanceof DeleteInode r) {
      deleteInode(r.ino());
    } else if (record instanceof PutDirent r) {
      requireDirectory(r.parentIno());
      check(r.childIno() >= InodeAttrs.ROOT_INO, "child ino " + r.childIno() + " (expected: >= 1)");
      volumes.putDirent(volumeId, r.parentIno(), Names.checkEntryName(r.name()), r.childIno());
    } else if (record instanceof DeleteDirent r) {
      volumes.deleteDirent(volumeId, r.parentIno(), Names.checkEntryName(r.name()));
    } else if (record instanceof MapBlocks r) {
      mapBlocks(r.ino(), r.extents());
    } else if (record instanceof UnmapBlocks r) {
      for (long blockIndex : r.blockIndexes()) {
        volumes.unmapRange(volumeId, r.ino(), blockIndex, blockIndex + 1, this::release);
      }
    } else if (record instanceof TruncateBlocks r) {
      volumes.unmapRange(volumeId, r.ino(), r.fromBlock(), Long.MAX_VALUE, this::release);
    } else if (record instanceof JournalRecord.PutXattrs r) {
      check(volumes.inode(volumeId, r.ino()).isPresent(), "inode " + r.ino() + " does not exist");
      volumes.putXattrs(volumeId, r.ino(), r.xattrs());
    } else {
      throw DvsException.badRequest("unknown record kind");
    }
  }

  private void putInode(InodeAttrs attrs) {
    check(attrs.ino() >= InodeAttrs.ROOT_INO, "ino " + attrs.ino() + " (expected: >= 1)");
    check(attrs.ino() != InodeAttrs.ROOT_INO || attrs.isDirectory(),
        "the root inode must stay a directory (mode " + Integer.toOctalString(attrs.mode()) + ")");
    check(attrs.ino() < Long.MAX_VALUE, "ino " + attrs.ino() + " leaves no next inode number");
    if (volumes.putInode(volumeId, attrs)) {
      inodes++;
    }
    nextIno = Math.max(nextIno, attrs.ino() + 1);
  }

  private void deleteInode(long ino) {
    check(ino != InodeAttrs.ROOT_INO, "the root inode cannot be deleted");
    if (volumes.deleteInode(volumeId, ino)) {
      inodes--;
    }
    volumes.unmapRange(volumeId, ino, 0, Long.MAX_VALUE, this::release);
  }

  private void mapBlocks(long ino, List<LptExtent> extents) {
    InodeAttrs attrs = volumes.inode(volumeId, ino).orElseThrow(
        () -> DvsException.badRequest("inode " + ino + " does not exist"));
    check(attrs.isRegular(), "inode " + ino + " is not a regular file");
    long before = volumes.mapExtents(volumeId, ino, extents, x -> {
      check(x.endBlock() <= volumeBlocks, "blocks " + x.firstBlock() + "+" + x.count()
          + " reach past the volume's end (" + volumeBlocks + " blocks)");
      check(snmm.isKnown(x.snId()), "SN " + x.snId() + " is not registered");
      check(x.firstPa() + x.count() <= PaTable.PA_SPACE_BLOCKS,
          "PAs " + x.firstPa() + "+" + x.count() + " reach past the PA space");
      // A mapped PA is used, never free or releasing; a replayed extent passes too. Checked
      // as each extent comes up, after the earlier ones queued the PAs they replaced.
      check(!paSpace.anyFree(x.snId(), x.firstPa(), x.count()), "PAs " + x.firstPa() + "+"
          + x.count() + " of SN " + x.snId() + " were never all handed out in a WDACG");
      check(!paSpace.anyReleasing(x.snId(), x.firstPa(), x.count())
          && !released.overlaps(x.snId(), x.firstPa(), x.count()), "PAs " + x.firstPa()
          + "+" + x.count() + " of SN " + x.snId() + " include released ones");
    }, old -> released.add(old.snId(), old.firstPa(), old.count()));
    for (LptExtent x : extents) {
      mappedBlocks += x.count();
    }
    mappedBlocks -= before;
  }

  private void release(LptExtent removed) {
    mappedBlocks -= removed.count();
    released.add(removed.snId(), removed.firstPa(), removed.count());
  }

  private void requireDirectory(long ino) {
    InodeAttrs attrs = volumes.inode(volumeId, ino).orElseThrow(
        () -> DvsException.badRequest("directory inode " + ino + " does not exist"));
    check(attrs.isDirectory(), "inode " + ino + " is not a directory");
  }

  private static void check(boolean condition, String problem) {
    if (!condition) {
      throw DvsException.badRequest(problem);
    }
  }
}
