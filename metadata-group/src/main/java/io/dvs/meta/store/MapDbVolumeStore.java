package io.dvs.meta.store;

import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.LptExtent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
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
  /** LPT extents: key {@link Keys#lpt} at the first block, value {@link StoredValues#lpt}. */
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
    this.lpt = db.treeMap("lptExtents", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).createOrOpen();
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
      removed.accept(extent(row));
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
    byte[] from = Keys.lpt(volumeId, ino, fromBlock);
    Map.Entry<byte[], byte[]> covering = lpt.lowerEntry(from);
    if (covering != null && isOf(covering.getKey(), volumeId, ino)
        && extent(covering).endBlock() > fromBlock) {
      from = covering.getKey();
    }
    List<LptExtent> extents = new ArrayList<>();
    for (Map.Entry<byte[], byte[]> e : lpt.subMap(from, true, Keys.lpt(volumeId, ino,
        Long.MAX_VALUE), true).entrySet()) {
      if (extents.size() == max) {
        break;
      }
      LptExtent x = extent(e);
      extents.add(x.firstBlock() < fromBlock ? x.slice(fromBlock, x.endBlock()) : x);
    }
    return extents;
  }

  @Override
  public long mappedBlocks(long volumeId, long ino) {
    long blocks = 0;
    for (byte[] value : lpt.subMap(Keys.lpt(volumeId, ino, 0), true,
        Keys.lpt(volumeId, ino, Long.MAX_VALUE), true).values()) {
      blocks += StoredValues.lpt(0, value).count();
    }
    return blocks;
  }

  @Override
  public long mapExtent(long volumeId, long ino, LptExtent extent,
      Consumer<LptExtent> replaced) {
    long before = unmapRange(volumeId, ino, extent.firstBlock(), extent.endBlock(), old -> {
      if (old.snId() != extent.snId() || old.firstPa() != extent.paOf(old.firstBlock())) {
        replaced.accept(old);
      }
    });
    LptExtent merged = extent;
    Map.Entry<byte[], byte[]> left = lpt.lowerEntry(Keys.lpt(volumeId, ino, extent.firstBlock()));
    if (left != null && isOf(left.getKey(), volumeId, ino) && extent(left).continuedBy(merged)) {
      merged = extent(left).append(merged);
      lpt.remove(left.getKey());
    }
    byte[] rightKey = Keys.lpt(volumeId, ino, extent.endBlock());
    byte[] right = lpt.get(rightKey);
    if (right != null) {
      LptExtent next = StoredValues.lpt(extent.endBlock(), right);
      if (merged.continuedBy(next)) {
        merged = merged.append(next);
        lpt.remove(rightKey);
      }
    }
    put(volumeId, ino, merged);
    return before;
  }

  @Override
  public long unmapRange(long volumeId, long ino, long fromBlock, long toBlock,
      Consumer<LptExtent> removed) {
    long count = 0;
    // An extent overlapping [fromBlock, toBlock) starts before toBlock; walk down from there.
    Map.Entry<byte[], byte[]> e = lpt.lowerEntry(Keys.lpt(volumeId, ino, toBlock));
    while (e != null && isOf(e.getKey(), volumeId, ino)) {
      LptExtent x = extent(e);
      if (x.endBlock() <= fromBlock) {
        break;
      }
      lpt.remove(e.getKey());
      if (x.firstBlock() < fromBlock) {
        put(volumeId, ino, x.slice(x.firstBlock(), fromBlock));
      }
      if (toBlock < x.endBlock()) {
        put(volumeId, ino, x.slice(toBlock, x.endBlock()));
      }
      LptExtent gone = x.slice(fromBlock, toBlock);
      removed.accept(gone);
      count += gone.count();
      if (x.firstBlock() <= fromBlock) {
        break;
      }
      e = lpt.lowerEntry(e.getKey());
    }
    return count;
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

  private void put(long volumeId, long ino, LptExtent extent) {
    lpt.put(Keys.lpt(volumeId, ino, extent.firstBlock()), StoredValues.lpt(extent));
  }

  private static LptExtent extent(Map.Entry<byte[], byte[]> row) {
    return StoredValues.lpt(Keys.longAt(row.getKey(), 16), row.getValue());
  }

  /** True if an LPT key belongs to {@code ino} of {@code volumeId}. */
  private static boolean isOf(byte[] lptKey, long volumeId, long ino) {
    return Keys.longAt(lptKey, 0) == volumeId && Keys.longAt(lptKey, 8) == ino;
  }
}
