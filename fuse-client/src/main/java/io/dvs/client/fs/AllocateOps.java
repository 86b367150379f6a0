package io.dvs.client.fs;

import io.dvs.client.meta.Inode;

/**
 * fallocate(2) on an open file. Thin storage has nothing to reserve, so the work is in the
 * modes that free space: PUNCH_HOLE (from `fallocate -p`, and from the loop driver when the
 * filesystem in an image file discards blocks: fstrim, `mount -o discard`, mkfs) and
 * ZERO_RANGE (the loop driver's WRITE_ZEROES).
 */
final class AllocateOps {
  /** linux/falloc.h. */
  static final int FALLOC_FL_KEEP_SIZE = 0x01;
  static final int FALLOC_FL_PUNCH_HOLE = 0x02;
  static final int FALLOC_FL_ZERO_RANGE = 0x10;
  /** Every mode bit we implement; the rest (COLLAPSE, INSERT, UNSHARE) are EOPNOTSUPP. */
  static final int SUPPORTED_MODES = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE
      | FALLOC_FL_ZERO_RANGE;

  private final FsContext ctx;

  AllocateOps(FsContext ctx) {
    this.ctx = ctx;
  }

  /**
   * libfuse: fallocate(path, mode, offset, length, fi) on an open handle. mode 0 grows the
   * file to offset+length; KEEP_SIZE alone does nothing (preallocation past EOF is free
   * here); PUNCH_HOLE (always with KEEP_SIZE, the VFS insists) releases whole blocks and
   * zeros partial ones; ZERO_RANGE does the same and grows the file unless KEEP_SIZE.
   */
  int fallocate(long fh, int mode, long offset, long length) {
    if ((mode & ~SUPPORTED_MODES) != 0) {
      return -Errno.EOPNOTSUPP;
    }
    if (offset < 0 || length <= 0) {
      return -Errno.EINVAL;
    }
    Inode inode = ctx.handles().get(fh);
    if (!inode.attrs().isRegular()) {
      return -Errno.ENODEV;
    }
    boolean keepSize = (mode & FALLOC_FL_KEEP_SIZE) != 0;
    if ((mode & FALLOC_FL_PUNCH_HOLE) != 0) {
      if (!keepSize || (mode & FALLOC_FL_ZERO_RANGE) != 0) {
        return -Errno.EOPNOTSUPP;
      }
      ctx.data().zeroRange(inode, offset, length, true);
    } else if ((mode & FALLOC_FL_ZERO_RANGE) != 0) {
      ctx.data().zeroRange(inode, offset, length, keepSize);
    } else if (!keepSize) {
      ctx.data().allocate(inode, offset, length);
    }
    return 0;
  }
}
