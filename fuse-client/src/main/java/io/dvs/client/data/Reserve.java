package io.dvs.client.data;

/**
 * PAs set aside for one file being written, so that its new blocks get consecutive PAs even
 * while other files are written at the same time. Consecutive PAs for consecutive blocks make
 * one LPT extent (one MS row, one journal entry) of what would otherwise be one extent per
 * request: four files written together took PAs in turn, 32 at a time, and the MS spent 14% of
 * the mount's CPU applying the extents. Like ext4's per-inode preallocation; what is left goes
 * back to the pool when the file's handle is released.
 *
 * <p>Guarded by the file's lock ({@link FileState#lock}, held for writing).
 */
final class Reserve {
  /** PAs a file sets aside at a time: 1 MiB, eight 128 KiB FUSE writes. */
  static final int BLOCKS = 256;

  private PaRun run;
  /** The pool {@link #run} came from (BlockPlacement's key: an SN id or ANY_SN). */
  private int pool;

  /** The run set aside now, or null. */
  PaRun run() {
    return run;
  }

  int pool() {
    return pool;
  }

  void set(int pool, PaRun run) {
    this.pool = pool;
    this.run = run;
  }

  /** Empties the reserve; returns what it held (null if nothing). */
  PaRun clear() {
    PaRun r = run;
    run = null;
    return r != null && r.count() > 0 ? r : null;
  }
}
