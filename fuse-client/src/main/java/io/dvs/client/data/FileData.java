package io.dvs.client.data;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;

import io.dvs.client.fs.Errno;
import io.dvs.client.fs.FsException;
import io.dvs.client.meta.Inode;
import io.dvs.client.meta.MetadataJournal;
import io.dvs.client.meta.Namespace;
import io.dvs.client.net.StorageClients;
import io.dvs.protocol.ProtocolLimits;
import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.JournalRecord;
import io.dvs.protocol.message.LptExtent;
import io.dvs.protocol.message.MetadataOps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * File data over the block store (DESIGN.md, "Data path"). A file is 4 KiB logical blocks,
 * each a hole or an LPT row (SN, PA). Writes: partial blocks are read-modified-written; an
 * all-zero block becomes a hole; a mapped block is overwritten in place (same SN and PA, no
 * metadata change); an unmapped one takes a PA on the SN its content maps to, and its new LPT row is
 * queued in the journal once the SN has acknowledged the data. Reads go straight to the SNs,
 * one batched request per SN. Nothing is cached here: the kernel's page cache keeps what was read
 * and written (the mount's auto_cache keeps it across opens), and a block being written is read
 * from the write still in flight.
 *
 * <p>Lock order: a file's lock, then the namespace's monitor (never the other way round).
 */
public final class FileData {
  /** Where a file's LPT comes from on first use: the MS, or a fake in tests. */
  @FunctionalInterface
  public interface LptSource {
    MetadataOps.LptPage page(long ino, long fromBlock, int maxEntries);
  }

  private static final byte[] ZERO_BLOCK = new byte[BLOCK_SIZE_BYTES];

  private final BlockIo io;
  private final BlockPlacement placement;
  private final MetadataJournal journal;
  private final Namespace namespace;
  private final LptSource lptSource;
  private final LongSupplier nowNs;
  private final long volumeSizeBytes;
  /** Blocks mapped minus blocks unmapped by this mount; statfs adds it to the MS's count. */
  private final AtomicLong mappedDelta = new AtomicLong();

  public FileData(StorageClients storage, BlockPlacement placement, MetadataJournal journal,
      Namespace namespace, LptSource lptSource, LongSupplier nowNs, long volumeSizeBytes) {
    this.io = new BlockIo(storage);
    this.placement = placement;
    this.journal = journal;
    this.namespace = namespace;
    this.lptSource = lptSource;
    this.nowNs = nowNs;
    this.volumeSizeBytes = volumeSizeBytes;
    namespace.onDelete(this::forget);
  }

  /** Throws the first block write an SN refused for good since the last call, if any. */
  public void reportLostWrite() {
    io.reportLostWrite();
  }

  /**
   * Reads up to {@code length} bytes at {@code offset} into {@code dst}; returns the count (0 at
   * EOF). Bytes of {@code dst} past the count may be overwritten.
   */
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
      int n = (int) (last - first + 1);
      int head = (int) (offset - first * BLOCK_SIZE_BYTES);
      if (head == 0 && dst.length >= n * BLOCK_SIZE_BYTES) {
        io.readInto(f.lpt, first, n, dst, 0); // page-aligned, as the kernel reads: no copy
      } else {
        System.arraycopy(io.read(f.lpt, first, n), head, dst, 0, count);
      }
      return count;
    } finally {
      f.lock.readLock().unlock();
    }
  }

  /**
   * Writes the first {@code length} bytes of {@code src} at {@code offset}, growing the file.
   * {@code src} is not kept: the caller may reuse it once this returns.
   */
  public void write(Inode inode, long offset, byte[] src, int length) {
    Objects.checkFromIndexSize(0, length, src.length);
    if (length == 0) {
      return;
    }
    checkEnd(offset, length);
    FileState f = regular(inode);
    ensureLoaded(f);
    f.lock.writeLock().lock();
    try {
      long first = offset / BLOCK_SIZE_BYTES;
      long last = (offset + length - 1) / BLOCK_SIZE_BYTES;
      int n = (int) (last - first + 1);
      int head = (int) (offset - first * BLOCK_SIZE_BYTES);
      // Whole blocks (the common case) are stored from src itself: no second copy.
      byte[] blocks = head == 0 && length == n * BLOCK_SIZE_BYTES
          ? src : new byte[n * BLOCK_SIZE_BYTES];
      if (head != 0) {
        System.arraycopy(io.read(f.lpt, first, 1), 0, blocks, 0, BLOCK_SIZE_BYTES);
      }
      if ((offset + length) % BLOCK_SIZE_BYTES != 0 && (n > 1 || head == 0)) {
        System.arraycopy(io.read(f.lpt, last, 1), 0, blocks, (n - 1) * BLOCK_SIZE_BYTES,
            BLOCK_SIZE_BYTES);
      }
      if (blocks != src) {
        System.arraycopy(src, 0, blocks, head, length);
      }
      storeBlocks(f, first, blocks, n, f.reserve);
      InodeAttrs a = inode.attrs();
      long now = nowNs.getAsLong();
      namespace.setAttrs(inode,
          a.withSize(Math.max(a.size(), offset + length)).withTimes(a.atimeNs(), now, now));
    } finally {
      f.lock.writeLock().unlock();
    }
  }

  /**
   * A handle of the file was released: PAs it set aside for new blocks go back to the pool (the
   * next write takes a new run), so closed files hold none.
   */
  public void released(Inode inode) {
    FileState f = inode.file();
    if (f == null) {
      return;
    }
    f.lock.writeLock().lock();
    try {
      placement.giveBack(f.reserve);
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
        List<Lpt.MappedBlock> removed = f.lpt.truncate(keepBlocks);
        forgetBlocks(removed);
        if (!removed.isEmpty()) {
          journal.append(new JournalRecord.TruncateBlocks(f.ino, keepBlocks));
        }
        zeroWithinBlock(f, newSize, keepBlocks * BLOCK_SIZE_BYTES);
      }
      InodeAttrs a = inode.attrs();
      long now = nowNs.getAsLong();
      namespace.setAttrs(inode, a.withSize(newSize).withTimes(a.atimeNs(), now, now));
    } finally {
      f.lock.writeLock().unlock();
    }
  }

  /**
   * Makes [{@code offset}, {@code offset + length}) read as zeros: whole blocks become holes
   * (their PAs released: fallocate PUNCH_HOLE, ZERO_RANGE, and TRIM from a loop device), the
   * partial blocks at either edge are read-modified-written. Unless {@code keepSize}, the file
   * grows to cover the range (ZERO_RANGE without KEEP_SIZE).
   */
  public void zeroRange(Inode inode, long offset, long length, boolean keepSize) {
    long end = checkEnd(offset, length);
    FileState f = regular(inode);
    ensureLoaded(f);
    f.lock.writeLock().lock();
    try {
      InodeAttrs a = inode.attrs();
      long dataEnd = Math.min(end, a.size()); // No block past EOF is ever mapped.
      if (offset < dataEnd) {
        long firstWhole = ceilDiv(offset, BLOCK_SIZE_BYTES);
        long endWhole = dataEnd == a.size() ? ceilDiv(dataEnd, BLOCK_SIZE_BYTES)
            : dataEnd / BLOCK_SIZE_BYTES;
        if (firstWhole >= endWhole) {
          // No whole block inside: at most the ends of two neighbouring blocks.
          long boundary = (offset / BLOCK_SIZE_BYTES + 1) * BLOCK_SIZE_BYTES;
          zeroWithinBlock(f, offset, Math.min(dataEnd, boundary));
          zeroWithinBlock(f, boundary, dataEnd);
        } else {
          zeroWithinBlock(f, offset, firstWhole * BLOCK_SIZE_BYTES);
          zeroWithinBlock(f, endWhole * BLOCK_SIZE_BYTES, dataEnd);
          unmap(f, f.lpt.removeRange(firstWhole, endWhole));
        }
      }
      long now = nowNs.getAsLong();
      long size = keepSize ? a.size() : Math.max(a.size(), end);
      namespace.setAttrs(inode, inode.attrs().withSize(size).withTimes(a.atimeNs(), now, now));
    } finally {
      f.lock.writeLock().unlock();
    }
  }

  /**
   * fallocate mode 0: the file grows to {@code offset + length} if shorter. Space is thin (a
   * hole costs nothing, and the SNs' capacity is shared), so nothing is reserved.
   */
  public void allocate(Inode inode, long offset, long length) {
    long end = checkEnd(offset, length);
    FileState f = regular(inode);
    f.lock.writeLock().lock();
    try {
      InodeAttrs a = inode.attrs();
      if (end > a.size()) {
        long now = nowNs.getAsLong();
        namespace.setAttrs(inode, a.withSize(end).withTimes(a.atimeNs(), a.mtimeNs(), now));
      }
    } finally {
      f.lock.writeLock().unlock();
    }
  }

  /** Blocks this mount mapped minus those it unmapped. */
  public long mappedDelta() {
    return mappedDelta.get();
  }

  /** 512-byte units of real allocation, for st_blocks: loads the file's LPT if needed. */
  public long allocatedSectors(Inode inode) {
    FileState f = inode.file();
    if (f == null) {
      return 0;
    }
    long mapped = f.mappedBlocksIfLoaded();
    if (mapped < 0 && f.storedMappedBlocks >= 0) {
      return f.storedMappedBlocks * (BLOCK_SIZE_BYTES / 512);
    }
    ensureLoaded(f);
    return f.mappedBlocksIfLoaded() * (BLOCK_SIZE_BYTES / 512);
  }

  /**
   * The inode is gone (its last name and handle): the MS releases its PAs; here the count for
   * statfs drops and the LPT's memory goes. Called under the namespace's monitor, so the file lock
   * is only tried (lock order); a file nobody can open any more is rarely locked.
   */
  private void forget(Inode inode) {
    FileState f = inode.file();
    if (f == null || !f.lock.writeLock().tryLock()) {
      return;
    }
    try {
      if (f.loaded) {
        forgetBlocks(f.lpt.truncate(0));
      }
    } finally {
      f.lock.writeLock().unlock();
    }
  }

  private void forgetBlocks(List<Lpt.MappedBlock> removed) {
    mappedDelta.addAndGet(-removed.size());
  }

  /** Journals released rows in records of at most BLOCKS_PER_RECORD_MAX. */
  private void unmap(FileState f, List<Lpt.MappedBlock> removed) {
    forgetBlocks(removed);
    for (int from = 0; from < removed.size(); from += JournalRecord.BLOCKS_PER_RECORD_MAX) {
      List<Lpt.MappedBlock> part = removed.subList(from,
          Math.min(removed.size(), from + JournalRecord.BLOCKS_PER_RECORD_MAX));
      journal.append(new JournalRecord.UnmapBlocks(f.ino,
          part.stream().mapToLong(Lpt.MappedBlock::block).toArray()));
    }
  }

  /** Zeros bytes [from, to) that lie within one block, if that block is mapped. */
  private void zeroWithinBlock(FileState f, long from, long to) {
    if (from >= to) {
      return;
    }
    long block = from / BLOCK_SIZE_BYTES;
    if (f.lpt.lookup(block) == null) {
      return; // A hole already reads as zeros.
    }
    byte[] data = io.read(f.lpt, block, 1);
    int start = (int) (from - block * BLOCK_SIZE_BYTES);
    Arrays.fill(data, start, start + (int) (to - from), (byte) 0);
    storeBlocks(f, block, data, 1);
  }

  /** Checks that [offset, offset + length) fits in the volume; returns its end. */
  private long checkEnd(long offset, long length) {
    if (offset < 0 || length < 0) {
      throw new FsException(Errno.EINVAL, "range at " + offset + " of " + length + " bytes");
    }
    if (length > volumeSizeBytes - offset) {
      throw new FsException(Errno.EFBIG, "range end " + offset + "+" + length
          + " is past the volume size " + volumeSizeBytes);
    }
    return offset + length;
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
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
        for (LptExtent x : page.extents()) {
          f.lpt.putExtent(x.firstBlock(), x.snId(), x.firstPa(), x.count());
          from = x.endBlock();
        }
        f.loaded = !page.more() || page.extents().isEmpty();
      }
    } finally {
      f.lock.writeLock().unlock();
    }
  }

  /**
   * Stores {@code count} whole blocks starting at logical block {@code first}: holes for zero
   * blocks, in-place overwrite for mapped ones, new PAs for the rest. The writes are still in
   * flight when this returns ({@link BlockIo}); the new LPT rows reach the MS only after the
   * journal has waited for them and FLUSHed the SNs.
   */
  private void storeBlocks(FileState f, long first, byte[] blocks, int count) {
    storeBlocks(f, first, blocks, count, null);
  }

  /** As above; with {@code reserve}, new PAs come from it (a write through a handle). */
  private void storeBlocks(FileState f, long first, byte[] blocks, int count, Reserve reserve) {
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
    int[] freshIndexes = fresh.stream().mapToInt(Integer::intValue).toArray();
    BlockAddress[] newAddresses = reserve == null ? placement.take(blocks, freshIndexes)
        : placement.take(blocks, freshIndexes, reserve);
    for (int j = 0; j < fresh.size(); j++) {
      targets[fresh.get(j)] = newAddresses[j];
    }
    io.write(blocks, targets);
    List<LptExtent> rows = new ArrayList<>();
    for (int j = 0; j < fresh.size(); j++) {
      long block = first + fresh.get(j);
      BlockAddress a = newAddresses[j];
      f.lpt.put(block, a);
      LptExtent row = new LptExtent(block, a.snId(), a.pa());
      int last = rows.size() - 1;
      if (last >= 0 && rows.get(last).continuedBy(row)) {
        rows.set(last, rows.get(last).append(row));
      } else {
        rows.add(row);
      }
    }
    mappedDelta.addAndGet(fresh.size());
    if (!rows.isEmpty()) {
      journal.append(new JournalRecord.MapBlocks(f.ino, rows));
    }
    if (!holes.isEmpty()) {
      List<Lpt.MappedBlock> removed = new ArrayList<>(holes.size());
      for (long block : holes) {
        removed.add(new Lpt.MappedBlock(block, f.lpt.remove(block)));
      }
      unmap(f, removed);
    }
  }

  private static boolean isZero(byte[] blocks, int index) {
    int from = index * BLOCK_SIZE_BYTES;
    return Arrays.mismatch(blocks, from, from + BLOCK_SIZE_BYTES,
        ZERO_BLOCK, 0, BLOCK_SIZE_BYTES) < 0;
  }
}
