package io.dvs.meta.store;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

/**
 * The MS's one MapDB file ({@code ms.db}, format in {@code docs/format/ms-store.md}) and the
 * transaction discipline around it. MapDB's transactions are store-wide (one commit covers every
 * map), so a change is made, committed or rolled back by one thread at a time:
 * {@link #write} holds the write lock from the first change to the commit, and {@link #read}
 * holds the read lock so nobody ever sees a half-made change.
 */
public final class MetaStore implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(MetaStore.class.getName());

  public static final String FILE_NAME = "ms.db";

  /** Bumped on any incompatible change to a map, key or value format. */
  public static final long FORMAT_VERSION = 3;

  /** The older format this code upgrades when it opens it: version 2 kept a row per extent. */
  static final long UPGRADABLE_FORMAT_VERSION = 2;

  static final String FORMAT_VERSION_KEY = "formatVersion";
  static final String NEXT_VOLUME_ID_KEY = "nextVolumeId";
  static final String NEXT_SN_ID_KEY = "nextSnId";

  private final Path file;
  private final DB db;

  /**
   * Guards every map of {@link #db} and the transaction in progress: readers share it, a writer
   * holds it exclusively from its first change until commit or rollback.
   */
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

  final BTreeMap<String, Long> meta;
  private final MapDbVolumeStore volumes;
  private final NodeTable nodes;
  private final PaTable paSpace;
  private final LeasedPaTable leasedPas;
  private boolean closed;

  private MetaStore(Path file, DB db) {
    this.file = file;
    this.db = db;
    this.meta = db.treeMap("meta", Serializer.STRING, Serializer.LONG).createOrOpen();
    this.volumes = new MapDbVolumeStore(this, db);
    this.nodes = new NodeTable(this, db);
    this.paSpace = new PaTable(db);
    this.leasedPas = new LeasedPaTable(db);
  }

  /**
   * Opens or creates {@code dataDir/ms.db}. Refuses, naming the file, a store it cannot read or
   * of another format: a corrupt store is never silently reformatted.
   */
  public static MetaStore open(Path dataDir) {
    checkWritableDir(dataDir);
    Path file = dataDir.resolve(FILE_NAME);
    boolean fresh = !Files.exists(file);
    if (!fresh) {
      checkHeader(file);
    }
    DB db;
    try {
      // Memory-mapped access: MapDB's RandomAccessFile mode made every LPT row a seek and a
      // read, and journal groups of a fast writer held the store lock for seconds. The
      // write-ahead log still makes each commit durable.
      db = DBMaker.fileDB(file.toFile()).transactionEnable().fileMmapEnableIfSupported().make();
    } catch (RuntimeException | Error e) {
      throw new DvsException(ErrorCode.IO_ERROR, "cannot open metadata store " + file + ": "
          + e + " (if another MS uses this data directory stop it; if the file is corrupt,"
          + " restore the data directory from a backup or move it away to start empty)", e);
    }
    try {
      MetaStore store = new MetaStore(file, db);
      store.checkFormat(fresh);
      return store;
    } catch (RuntimeException | Error e) {
      db.close();
      if (e instanceof DvsException d) {
        throw d;
      }
      throw new DvsException(ErrorCode.IO_ERROR, "metadata store " + file + " is corrupt: " + e
          + " (restore the data directory from a backup or move it away to start empty)", e);
    }
  }

  private static void checkWritableDir(Path dataDir) {
    try {
      Files.createDirectories(dataDir);
    } catch (Exception e) {
      throw new DvsException(ErrorCode.IO_ERROR, "cannot create data directory " + dataDir + ": "
          + e + " (choose another data directory or fix its permissions)", e);
    }
    if (!Files.isDirectory(dataDir) || !Files.isWritable(dataDir)) {
      throw new DvsException(ErrorCode.IO_ERROR, "data directory " + dataDir
          + " is not a writable directory (choose another data directory or fix its permissions)");
    }
  }

  private void checkFormat(boolean fresh) {
    Long version = meta.get(FORMAT_VERSION_KEY);
    if (version == null && fresh) {
      meta.put(FORMAT_VERSION_KEY, FORMAT_VERSION);
      meta.put(NEXT_VOLUME_ID_KEY, 1L);
      meta.put(NEXT_SN_ID_KEY, 1L);
      db.commit();
      LOG.info("created metadata store " + file);
      return;
    }
    if (version != null && version == UPGRADABLE_FORMAT_VERSION) {
      long moved = volumes.upgradeFromExtentRows(db);
      meta.put(FORMAT_VERSION_KEY, FORMAT_VERSION);
      db.commit();
      LOG.info("upgraded metadata store " + file + " from format " + version + " to "
          + FORMAT_VERSION + ": " + moved + " LPT extent rows now in chunk rows");
      return;
    }
    if (version == null || version != FORMAT_VERSION) {
      throw new DvsException(ErrorCode.IO_ERROR, "metadata store " + file + " has format version "
          + version + " (expected: " + FORMAT_VERSION + "); it is corrupt or from another"
          + " version of dvs: restore the data directory or move it away to start empty");
    }
  }

  public Path file() {
    return file;
  }

  public VolumeStore volumes() {
    return volumes;
  }

  public NodeTable nodes() {
    return nodes;
  }

  public PaTable paSpace() {
    return paSpace;
  }

  /** WDACG PAs each volume's lease holds unmapped (reclaimed when the lease ends). */
  public LeasedPaTable leasedPas() {
    return leasedPas;
  }

  /** Runs {@code body} under the read lock: it sees only committed state. */
  public <T> T read(Supplier<T> body) {
    lock.readLock().lock();
    try {
      checkOpen();
      return body.get();
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Runs {@code body} as one transaction: committed (durably) before this returns, or rolled
   * back entirely if it throws. A nested call joins the outer transaction.
   */
  public <T> T write(Supplier<T> body) {
    if (lock.isWriteLockedByCurrentThread()) {
      return body.get();
    }
    lock.writeLock().lock();
    try {
      checkOpen();
      try {
        T result = body.get();
        db.commit();
        return result;
      } catch (RuntimeException | Error e) {
        rollBack(e);
        throw e;
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Discards the transaction that {@code cause} ended (in the body or in a commit that failed,
   * such as on a full disk), and the memory copies of the PA run sets go back to the stored
   * rows: a copy that kept a change the store lost could hand out a PA the store still has as
   * used or releasing. If even that fails the store is closed, so nothing trusts the copies.
   */
  private void rollBack(Throwable cause) {
    try {
      db.rollback();
      paSpace.reload();
      leasedPas.reload();
    } catch (RuntimeException | Error e) {
      cause.addSuppressed(e);
      LOG.log(Level.SEVERE, "metadata store " + file + ": rollback failed; closing it", e);
      closed = true;
      try {
        db.close();
      } catch (RuntimeException | Error closing) {
        cause.addSuppressed(closing);
      }
    }
  }

  long nextCounter(String key) {
    long value = meta.get(key);
    meta.put(key, value + 1);
    return value;
  }

  private void checkOpen() {
    if (closed) {
      throw new DvsException(ErrorCode.UNAVAILABLE, "metadata store " + file + " is closed");
    }
  }

  /** Idempotent; commits nothing new (every change was committed by {@link #write}). */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (!closed) {
        closed = true;
        db.close();
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * MapDB's store files start with the bytes 0x4A 0x03. Checked before MapDB opens the file
   * because a memory-mapped open grows the file to its first chunk even when it then refuses
   * it, and a file that is not ours must stay exactly as it was.
   */
  private static void checkHeader(Path file) {
    byte[] head = new byte[2];
    try (java.io.InputStream in = Files.newInputStream(file)) {
      if (in.readNBytes(head, 0, 2) == 2 && head[0] == 0x4A && head[1] == 0x03) {
        return;
      }
    } catch (java.io.IOException e) {
      throw new DvsException(ErrorCode.IO_ERROR, "cannot read metadata store " + file + ": "
          + e.getMessage());
    }
    throw new DvsException(ErrorCode.IO_ERROR, "metadata store " + file + " is not a dvs "
        + "metadata store (bad header); restore the data directory from a backup or move the"
        + " file away to start empty");
  }
}
