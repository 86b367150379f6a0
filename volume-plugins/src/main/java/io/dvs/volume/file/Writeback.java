package io.dvs.volume.file;

import io.dvs.volume.LinuxLibC;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Starts the kernel's writeback of a device file every {@link #KICK_BYTES} written, with
 * {@code sync_file_range(SYNC_FILE_RANGE_WRITE)} on the device's native descriptor (the device
 * owns and closes it) and on a thread of its own, so that a sync finds
 * little left to write. Without it the page cache collects dirty blocks until the kernel's
 * background threshold (10% of RAM by default), and the FLUSH behind an fsync then writes all of
 * them at once while the writer waits. RocksDB's {@code bytes_per_sync} and PostgreSQL's
 * {@code *_flush_after} do the same. A hint: where libc or the call is missing it is a no-op.
 */
final class Writeback implements AutoCloseable {
  /** Written bytes between two kicks: one call per 4,096 blocks, little next to a disk's second. */
  static final long KICK_BYTES = 16L << 20;

  private final ExecutorService thread;
  private final AtomicLong unkickedBytes = new AtomicLong();
  /** True while a kick is queued or running: writers never queue a second one. */
  private final AtomicBoolean kickPending = new AtomicBoolean();
  private final AtomicLong kicks = new AtomicLong();

  private final FdCall syncFileRange;

  Writeback(Path path, int fd) {
    this.syncFileRange = new FdCall(path, fd, "sync_file_range",
        "dirty blocks wait for the kernel's own writeback from now on");
    this.thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "dvs-writeback " + path.getFileName());
      t.setDaemon(true);
      return t;
    });
  }

  /** Counts {@code bytes} just written; past {@link #KICK_BYTES}, starts their writeback. */
  void written(long bytes) {
    if (unkickedBytes.addAndGet(bytes) < KICK_BYTES || !kickPending.compareAndSet(false, true)) {
      return;
    }
    unkickedBytes.set(0);
    try {
      thread.execute(this::kick);
    } catch (RejectedExecutionException e) {
      kickPending.set(false); // closed
    }
  }

  /** Writebacks started so far (for tests). */
  long kicks() {
    return kicks.get();
  }

  private void kick() {
    try {
      if (syncFileRange.run(LinuxLibC::startWriteback)) {
        kicks.incrementAndGet();
      }
    } finally {
      kickPending.set(false);
    }
  }

  /** Lets a running kick end and starts no more: the descriptor is about to close. */
  @Override
  public void close() {
    thread.shutdown();
    try {
      thread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    syncFileRange.stop();
  }
}
