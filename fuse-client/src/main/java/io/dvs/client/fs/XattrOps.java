package io.dvs.client.fs;

import io.dvs.client.meta.Inode;
import io.dvs.protocol.message.Xattrs;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import jnr.ffi.Pointer;

/**
 * setxattr, getxattr, listxattr, removexattr (rsync -X, ACLs as system.posix_acl_*, SELinux
 * labels). Values are opaque bytes kept with the inode and shipped to the MS as whole sets
 * (journal record PutXattrs), loaded from it on first use (GET_XATTRS). The kernel has already
 * checked name length, value size and the user.* rules for special files.
 */
final class XattrOps {
  /** setxattr(2) flags. */
  static final int XATTR_CREATE = 1;
  static final int XATTR_REPLACE = 2;

  /**
   * A set larger than this is shipped at once: the journal sizes groups by an estimate that
   * assumes small records, so a large set must not wait in a group with thousands of others.
   */
  static final int SHIP_AT_ONCE_BYTES = 4096;

  private final FsContext ctx;

  XattrOps(FsContext ctx) {
    this.ctx = ctx;
  }

  /**
   * setxattr: XATTR_CREATE fails with EEXIST if the name exists, XATTR_REPLACE with ENODATA if
   * it does not; a set past {@link Xattrs#SET_BYTES_MAX} is ENOSPC (as on ext4 when the
   * inode's attribute space is full).
   */
  int setxattr(String path, String name, Pointer value, long size, int flags) {
    if (size > Xattrs.VALUE_BYTES_MAX) {
      return -Errno.E2BIG;
    }
    checkName(name);
    byte[] bytes = new byte[(int) size];
    value.get(0, bytes, 0, bytes.length);
    Inode inode = ctx.namespace().resolve(path);
    while (true) {
      Xattrs current = ctx.namespace().xattrs(inode);
      boolean exists = current.asMap().containsKey(name);
      if ((flags & XATTR_CREATE) != 0 && exists) {
        return -Errno.EEXIST;
      }
      if ((flags & XATTR_REPLACE) != 0 && !exists) {
        return -Errno.ENODATA;
      }
      Map<String, byte[]> updated = new TreeMap<>(current.asMap());
      updated.put(name, bytes);
      long total = Xattrs.sizeBytes(updated);
      if (total > Xattrs.SET_BYTES_MAX) {
        return -Errno.ENOSPC;
      }
      if (ctx.namespace().replaceXattrs(inode, current, Xattrs.of(updated))) {
        if (total > SHIP_AT_ONCE_BYTES) {
          ctx.journal().ship();
        }
        return 0;
      }
    }
  }

  /** getxattr: size 0 asks for the length; a buffer too small is ERANGE; no such name ENODATA. */
  int getxattr(String path, String name, Pointer value, long size) {
    byte[] bytes = ctx.namespace().xattrs(ctx.namespace().resolve(path)).asMap().get(name);
    if (bytes == null) {
      return -Errno.ENODATA;
    }
    return copyOut(bytes, value, size);
  }

  /** listxattr: every name NUL-terminated, same size rules as getxattr. */
  int listxattr(String path, Pointer list, long size) {
    Xattrs x = ctx.namespace().xattrs(ctx.namespace().resolve(path));
    StringBuilder names = new StringBuilder();
    for (String name : x.asMap().keySet()) {
      names.append(name).append('\0');
    }
    return copyOut(names.toString().getBytes(StandardCharsets.UTF_8), list, size);
  }

  int removexattr(String path, String name) {
    Inode inode = ctx.namespace().resolve(path);
    while (true) {
      Xattrs current = ctx.namespace().xattrs(inode);
      if (!current.asMap().containsKey(name)) {
        return -Errno.ENODATA;
      }
      Map<String, byte[]> updated = new TreeMap<>(current.asMap());
      updated.remove(name);
      if (ctx.namespace().replaceXattrs(inode, current, Xattrs.of(updated))) {
        return 0;
      }
    }
  }

  private static void checkName(String name) {
    int bytes = name.getBytes(StandardCharsets.UTF_8).length;
    if (bytes == 0 || bytes > Xattrs.NAME_BYTES_MAX) {
      throw new FsException(Errno.ERANGE, "xattr name of " + bytes + " bytes");
    }
  }

  private static int copyOut(byte[] bytes, Pointer dst, long size) {
    if (size == 0) {
      return bytes.length;
    }
    if (size < bytes.length) {
      return -Errno.ERANGE;
    }
    dst.put(0, bytes, 0, bytes.length);
    return bytes.length;
  }
}
