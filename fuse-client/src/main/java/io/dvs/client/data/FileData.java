package io.dvs.client.data;

import static io.dvs.protocol.ProtocolLimits.BATCH_BLOCKS_MAX;
import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;

import io.dvs.client.fs.Errno;
import io.dvs.client.fs.FsException;
import io.dvs.client.meta.Inode;
import io.dvs.client.meta.MetadataJournal;
import io.dvs.client.meta.Namespace;
import io.dvs.client.net.Futures;
import io.dvs.client.net.StorageClients;
import io.dvs.protocol.ProtocolLimits;
import io.dvs.protocol.message.BlockOps;
import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.JournalRecord;
import io.dvs.protocol.message.LptEntry;
import io.dvs.protocol.message.MetadataOps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * File data over the block store (DESIGN.md, "Data path"). A file is 4 KiB logical blocks,
 * each a hole or an LPT row (SN, PA). Writes: partial blocks are read-modified-written; an
 * all-zero block becomes a hole; a mapped block is overwritten in place (same SN and PA, no
 * metadata change); an unmapped one takes the next PA of the WDACG pool, and its new LPT row is
 * queued in the journal once the SN has acknowledged the data. Reads go straight to the SNs,
 * one batched request per SN.
 */
public final class FileData {
  /** Where a file's LPT comes from on first use: the MS, or a fake in tests. */
  @FunctionalInterface
  public interface LptSource {
    MetadataOps.LptPage page(long ino, long fromBlock, int maxEntries);
  }

  private final StorageClients storage;
  private final WdacgPool pool;
  private final MetadataJournal journal;
  private final Namespace namespace;
  private final LptSource lptSource;
  private final LongSupplier nowNs;
  private final long volumeSizeBytes;
  /** Blocks mapped minus blocks unmapped by this mount; statfs adds it to the MS's count. */
  private final java.util.concurrent.atomic.AtomicLong mappedDelta =
      new java.util.concurrent.atomic.AtomicLong();

  public FileData(StorageClients storage, WdacgPool pool, MetadataJournal journal,
      Namespace namespace, LptSource lptSource, LongSupplier nowNs, long volumeSizeBytes) {
    this.storage = storage;
    this.pool = pool;
    this.journal = journal;
    this.namespace = namespace;
    this.lptSource = lptSource;
    this.nowNs = nowNs;
    this.volumeSizeBytes = volumeSizeBytes;
  }

  /** Reads up to {@code length} bytes at {@code offset}; returns the count (0 at EOF). */
  public int read(Inode inode, long offset, byte[] dst, int length) {
    FileState f = regular(inode);
    ensureLoaded(f);
    f.lock.readLock().lock();
    try {
      long size = inode.attrs().size();
      if (offset >= size || length == 0) {
        return 0;
      }
      int count = (int) Math.min(length, size - offset);
      long first = offset / BLOCK_SIZE_BYTES;
      long last = (offset + count - 1) / BLOCK_SIZE_BYTES;
      byte[] blocks = readBlocks(f, first, (int) (last - first + 1));
      System.arraycopy(blocks, (int) (offset - first * BLOCK_SIZE_BYTES), dst, 0, count);
      return count;
    } finally {
      f.lock.readLock().unlock();
    }
  }

  /** Writes {@code length} bytes of {@code src} at {@code offset}, growing the file. */
  public void write(Inode inode, long offset, byte[] src, int length) {
    if (length == 0) {
      return;
    }
    if (offset + length > volumeSizeBytes) {
      throw new FsException(Errno.EFBIG, "write past the volume size " + volumeSizeBytes);
    }
    FileState f = regular(inode);
    ensureLoaded(f);
    f.lock.writeLock().lock();
    try {
      long first = offset / BLOCK_SIZE_BYTES;
      long last = (offset + length - 1) / BLOCK_SIZE_BYTES;
      int n = (int) (last - first + 1);
      byte[] blocks = new byte[n * BLOCK_SIZE_BYTES];
      int head = (int) (offset - first * BLOCK_SIZE_BYTES);
      if (head != 0) {
        System.arraycopy(readBlocks(f, first, 1), 0, blocks, 0, BLOCK_SIZE_BYTES);
      }
      if ((offset + length) % BLOCK_SIZE_BYTES != 0 && (n > 1 || head == 0)) {
        System.arraycopy(readBlocks(f, last, 1), 0, blocks, (n - 1) * BLOCK_SIZE_BYTES,
            BLOCK_SIZE_BYTES);
      }
      System.arraycopy(src, 0, blocks, head, length);
      storeBlocks(f, first, blocks, n);
      InodeAttrs a = inode.attrs();
      long now = nowNs.getAsLong();
      namespace.setAttrs(inode,
          a.withSize(Math.max(a.size(), offset + length)).withTimes(a.atimeNs(), now, now));
    } finally {
      f.lock.writeLock().unlock();
    }
  }

