package io.dvs.client.fs;

import io.dvs.client.meta.Inode;
import io.dvs.protocol.FsNames;
import jnr.ffi.Pointer;

/** Names: unlink, rename, link, symlink, readlink, mknod. */
final class LinkOps {
  private final FsContext ctx;

  LinkOps(FsContext ctx) {
    this.ctx = ctx;
  }

  /** unlink(2): an open file stays readable and writable until its last close. */
  int unlink(String path) {
    ctx.namespace().unlink(path);
    return 0;
  }

  /** rename(2): replaces a file, or an empty directory by a directory; POSIX errors. */
  int rename(String from, String to) {
    ctx.namespace().rename(from, to);
    return 0;
  }

  int link(String existing, String newPath) {
    ctx.namespace().link(existing, newPath);
    return 0;
  }

  /** symlink(2): {@code target} is stored as given, never resolved by us. */
  int symlink(String target, String path, int uid, int gid) {
    ctx.namespace().symlink(target, path, uid, gid);
    return 0;
  }

  /**
   * readlink: libfuse wants the target NUL-terminated in {@code buf} of {@code size} bytes,
   * truncated if it does not fit.
   */
  int readlink(String path, Pointer buf, long size) {
    Inode inode = ctx.namespace().resolve(path);
    if (!inode.attrs().isSymlink()) {
      return -Errno.EINVAL;
    }
    byte[] target = FsNames.encode(inode.attrs().symlinkTarget());
    int n = (int) Math.min(target.length, size - 1);
    buf.put(0, target, 0, n);
    buf.putByte(n, (byte) 0);
    return 0;
  }

  /** mknod(2): regular files, FIFOs, sockets and device nodes. */
  int mknod(String path, long mode, long rdev, int uid, int gid) {
    ctx.namespace().mknod(path, (int) mode, uid, gid, rdev);
    return 0;
  }
}
