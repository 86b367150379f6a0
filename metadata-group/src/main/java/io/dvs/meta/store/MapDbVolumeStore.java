package io.dvs.meta.store;

import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.LptExtent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.Serializer;

/** {@link VolumeStore} over the MS's MapDB file; key layouts are in {@link Keys}. */
final class MapDbVolumeStore implements VolumeStore {

  private final MetaStore store;
  private final BTreeMap<Long, byte[]> volumes;
  private final BTreeMap<String, Long> volumeNames;
  private final BTreeMap<byte[], byte[]> inodes;
  private final BTreeMap<byte[], Long> dirents;
  /** The format-2 LPT, a row per extent; only read to upgrade a store. */
  static final String V2_LPT_MAP = "lptExtents";

  /**
   * LPT rows, one per chunk of {@link LptChunk#BLOCKS} blocks: key {@link Keys#lpt} with the
   * chunk index, value {@link LptChunk}'s encoding. Values live outside the B-tree nodes, so
   * rewriting a row (up to ~3.6 KiB) rewrites only that row, not its node's 32 neighbours.
   */
  private final BTreeMap<byte[], byte[]> lpt;
  /** Extended attributes: inode key -> Xattrs' encoding (absent when an inode has none). */
  private final BTreeMap<byte[], byte[]> xattrs;

  MapDbVolumeStore(MetaStore store, DB db) {
    this.store = store;
    this.volumes = db.treeMap("volumes", Serializer.LONG, Serializer.BYTE_ARRAY).createOrOpen();
    this.volumeNames =
        db.treeMap("volumeNames", Serializer.STRING, Serializer.LONG).createOrOpen();
    this.inodes =
        db.treeMap("inodes", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).createOrOpen();
    this.dirents = db.treeMap("dirents", Serializer.BYTE_ARRAY, Serializer.LONG).createOrOpen();
    this.lpt = db.treeMap("lptChunks", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY)
        .valuesOutsideNodesEnable().createOrOpen();
    this.xattrs =
        db.treeMap("xattrs", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).createOrOpen();
  }

  @Override
  public Optional<VolumeRecord> volume(long volumeId) {
    byte[] value = volumes.get(volumeId);
    return value == null ? Optional.empty() : Optional.of(VolumeRecord.decode(value));
  }

  @Override
  public OptionalLong volumeIdByName(String name) {
    Long id = volumeNames.get(name);
    return id == null ? OptionalLong.empty() : OptionalLong.of(id);
  }

  @Override
  public List<VolumeRecord> volumes(int max) {
    List<VolumeRecord> all = new ArrayList<>();
    for (byte[] value : volumes.values()) {
      if (all.size() == max) {
        break;
      }
      all.add(VolumeRecord.decode(value));
    }
    return all;
  }

  @Override
  public long newVolumeId() {
    return store.nextCounter(MetaStore.NEXT_VOLUME_ID_KEY);
  }

  @Override
  public void putVolume(VolumeRecord volume) {
    volumes.put(volume.volumeId(), volume.encode());
    volumeNames.put(volume.name(), volume.volumeId());
  }

  @Override
  public void removeVolume(long volumeId, Consumer<LptExtent> removed) {
    Optional<VolumeRecord> volume = volume(volumeId);
    byte[] from = Keys.volume(volumeId);
    byte[] to = Keys.volume(volumeId + 1);
    Map<byte[], byte[]> rows = lpt.subMap(from, true, to, false);
    for (Map.Entry<byte[], byte[]> row : rows.entrySet()) {
      chunk(row).extents().forEach(removed);
    }
    rows.clear();
    inodes.subMap(from, true, to, false).clear();
    xattrs.subMap(from, true, to, false).clear();
    dirents.subMap(from, true, to, false).clear();
    volumes.remove(volumeId);
    volume.ifPresent(v -> volumeNames.remove(v.name()));
  }

  @Override
  public Optional<InodeAttrs> inode(long volumeId, long ino) {
    byte[] value = inodes.get(Keys.inode(volumeId, ino));
    return value == null ? Optional.empty() : Optional.of(StoredValues.inode(value));
  }

  @Override
  public boolean putInode(long volumeId, InodeAttrs attrs) {
    return inodes.put(Keys.inode(volumeId, attrs.ino()), StoredValues.inode(attrs)) == null;
  }

  @Override
  public boolean deleteInode(long volumeId, long ino) {
    xattrs.remove(Keys.inode(volumeId, ino));
    return inodes.remove(Keys.inode(volumeId, ino)) != null;
  }

  @Override
  public void putDirent(long volumeId, long parentIno, byte[] name, long childIno) {
    dirents.put(Keys.dirent(volumeId, parentIno, name), childIno);
  }

  @Override
  public boolean deleteDirent(long volumeId, long parentIno, byte[] name) {
    return dirents.remove(Keys.dirent(volumeId, parentIno, name)) != null;
  }

  @Override
  public List<DirentRow> dirents(long volumeId, long parentIno, byte[] afterName, int max) {
    // The empty name is the directory's own prefix, which no entry equals: exclusive works.
    Map<byte[], Long> page = dirents.subMap(Keys.dirent(volumeId, parentIno, afterName), false,
        Keys.inode(volumeId, parentIno + 1), false);
    List<DirentRow> rows = new ArrayList<>();
    for (Map.Entry<byte[], Long> e : page.entrySet()) {
      if (rows.size() == max) {
        break;
      }
      rows.add(new DirentRow(Keys.direntName(e.getKey()), e.getValue()));
    }
    return rows;
  }

