package io.dvs.protocol.message;

import static io.dvs.protocol.ProtocolLimits.NAME_BYTES_MAX;
import static io.dvs.protocol.ProtocolLimits.PAGE_ENTRIES_MAX;

import io.dvs.protocol.WireReader;
import io.dvs.protocol.WireWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * Metadata the client loads on demand: an inode, a directory page, a page of a file's LPT.
 * Every request starts with {@code u64 volumeId | u64 epoch} (the mount's lease).
 */
public final class MetadataOps {
  private MetadataOps() {}

  /** GET_INODE: {@code u64 volumeId | u64 epoch | u64 ino}. Response: InodeAttrs. */
  public record GetInode(long volumeId, long epoch, long ino) {
    public byte[] encode() {
      return new WireWriter(24).i64(volumeId).i64(epoch).i64(ino).toByteArray();
    }

    public static GetInode decode(byte[] body) {
      WireReader r = new WireReader(body);
      GetInode m = new GetInode(r.nonNegative("volumeId"), r.nonNegative("epoch"),
          r.nonNegative("ino"));
      r.expectEnd("GET_INODE");
      return m;
    }
  }

  /**
   * LIST_DIR: {@code u64 volumeId | u64 epoch | u64 dirIno | string afterName | u32 maxEntries}:
   * entries with names after {@code afterName} (byte order of UTF-8; empty: from the start).
   * Response: DirPage.
   */
  public record ListDir(long volumeId, long epoch, long dirIno, String afterName, int maxEntries) {
    public byte[] encode() {
      return new WireWriter(64).i64(volumeId).i64(epoch).i64(dirIno).string(afterName)
          .i32(maxEntries).toByteArray();
    }

    public static ListDir decode(byte[] body) {
      WireReader r = new WireReader(body);
      ListDir m = new ListDir(r.nonNegative("volumeId"), r.nonNegative("epoch"),
          r.nonNegative("dirIno"), r.string("afterName", NAME_BYTES_MAX),
          r.count("maxEntries", PAGE_ENTRIES_MAX));
      r.expectEnd("LIST_DIR");
      return m;
    }
  }

  /** One directory entry with its inode. */
  /**
   * An inode as the MS stores it: its attributes and how many of its blocks the LPT maps (for
   * st_blocks before the client has loaded the file's LPT). GET_INODE's response:
   * {@code InodeAttrs | u64 mappedBlocks}.
   */
  public record StoredInode(InodeAttrs attrs, long mappedBlocks) {
    public byte[] encode() {
      WireWriter w = new WireWriter(120);
      writeTo(w);
      return w.toByteArray();
    }

    void writeTo(WireWriter w) {
      attrs.writeTo(w);
      w.i64(mappedBlocks);
    }

    static StoredInode readFrom(WireReader r) {
      return new StoredInode(InodeAttrs.readFrom(r), r.nonNegative("mappedBlocks"));
    }

    public static StoredInode decode(byte[] body) {
      WireReader r = new WireReader(body);
      StoredInode inode = readFrom(r);
      r.expectEnd("GET_INODE response");
      return inode;
    }
  }

  public record DirEntry(String name, StoredInode inode) {}

  /** LIST_DIR response: {@code u32 count | count x (string name | StoredInode) | bool more}. */
  public record DirPage(List<DirEntry> entries, boolean more) {
    public byte[] encode() {
      WireWriter w = new WireWriter(8 + entries.size() * 100);
      w.i32(entries.size());
      for (DirEntry e : entries) {
        w.string(e.name());
        e.inode().writeTo(w);
      }
      return w.bool(more).toByteArray();
    }

    public static DirPage decode(byte[] body) {
      WireReader r = new WireReader(body);
      int count = r.count("entries", PAGE_ENTRIES_MAX);
      List<DirEntry> entries = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        entries.add(new DirEntry(r.string("name", NAME_BYTES_MAX), StoredInode.readFrom(r)));
      }
      DirPage page = new DirPage(entries, r.bool("more"));
      r.expectEnd("LIST_DIR response");
      return page;
    }
  }

  /**
   * GET_LPT: {@code u64 volumeId | u64 epoch | u64 ino | u64 fromBlock | u32 maxEntries}: the
   * file's LPT extents covering blocks >= fromBlock (an extent starting before it is cut at
   * it), at most maxEntries, in block order. Response: LptPage.
   */
  public record GetLpt(long volumeId, long epoch, long ino, long fromBlock, int maxEntries) {
    public byte[] encode() {
      return new WireWriter(40).i64(volumeId).i64(epoch).i64(ino).i64(fromBlock).i32(maxEntries)
          .toByteArray();
    }

    public static GetLpt decode(byte[] body) {
      WireReader r = new WireReader(body);
      GetLpt m = new GetLpt(r.nonNegative("volumeId"), r.nonNegative("epoch"),
          r.nonNegative("ino"), r.nonNegative("fromBlock"),
          r.count("maxEntries", PAGE_ENTRIES_MAX));
      r.expectEnd("GET_LPT");
      return m;
    }
  }

  /**
   * GET_LPT response: {@code u32 count | count x LptExtent | bool more}, ascending; the first
   * extent starts at the requested block or later.
   */
  public record LptPage(List<LptExtent> extents, boolean more) {
    public byte[] encode() {
      WireWriter w = new WireWriter(8 + extents.size() * LptExtent.ENCODED_BYTES);
      w.i32(extents.size());
      extents.forEach(e -> e.writeTo(w));
      return w.bool(more).toByteArray();
    }

    public static LptPage decode(byte[] body) {
      WireReader r = new WireReader(body);
      int count = r.count("extents", PAGE_ENTRIES_MAX);
      List<LptExtent> extents = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        extents.add(LptExtent.readFrom(r));
      }
      LptPage page = new LptPage(extents, r.bool("more"));
      r.expectEnd("GET_LPT response");
      return page;
    }
  }
}
