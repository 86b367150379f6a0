package io.dvs.meta.volume;

import io.dvs.meta.snmm.Snmm;
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
import io.dvs.protocol.message.LptEntry;
import java.util.List;

/**
 * Applies one journal group's records to a volume (paper 1, 3.5: the group metadata update).
 * Runs inside the caller's {@code MetaStore.write} transaction: the first invalid record
 * throws BAD_REQUEST naming it, and the whole group rolls back. Every PA that loses its LPT
 * row is queued for release in the same transaction.
 *
 * <p>Not checked (client bugs the MS cannot see cheaply yet): two LPT rows sharing one PA, and
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

  JournalApplier(VolumeStore volumes, PaTable paSpace, Snmm snmm, VolumeRecord volume) {
    this.volumes = volumes;
    this.paSpace = paSpace;
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
      mapBlocks(r.ino(), r.entries());
    } else if (record instanceof UnmapBlocks r) {
      for (long blockIndex : r.blockIndexes()) {
        volumes.removeLptRow(volumeId, r.ino(), blockIndex).ifPresent(this::release);
      }
    } else if (record instanceof TruncateBlocks r) {
      volumes.removeLptRowsFrom(volumeId, r.ino(), r.fromBlock(), this::release);
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
    volumes.removeLptRowsFrom(volumeId, ino, 0, this::release);
  }

  private void mapBlocks(long ino, List<LptEntry> entries) {
    InodeAttrs attrs = volumes.inode(volumeId, ino).orElseThrow(
        () -> DvsException.badRequest("inode " + ino + " does not exist"));
    check(attrs.isRegular(), "inode " + ino + " is not a regular file");
    for (LptEntry row : entries) {
      check(row.blockIndex() < volumeBlocks, "block " + row.blockIndex()
          + " is past the volume's end (" + volumeBlocks + " blocks)");
      check(snmm.isKnown(row.snId()), "SN " + row.snId() + " is not registered");
      check(row.pa() < PaTable.PA_SPACE_BLOCKS, "PA " + row.pa() + " is past the PA space");
      var old = volumes.putLptRow(volumeId, ino, row);
      boolean same = old.isPresent() && old.get().snId() == row.snId()
          && old.get().pa() == row.pa();
      if (!same) {
        check(!paSpace.isFree(row.snId(), row.pa()),
            "PA " + row.pa() + " of SN " + row.snId() + " was never handed out in a WDACG");
        check(!paSpace.isReleasing(row.snId(), row.pa()),
            "PA " + row.pa() + " of SN " + row.snId() + " was released");
      }
      if (old.isEmpty()) {
        mappedBlocks++;
      } else if (!same) {
        paSpace.queueRelease(old.get().snId(), old.get().pa());
      }
    }
  }

  private void release(LptEntry removed) {
    mappedBlocks--;
    paSpace.queueRelease(removed.snId(), removed.pa());
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
