package io.dvs.client.fs;

import io.dvs.client.meta.Inode;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Open file handles (FUSE's {@code fi->fh}) to inodes. I/O goes by handle, not by path, so an
 * unlinked or renamed file stays usable until it is closed.
 */
final class Handles {
  /** Open handles at once; each holds only a reference, but the table must stay bounded. */
  static final int OPEN_HANDLES_MAX = 1 << 20;

  private final AtomicLong nextHandle = new AtomicLong(1);
  private final Map<Long, Inode> open = new ConcurrentHashMap<>();

  long add(Inode inode) {
    if (open.size() >= OPEN_HANDLES_MAX) {
      throw new FsException(Errno.ENFILE, "too many open files in the mount");
    }
    long fh = nextHandle.getAndIncrement();
    open.put(fh, inode);
    return fh;
  }

  Inode get(long fh) {
    Inode inode = open.get(fh);
    if (inode == null) {
      throw new FsException(Errno.EBADF, "file handle " + fh);
    }
    return inode;
  }

  Inode remove(long fh) {
    Inode inode = open.remove(fh);
    if (inode == null) {
      throw new FsException(Errno.EBADF, "file handle " + fh);
    }
    return inode;
  }
}
