package io.dvs.client.data;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A regular file's data state on the client: its LPT, loaded from the MS on first use.
 * {@link #lock} guards {@link #lpt} and {@link #loaded}: readers share it, a writer (write,
 * truncate, punch) holds it alone, so overlapping writes to one block are never interleaved.
 */
public final class FileState {
  final long ino;
  final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  final Lpt lpt = new Lpt();
  boolean loaded;
  /** PAs set aside for this file's next new blocks while a handle writes it. */
  final Reserve reserve = new Reserve();
  /**
   * Blocks the MS said the LPT maps when the inode was loaded; -1 if unknown. Good while the
   * LPT is not loaded: every change loads it first. Lets stat answer st_blocks for a file
   * nobody opened without fetching its whole LPT (ls -l, du, rsync over an existing tree).
   */
  final long storedMappedBlocks;

  public FileState(long ino, boolean lptKnownEmpty, long storedMappedBlocks) {
    this.ino = ino;
    this.loaded = lptKnownEmpty;
    this.storedMappedBlocks = storedMappedBlocks;
  }

  /** Blocks with data, if the LPT is loaded; -1 if not yet. */
  public long mappedBlocksIfLoaded() {
    lock.readLock().lock();
    try {
      return loaded ? lpt.mappedBlocks() : -1;
    } finally {
      lock.readLock().unlock();
    }
  }
}
