package io.dvs.node.store;

import com.google.common.base.Preconditions;
import io.dvs.node.dedup.FingerprintIndex;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.NavigableMap;
import java.util.function.ObjLongConsumer;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

/**
 * The SN's metadata, in one transactional MapDB file ({@code meta.db}, with its write-ahead log
 * {@code meta.db.wal.*} beside it). Every change joins one open transaction that
 * {@link #commit()} makes durable atomically (MapDB syncs the log, then the store), so after a
 * crash the metadata is exactly the last commit. Full description: {@code docs/format/sn-meta.md}.
 *
 * <pre>
 * map "info"      String → String   formatVersion, nodeUuid, fingerprintAlgorithm (checked at open
 *                                   against the superblock: a meta.db from another node is refused)
 * map "lba"       u64 PA → u64 L    the LBA map (paper 2: LBA_U → LBA_L); many PAs may share an L
 * map "blocks"    u64 L → record    every L that holds data: refCount and fingerprint
 *                                   ({@link BlockRecord}); an L not here is free space
 * map "fpindex"   fingerprint → L   the fingerprint index ({@link FingerprintIndex})
 * map "counters"  String → u64      usedBlocks, mappedPas, uniqueWrites, duplicateWrites,
 *                                   written at each commit so they match the maps
 * </pre>
 *
 * <p>Not thread-safe: the owner (the dedup engine) serialises every call under its lock.
 */
public final class MetaStore implements AutoCloseable {
  public static final String FILE_NAME = "meta.db";

  static final String FORMAT_VERSION = "1";

  private final Path file;
  private final DB db;
  private final NavigableMap<Long, Long> lba;
  private final NavigableMap<Long, byte[]> blocks;
  private final FingerprintIndex index;
  private final Map<String, Long> counters;

  private MetaStore(Path file, DB db) {
    this.file = file;
    this.db = db;
    this.lba = db.treeMap("lba", Serializer.LONG, Serializer.LONG).createOrOpen();
    this.blocks = db.treeMap("blocks", Serializer.LONG, Serializer.BYTE_ARRAY).createOrOpen();
    this.index = new MapDbFingerprintIndex(
        db.hashMap("fpindex", Serializer.BYTE_ARRAY, Serializer.LONG).createOrOpen());
    this.counters = db.treeMap("counters", Serializer.STRING, Serializer.LONG).createOrOpen();
  }

  /** Creates a new, empty store for the node; {@code file} must not exist. */
  public static MetaStore create(Path file, String nodeUuid, String fingerprintAlgorithm) {
    Preconditions.checkArgument(!Files.exists(file), "%s exists", file);
    MetaStore store = new MetaStore(file, make(file));
    Map<String, String> info = store.info();
    info.put("formatVersion", FORMAT_VERSION);
    info.put("nodeUuid", nodeUuid);
    info.put("fingerprintAlgorithm", fingerprintAlgorithm);
    store.commit();
    return store;
  }

  /** Opens the store and checks that it belongs to this node; IO_ERROR naming the file if not. */
  public static MetaStore open(Path file, String nodeUuid, String fingerprintAlgorithm) {
    if (!Files.isRegularFile(file)) {
      throw foreign(file, "it is missing");
    }
    DB db = make(file);
    MetaStore store;
    try {
      store = new MetaStore(file, db);
      Map<String, String> info = store.info();
      check(file, "formatVersion", FORMAT_VERSION, info.get("formatVersion"));
      check(file, "nodeUuid", nodeUuid, info.get("nodeUuid"));
      check(file, "fingerprintAlgorithm", fingerprintAlgorithm,
          info.get("fingerprintAlgorithm"));
    } catch (DvsException e) {
      db.close();
      throw e;
    } catch (RuntimeException e) { // MapDB raises its own exceptions on a damaged store.
      db.close();
      throw foreign(file, "cannot read it (" + e + ")");
    }
    return store;
  }

  private static DB make(Path file) {
    try {
      return DBMaker.fileDB(file.toFile()).transactionEnable().fileMmapEnableIfSupported().make();
    } catch (RuntimeException e) {
      throw foreign(file, "cannot open it (" + e + "); is another storage node using this "
          + "directory?");
    }
  }

  private static void check(Path file, String key, String expected, String found) {
    if (!expected.equals(found)) {
      throw foreign(file, key + " is '" + found + "' (expected: '" + expected + "')");
    }
  }

  private static DvsException foreign(Path file, String why) {
    return new DvsException(ErrorCode.IO_ERROR, "metadata file " + file + " is unusable: " + why
        + "; refusing to start (restore the data directory from backup, or point the node at "
        + "an empty directory to format a new one)");
  }

  private Map<String, String> info() {
    return db.treeMap("info", Serializer.STRING, Serializer.STRING).createOrOpen();
  }

  public Path file() {
    return file;
  }

  /** The LBA map PA → L. Changes join the open transaction. */
  public NavigableMap<Long, Long> lbaMap() {
    return lba;
  }

  public FingerprintIndex fingerprintIndex() {
    return index;
  }

  /** The record of {@code location}, or null if it holds no data. */
  public BlockRecord block(long location) {
    byte[] bytes = blocks.get(location);
    return bytes == null ? null : BlockRecord.decode(bytes);
  }

  public void putBlock(long location, BlockRecord record) {
    blocks.put(location, record.encode());
  }

  public void removeBlock(long location) {
    blocks.remove(location);
  }

  /** Visits every L that holds data with its reference count, in L order. */
  public void forEachBlock(ObjLongConsumer<BlockRecord> visitor) {
    for (Map.Entry<Long, byte[]> e : blocks.entrySet()) {
      visitor.accept(BlockRecord.decode(e.getValue()), e.getKey());
    }
  }

  public long counter(String name) {
    return counters.getOrDefault(name, 0L);
  }

  public void putCounter(String name, long value) {
    counters.put(name, value);
  }

  /** Makes every change since the last commit durable, atomically. */
  public void commit() {
    db.commit();
  }

  /** Closes without committing: what a crash leaves (the open transaction is lost). */
  @Override
  public void close() {
    db.close();
  }
}