  /** Sets the file's size; blocks past it are released, the tail of the last block zeroed. */
  public void truncate(Inode inode, long newSize) {
    if (newSize > volumeSizeBytes) {
      throw new FsException(Errno.EFBIG, "size past the volume size " + volumeSizeBytes);
    }
    FileState f = regular(inode);
    ensureLoaded(f);
    f.lock.writeLock().lock();
    try {
      long oldSize = inode.attrs().size();
      if (newSize < oldSize) {
        long keepBlocks = (newSize + BLOCK_SIZE_BYTES - 1) / BLOCK_SIZE_BYTES;
        int removed = f.lpt.truncate(keepBlocks).size();
        mappedDelta.addAndGet(-removed);
        if (removed > 0) {
          journal.append(new JournalRecord.TruncateBlocks(f.ino, keepBlocks));
        }
        int tail = (int) (newSize % BLOCK_SIZE_BYTES);
        long lastBlock = newSize / BLOCK_SIZE_BYTES;
        if (tail != 0 && f.lpt.lookup(lastBlock) != null) {
          // Bytes past EOF in the last block must read as zeros if the file grows again.
          byte[] block = readBlocks(f, lastBlock, 1);
          java.util.Arrays.fill(block, tail, BLOCK_SIZE_BYTES, (byte) 0);
          storeBlocks(f, lastBlock, block, 1);
        }
      }
      InodeAttrs a = inode.attrs();
      long now = nowNs.getAsLong();
      namespace.setAttrs(inode, a.withSize(newSize).withTimes(a.atimeNs(), now, now));
    } finally {
      f.lock.writeLock().unlock();
    }
  }

  /** Blocks this mount mapped minus those it unmapped (deleted files are not subtracted). */
  public long mappedDelta() {
    return mappedDelta.get();
  }

  /** 512-byte units of real allocation, for st_blocks; estimated from size until loaded. */
  public static long allocatedSectors(Inode inode) {
    FileState f = inode.file();
    long mapped = f == null ? -1 : f.mappedBlocksIfLoaded();
    if (mapped < 0) {
      return (inode.attrs().size() + 511) / 512;
    }
    return mapped * (BLOCK_SIZE_BYTES / 512);
  }

  private static FileState regular(Inode inode) {
    FileState f = inode.file();
    if (f == null) {
      throw new FsException(inode.attrs().isDirectory() ? Errno.EISDIR : Errno.EINVAL,
          "not a regular file: inode " + inode.ino());
    }
    return f;
  }

  /** Loads the file's LPT from the MS on first use (metadata on demand, DESIGN.md). */
  private void ensureLoaded(FileState f) {
    f.lock.readLock().lock();
    try {
      if (f.loaded) {
        return;
      }
    } finally {
      f.lock.readLock().unlock();
    }
    f.lock.writeLock().lock();
    try {
      long from = 0;
      while (!f.loaded) {
        MetadataOps.LptPage page = lptSource.page(f.ino, from, ProtocolLimits.PAGE_ENTRIES_MAX);
        for (LptEntry e : page.entries()) {
          f.lpt.put(e.blockIndex(), new BlockAddress(e.snId(), e.pa()));
          from = e.blockIndex() + 1;
        }
        f.loaded = !page.more() || page.entries().isEmpty();
      }
    } finally {
      f.lock.writeLock().unlock();
    }
  }

  /** Reads {@code count} logical blocks from {@code first}; holes read as zeros. */
  private byte[] readBlocks(FileState f, long first, int count) {
    byte[] out = new byte[count * BLOCK_SIZE_BYTES];
    Map<Integer, List<long[]>> bySn = new LinkedHashMap<>(); // snId -> [pa, slot]
    for (int i = 0; i < count; i++) {
      BlockAddress a = f.lpt.lookup(first + i);
      if (a != null) {
        bySn.computeIfAbsent(a.snId(), k -> new ArrayList<>()).add(new long[] {a.pa(), i});
      }
    }
    List<CompletableFuture<Void>> reads = new ArrayList<>();
    for (Map.Entry<Integer, List<long[]>> sn : bySn.entrySet()) {
      List<long[]> rows = sn.getValue();
      for (int from = 0; from < rows.size(); from += BATCH_BLOCKS_MAX) {
        List<long[]> batch = rows.subList(from, Math.min(rows.size(), from + BATCH_BLOCKS_MAX));
        long[] pas = batch.stream().mapToLong(r -> r[0]).toArray();
        reads.add(storage.read(sn.getKey(), new BlockOps.ReadBlocks(pas)).thenAccept(data -> {
          checkLength(data, pas.length);
          for (int j = 0; j < batch.size(); j++) {
            System.arraycopy(data, j * BLOCK_SIZE_BYTES, out,
                (int) batch.get(j)[1] * BLOCK_SIZE_BYTES, BLOCK_SIZE_BYTES);
          }
        }));
      }
    }
    join(reads);
    return out;
  }

