package io.dvs.client.fs;

import io.dvs.client.meta.Inode;
import io.dvs.protocol.message.InodeAttrs;
import jnr.ffi.Pointer;

/** create, open, read, write, flush, release, fsync: file handles and their data. */
final class FileOps {
  /** Largest read or write FUSE sends with max_read/max_write=128 KiB; bounds our buffers. */
  static final int IO_BYTES_MAX = 1 << 20;

  /** A read or write of up to max_read/max_write bytes: almost every one the kernel sends. */
  static final int IO_BUFFER_BYTES = 128 << 10;

  /**
   * Per FUSE worker, the buffer a write's bytes come into from the kernel's request, or a read's
   * bytes go out from. The data path has copied a write's bytes onward (into the SNs' request
   * frames) when it returns, and a read's are in the kernel's buffer when the reply is made, so
   * the worker's next request reuses it: 128 KiB less garbage, and no zeroing, per request.
   */
  private static final ThreadLocal<byte[]> IO_BUFFER =
      ThreadLocal.withInitial(() -> new byte[IO_BUFFER_BYTES]);

  private final FsContext ctx;

  FileOps(FsContext ctx) {
    this.ctx = ctx;
  }

  /** create(2) = mknod + open: returns the new handle. */
  long create(String path, long mode, int uid, int gid) {
    Inode inode = ctx.namespace().mknod(path, InodeAttrs.S_IFREG | ((int) mode & 07777), uid, gid, 0);
    return open(inode);
  }

  /** open(2): the kernel already checked permissions (default_permissions). */
  long open(String path) {
    return open(ctx.namespace().resolve(path));
  }

  private long open(Inode inode) {
    ctx.namespace().opened(inode);
    try {
      return ctx.handles().add(inode);
    } catch (RuntimeException e) {
      ctx.namespace().released(inode);
      throw e;
    }
  }

  int read(long fh, Pointer buf, long size, long offset) {
    checkIo(size, offset);
    Inode inode = ctx.handles().get(fh);
    byte[] bytes = size <= IO_BUFFER_BYTES ? IO_BUFFER.get() : new byte[(int) size];
    int n = ctx.data().read(inode, offset, bytes, (int) size);
    buf.put(0, bytes, 0, n);
    return n;
  }

  /**
   * write: the kernel already placed O_APPEND writes at EOF (under its inode lock, so two
   * appenders never interleave). A non-root writer clears setuid, and setgid with
   * group-execute, as the VFS's file_remove_privs does on local filesystems.
   */
  int write(long fh, Pointer buf, long size, long offset, Caller caller) {
    checkIo(size, offset);
    Inode inode = ctx.handles().get(fh);
    byte[] bytes = size <= IO_BUFFER_BYTES ? IO_BUFFER.get() : new byte[(int) size];
    buf.get(0, bytes, 0, (int) size);
    ctx.data().write(inode, offset, bytes, (int) size);
    if (!caller.isRoot()) {
      killPrivileges(inode);
    }
    return (int) size;
  }

  private void killPrivileges(Inode inode) {
    InodeAttrs a = inode.attrs();
    int mode = a.mode() & ~AttrOps.S_ISUID;
    if ((mode & AttrOps.S_IXGRP) != 0) {
      mode &= ~AttrOps.S_ISGID;
    }
    if (mode != a.mode()) {
      ctx.namespace().setAttrs(inode, a.withMode(mode));
    }
  }

  private static void checkIo(long size, long offset) {
    if (size < 0 || size > IO_BYTES_MAX || offset < 0) {
      throw new FsException(Errno.EINVAL, "I/O of " + size + " bytes at " + offset);
    }
  }

  /** release: the last close of a handle; an unlinked inode goes with its last handle. */
  int release(long fh) {
    Inode inode = ctx.handles().remove(fh);
    ctx.data().released(inode);
    ctx.namespace().released(inode);
    return 0;
  }

  /**
   * fsync(2)/fdatasync(2): the file's data and every metadata change it depends on become
   * durable: FLUSH to each SN written, then the pending metadata group applied by the MS. A
   * block write an SN refused for good since the last fsync fails this one (EIO, ENOSPC).
   */
  int fsync() {
    ctx.journal().ship();
    ctx.data().reportLostWrite();
    return 0;
  }
}
