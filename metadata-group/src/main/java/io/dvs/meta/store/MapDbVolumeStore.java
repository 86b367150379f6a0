package io.dvs.meta.store;

import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.LptEntry;
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
  /** inodes and LPT rows have no block index past this in a key: the end of a prefix scan. */
  private static final long KEY_LONG_MAX = Long.MAX_VALUE;

  private final MetaStore store;
  private final BTreeMap<Long, byte[]> volumes;
  private final BTreeMap<String, Long> volumeNames;
  private final BTreeMap<byte[], byte[]> inodes;
  private final BTreeMap<byte[], Long> dirents;
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
    this.lpt = db.treeMap("lpt", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).createOrOpen();
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
  public void removeVolume(long volumeId, Consumer<LptEntry> removedRow) {
    Optional<VolumeRecord> volume = volume(volumeId);
    byte[] from = Keys.volume(volumeId);
    byte[] to = Keys.volume(volumeId + 1);
    Map<byte[], byte[]> rows = lpt.subMap(from, true, to, false);
    for (Map.Entry<byte[], byte[]> row : rows.entrySet()) {
      removedRow.accept(StoredValues.lpt(Keys.longAt(row.getKey(), 16), row.getValue()));
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
  public Optional<LptEntry> lptRow(long volumeId, long ino, long blockIndex) {
    byte[] value = lpt.get(Keys.lpt(volumeId, ino, blockIndex));
    return value == null ? Optional.empty() : Optional.of(StoredValues.lpt(blockIndex, value));
  }

  @Override
  public Optional<LptEntry> putLptRow(long volumeId, long ino, LptEntry row) {
    byte[] old = lpt.put(Keys.lpt(volumeId, ino, row.blockIndex()),
        StoredValues.lpt(row.snId(), row.pa()));
    return old == null ? Optional.empty() : Optional.of(StoredValues.lpt(row.blockIndex(), old));
  }

  @Override
  public Optional<LptEntry> removeLptRow(long volumeId, long ino, long blockIndex) {
    byte[] old = lpt.remove(Keys.lpt(volumeId, ino, blockIndex));
    return old == null ? Optional.empty() : Optional.of(StoredValues.lpt(blockIndex, old));
  }

  @Override
  public List<LptEntry> lptRows(long volumeId, long ino, long fromBlock, int max) {
    List<LptEntry> rows = new ArrayList<>();
    for (Map.Entry<byte[], byte[]> e : rowsFrom(volumeId, ino, fromBlock).entrySet()) {
      if (rows.size() == max) {
        break;
      }
      rows.add(StoredValues.lpt(Keys.longAt(e.getKey(), 16), e.getValue()));
    }
    return rows;
  }

  @Override
  public long removeLptRowsFrom(long volumeId, long ino, long fromBlock,
      Consumer<LptEntry> removedRow) {
    Map<byte[], byte[]> rows = rowsFrom(volumeId, ino, fromBlock);
    long removed = 0;
    for (Map.Entry<byte[], byte[]> e : rows.entrySet()) {
      removedRow.accept(StoredValues.lpt(Keys.longAt(e.getKey(), 16), e.getValue()));
      removed++;
    }
    rows.clear();
    return removed;
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

  private Map<byte[], byte[]> rowsFrom(long volumeId, long ino, long fromBlock) {
    return lpt.subMap(Keys.lpt(volumeId, ino, fromBlock), true,
        Keys.lpt(volumeId, ino, KEY_LONG_MAX), true);
  }
}