  /**
   * Stores {@code count} whole blocks starting at logical block {@code first}: holes for zero
   * blocks, in-place overwrite for mapped ones, new PAs for the rest. The LPT and the journal
   * change only after every SN acknowledged its data.
   */
  private void storeBlocks(FileState f, long first, byte[] blocks, int count) {
    List<Long> holes = new ArrayList<>();
    List<Integer> fresh = new ArrayList<>();
    BlockAddress[] targets = new BlockAddress[count];
    for (int i = 0; i < count; i++) {
      BlockAddress a = f.lpt.lookup(first + i);
      if (isZero(blocks, i)) {
        if (a != null) {
          holes.add(first + i);
        }
      } else if (a != null) {
        targets[i] = a;
      } else {
        fresh.add(i);
      }
    }
    List<BlockAddress> newAddresses = pool.take(fresh.size());
    for (int j = 0; j < fresh.size(); j++) {
      targets[fresh.get(j)] = newAddresses.get(j);
    }
    sendWrites(blocks, targets);
    List<LptEntry> rows = new ArrayList<>(fresh.size());
    for (int j = 0; j < fresh.size(); j++) {
      long block = first + fresh.get(j);
      BlockAddress a = newAddresses.get(j);
      f.lpt.put(block, a);
      rows.add(new LptEntry(block, a.snId(), a.pa()));
    }
    mappedDelta.addAndGet(rows.size() - holes.size());
    if (!rows.isEmpty()) {
      journal.append(new JournalRecord.MapBlocks(f.ino, rows));
    }
    if (!holes.isEmpty()) {
      holes.forEach(f.lpt::remove);
      journal.append(new JournalRecord.UnmapBlocks(f.ino,
          holes.stream().mapToLong(Long::longValue).toArray()));
    }
  }

  /** One WRITE_BLOCKS per SN per 256 blocks, all in flight at once. */
  private void sendWrites(byte[] blocks, BlockAddress[] targets) {
    Map<Integer, List<Integer>> bySn = new LinkedHashMap<>();
    for (int i = 0; i < targets.length; i++) {
      if (targets[i] != null) {
        bySn.computeIfAbsent(targets[i].snId(), k -> new ArrayList<>()).add(i);
      }
    }
    List<CompletableFuture<?>> writes = new ArrayList<>();
    for (Map.Entry<Integer, List<Integer>> sn : bySn.entrySet()) {
      List<Integer> slots = sn.getValue();
      for (int from = 0; from < slots.size(); from += BATCH_BLOCKS_MAX) {
        List<Integer> batch = slots.subList(from, Math.min(slots.size(), from + BATCH_BLOCKS_MAX));
        long[] pas = new long[batch.size()];
        byte[] data = new byte[batch.size() * BLOCK_SIZE_BYTES];
        for (int j = 0; j < batch.size(); j++) {
          int slot = batch.get(j);
          pas[j] = targets[slot].pa();
          System.arraycopy(blocks, slot * BLOCK_SIZE_BYTES, data, j * BLOCK_SIZE_BYTES,
              BLOCK_SIZE_BYTES);
        }
        writes.add(storage.write(sn.getKey(), new BlockOps.WriteBlocks(pas, data, 0)));
      }
    }
    join(writes);
  }

  private static final byte[] ZERO_BLOCK = new byte[BLOCK_SIZE_BYTES];

  private static boolean isZero(byte[] blocks, int index) {
    int from = index * BLOCK_SIZE_BYTES;
    return java.util.Arrays.mismatch(blocks, from, from + BLOCK_SIZE_BYTES,
        ZERO_BLOCK, 0, BLOCK_SIZE_BYTES) < 0;
  }

  private static void checkLength(byte[] data, int blocks) {
    if (data.length != blocks * BLOCK_SIZE_BYTES) {
      throw new FsException(Errno.EIO, "storage node returned " + data.length + " bytes for "
          + blocks + " blocks");
    }
  }

  private static void join(List<? extends CompletableFuture<?>> futures) {
    try {
      CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).join();
    } catch (RuntimeException e) {
      throw Futures.unwrap(e);
    }
  }
}
