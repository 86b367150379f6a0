package io.dvs.protocol.message;

import static io.dvs.protocol.ProtocolLimits.NAME_BYTES_MAX;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.WireReader;
import io.dvs.protocol.WireWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * One change in a volume's metadata journal (paper 1, 3.5: the client applies changes locally
 * and ships them to the MS in groups). Each record states a result, not a delta, so applying
 * a group twice leaves the same state as applying it once.
 *
 * <p>Each record is {@code u8 type | fields}; types are explicit codes, never ordinals.
 */
public sealed interface JournalRecord {
  /** Extents in one MAP_BLOCKS record, block indexes in one UNMAP_BLOCKS record. */
  int BLOCKS_PER_RECORD_MAX = 65_536;

  int type();

  void writeFields(WireWriter w);

  /** Type 1: create or replace the inode's attributes. */
  record PutInode(InodeAttrs attrs) implements JournalRecord {
    public int type() {
      return 1;
    }

    public void writeFields(WireWriter w) {
      attrs.writeTo(w);
    }
  }

  /** Type 2: the inode is gone; the MS drops its LPT and releases its PAs. */
  record DeleteInode(long ino) implements JournalRecord {
    public int type() {
      return 2;
    }

    public void writeFields(WireWriter w) {
      w.i64(ino);
    }
  }

  /** Type 3: directory {@code parentIno} has entry {@code name} naming {@code childIno}. */
  record PutDirent(long parentIno, String name, long childIno) implements JournalRecord {
    public int type() {
      return 3;
    }

    public void writeFields(WireWriter w) {
      w.i64(parentIno).string(name).i64(childIno);
    }
  }

  /** Type 4: directory {@code parentIno} no longer has entry {@code name}. */
  record DeleteDirent(long parentIno, String name) implements JournalRecord {
    public int type() {
      return 4;
    }

    public void writeFields(WireWriter w) {
      w.i64(parentIno).string(name);
    }
  }

  /**
   * Type 5: LPT extents for inode {@code ino}. A block whose PA changes releases its old PA.
   */
  record MapBlocks(long ino, List<LptExtent> extents) implements JournalRecord {
    public int type() {
      return 5;
    }

    public void writeFields(WireWriter w) {
      w.i64(ino).i32(extents.size());
      extents.forEach(e -> e.writeTo(w));
    }
  }

  /** Type 6: these logical blocks of {@code ino} are holes now; their PAs are released. */
  record UnmapBlocks(long ino, long[] blockIndexes) implements JournalRecord {
    public int type() {
      return 6;
    }

    public void writeFields(WireWriter w) {
      w.i64(ino).i32(blockIndexes.length);
      for (long index : blockIndexes) {
        w.i64(index);
      }
    }
  }

  /** Type 7: every logical block of {@code ino} at or past {@code fromBlock} is released. */
  record TruncateBlocks(long ino, long fromBlock) implements JournalRecord {
    public int type() {
      return 7;
    }

    public void writeFields(WireWriter w) {
      w.i64(ino).i64(fromBlock);
    }
  }

  /**
   * Type 8: inode {@code ino}'s extended attributes are now exactly {@code xattrs} (an empty
   * set removes them all). Whole sets, like PutInode, keep replay idempotent.
   */
  record PutXattrs(long ino, Xattrs xattrs) implements JournalRecord {
    public int type() {
      return 8;
    }

    public void writeFields(WireWriter w) {
      w.i64(ino);
      xattrs.writeTo(w);
    }
  }

  static void write(JournalRecord record, WireWriter w) {
    w.u8(record.type());
    record.writeFields(w);
  }

  static JournalRecord read(WireReader r) {
    int type = r.u8("record type");
    switch (type) {
      case 1:
        return new PutInode(InodeAttrs.readFrom(r));
      case 2:
        return new DeleteInode(r.nonNegative("ino"));
      case 3:
        return new PutDirent(r.nonNegative("parentIno"), r.string("name", NAME_BYTES_MAX),
            r.nonNegative("childIno"));
      case 4:
        return new DeleteDirent(r.nonNegative("parentIno"), r.string("name", NAME_BYTES_MAX));
      case 5: {
        long ino = r.nonNegative("ino");
        int count = r.count("extents", BLOCKS_PER_RECORD_MAX);
        List<LptExtent> extents = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          extents.add(LptExtent.readFrom(r));
        }
        return new MapBlocks(ino, extents);
      }
      case 6: {
        long ino = r.nonNegative("ino");
        long[] indexes = new long[r.count("blockIndexes", BLOCKS_PER_RECORD_MAX)];
        for (int i = 0; i < indexes.length; i++) {
          indexes[i] = r.nonNegative("blockIndex");
        }
        return new UnmapBlocks(ino, indexes);
      }
      case 7:
        return new TruncateBlocks(r.nonNegative("ino"), r.nonNegative("fromBlock"));
      case 8:
        return new PutXattrs(r.nonNegative("ino"), Xattrs.readFrom(r));
      default:
        throw DvsException.badRequest("record type: " + type + " (expected: 1..8)");
    }
  }
}