  @Override
  public List<LptExtent> lptExtents(long volumeId, long ino, long fromBlock, int max) {
    List<LptExtent> extents = new ArrayList<>();
    LptExtent pending = null;
    for (Map.Entry<byte[], byte[]> row : rows(volumeId, ino, fromBlock, Long.MAX_VALUE)) {
      for (LptExtent x : chunk(row).extents()) {
        if (x.endBlock() <= fromBlock) {
          continue;
        }
        x = x.firstBlock() < fromBlock ? x.slice(fromBlock, x.endBlock()) : x;
        if (pending != null && pending.continuedBy(x)) {
          pending = pending.append(x); // rows split extents at chunk edges; readers get them whole
          continue;
        }
        if (pending != null) {
          extents.add(pending);
          if (extents.size() == max) {
            return extents;
          }
        }
        pending = x;
      }
    }
    if (pending != null && extents.size() < max) {
      extents.add(pending);
    }
    return extents;
  }

  @Override
  public long mappedBlocks(long volumeId, long ino) {
    long blocks = 0;
    for (Map.Entry<byte[], byte[]> row : rows(volumeId, ino, 0, Long.MAX_VALUE)) {
      blocks += chunk(row).mappedBlocks();
    }
    return blocks;
  }

  @Override
  public long mapExtents(long volumeId, long ino, List<LptExtent> extents,
      Consumer<LptExtent> beforeEach, Consumer<LptExtent> replaced) {
    // Every row the extents touch is read once, changed in memory, and written once.
    Map<Long, LptChunk> touched = new TreeMap<>();
    long before = 0;
    for (LptExtent x : extents) {
      beforeEach.accept(x);
      for (long c = LptChunk.indexOf(x.firstBlock()); c <= LptChunk.indexOf(x.endBlock() - 1);
          c++) {
        before += touched.computeIfAbsent(c, i -> load(volumeId, ino, i)).map(x, replaced);
      }
    }
    touched.forEach((c, chunk) -> store(volumeId, ino, c, chunk));
    return before;
  }

  @Override
  public long unmapRange(long volumeId, long ino, long fromBlock, long toBlock,
      Consumer<LptExtent> removed) {
    long count = 0;
    List<Map.Entry<byte[], byte[]>> hit = new ArrayList<>(rows(volumeId, ino, fromBlock, toBlock));
    for (Map.Entry<byte[], byte[]> row : hit) {
      LptChunk chunk = chunk(row);
      count += chunk.unmap(fromBlock, toBlock, removed);
      store(volumeId, ino, Keys.longAt(row.getKey(), 16), chunk);
    }
    return count;
  }

  /**
   * Moves the LPT of a format-2 store (a row per extent, map {@value #V2_LPT_MAP}) into chunk
   * rows, then empties the old map; the caller commits. Returns how many extents moved.
   */
  long upgradeFromExtentRows(DB db) {
    if (!db.exists(V2_LPT_MAP)) {
      return 0;
    }
    BTreeMap<byte[], byte[]> old =
        db.treeMap(V2_LPT_MAP, Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).open();
    long moved = 0;
    for (Map.Entry<byte[], byte[]> row : old.entrySet()) {
      LptExtent x = StoredValues.lpt(Keys.longAt(row.getKey(), 16), row.getValue());
      mapExtent(Keys.longAt(row.getKey(), 0), Keys.longAt(row.getKey(), 8), x, gone -> {
        throw StoredValues.corrupt("LPT extent row", "blocks " + gone.firstBlock() + "+"
            + gone.count() + " are mapped twice");
      });
      moved++;
    }
    old.clear();
    return moved;
  }

  @Override
  public io.dvs.protocol.message.Xattrs xattrs(long volumeId, long ino) {
    byte[] value = xattrs.get(Keys.inode(volumeId, ino));
    return value == null ? io.dvs.protocol.message.Xattrs.EMPTY
        : io.dvs.protocol.message.Xattrs.decode(value);
  }

  @Override
  public void putXattrs(long volumeId, long ino, io.dvs.protocol.message.Xattrs values) {
    if (values.isEmpty()) {
      xattrs.remove(Keys.inode(volumeId, ino));
    } else {
      xattrs.put(Keys.inode(volumeId, ino), values.encode());
    }
  }

  /** The LPT rows of {@code ino} whose chunks hold blocks of {@code [fromBlock, toBlock)}. */
  private Set<Map.Entry<byte[], byte[]>> rows(long volumeId, long ino, long fromBlock,
      long toBlock) {
    if (toBlock <= fromBlock) {
      return Set.of();
    }
    return lpt.subMap(Keys.lpt(volumeId, ino, LptChunk.indexOf(fromBlock)), true,
        Keys.lpt(volumeId, ino, LptChunk.indexOf(toBlock - 1)), true).entrySet();
  }

  private LptChunk load(long volumeId, long ino, long chunkIndex) {
    byte[] value = lpt.get(Keys.lpt(volumeId, ino, chunkIndex));
    return value == null ? LptChunk.empty(chunkIndex) : LptChunk.decode(chunkIndex, value);
  }

  private void store(long volumeId, long ino, long chunkIndex, LptChunk chunk) {
    byte[] value = chunk.encode();
    if (value == null) {
      lpt.remove(Keys.lpt(volumeId, ino, chunkIndex));
    } else {
      lpt.put(Keys.lpt(volumeId, ino, chunkIndex), value);
    }
  }

  private static LptChunk chunk(Map.Entry<byte[], byte[]> row) {
    return LptChunk.decode(Keys.longAt(row.getKey(), 16), row.getValue());
  }
}
