package io.dvs.client.fs;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;

import io.dvs.client.meta.Inode;
import io.dvs.protocol.ProtocolLimits;
import io.dvs.protocol.message.InodeAttrs;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/** getattr, chmod, chown, utimens, truncate, statfs: an inode's attributes. */
final class AttrOps {
  /** utimensat(2)'s special tv_nsec values. */
  static final long UTIME_NOW = (1L << 30) - 1;
  static final long UTIME_OMIT = (1L << 30) - 2;

  static final int S_ISUID = 04000;
  static final int S_ISGID = 02000;
  static final int S_IXGRP = 00010;

  /** chown(2) passes -1 (as an unsigned 32-bit id) for "leave unchanged". */
  private static final long ID_UNCHANGED = 0xFFFF_FFFFL;

  /** Inodes statfs reports: the namespace has no fixed inode table, so a large round number. */
  private static final long FILES_REPORTED = 1L << 32;

  private final FsContext ctx;

  AttrOps(FsContext ctx) {
    this.ctx = ctx;
  }

  /** getattr(2): lstat of a path; the kernel follows symlinks itself. */
  int getattr(String path, FileStat stat) {
    fill(ctx.namespace().resolve(path), stat);
    return 0;
  }

  /** fgetattr: fstat of an open handle, which works for unlinked files too. */
  int fgetattr(long fh, FileStat stat) {
    fill(ctx.handles().get(fh), stat);
    return 0;
  }

  /** st_blocks is real allocation (mapped blocks), so `du` of a sparse image file is small. */
  private void fill(Inode inode, FileStat stat) {
    InodeAttrs a = inode.attrs();
    stat.st_ino.set(a.ino());
    stat.st_mode.set(a.mode());
    stat.st_nlink.set(inode.visibleLinks());
    stat.st_uid.set(a.uid());
    stat.st_gid.set(a.gid());
    stat.st_rdev.set(a.rdev());
    stat.st_size.set(a.size());
    stat.st_blksize.set(BLOCK_SIZE_BYTES);
    stat.st_blocks.set(ctx.data().allocatedSectors(inode));
    setTime(stat.st_atim, a.atimeNs());
    setTime(stat.st_mtim, a.mtimeNs());
    setTime(stat.st_ctim, a.ctimeNs());
  }

  private static void setTime(Timespec t, long ns) {
    t.tv_sec.set(Math.floorDiv(ns, 1_000_000_000L));
    t.tv_nsec.set(Math.floorMod(ns, 1_000_000_000L));
  }

  /**
   * chmod(2): permission bits change, the file type stays; ctime moves. The kernel checked
   * ownership (default_permissions); like the VFS, setgid is dropped when a caller without
   * CAP_FSETID (we take: non-root) is not in the file's group.
   */
  int chmod(String path, long mode, Caller caller) {
    Inode inode = ctx.namespace().resolve(path);
    InodeAttrs a = inode.attrs();
    int newMode = (a.mode() & InodeAttrs.S_IFMT) | ((int) mode & 07777);
    if ((newMode & S_ISGID) != 0 && !caller.isRoot() && !caller.inGroup(a.gid())) {
      newMode &= ~S_ISGID;
    }
    ctx.namespace().setAttrs(inode,
        a.withMode(newMode).withTimes(a.atimeNs(), a.mtimeNs(), ctx.nowNs().getAsLong()));
    return 0;
  }

  /** chown(2): -1 leaves an id unchanged; a change clears setuid/setgid on regular files. */
  int chown(String path, long uid, long gid) {
    Inode inode = ctx.namespace().resolve(path);
    InodeAttrs a = inode.attrs();
    int newUid = (uid == -1 || uid == ID_UNCHANGED) ? a.uid() : (int) uid;
    int newGid = (gid == -1 || gid == ID_UNCHANGED) ? a.gid() : (int) gid;
    int mode = a.mode();
    if (a.isRegular() && (newUid != a.uid() || newGid != a.gid())) {
      // Like the VFS: suid always goes; sgid only with group-execute (else it is mandatory
      // locking's marker, not a privilege).
      mode &= ~S_ISUID;
      if ((mode & S_IXGRP) != 0) {
        mode &= ~S_ISGID;
      }
    }
    ctx.namespace().setAttrs(inode, a.withOwner(newUid, newGid).withMode(mode)
        .withTimes(a.atimeNs(), a.mtimeNs(), ctx.nowNs().getAsLong()));
    return 0;
  }

  /** utimensat(2): nanosecond times, with UTIME_NOW and UTIME_OMIT. */
  int utimens(String path, Timespec[] times) {
    Inode inode = ctx.namespace().resolve(path);
    InodeAttrs a = inode.attrs();
    long now = ctx.nowNs().getAsLong();
    long atime = timeOf(times[0], a.atimeNs(), now);
    long mtime = timeOf(times[1], a.mtimeNs(), now);
    ctx.namespace().setAttrs(inode, a.withTimes(atime, mtime, now));
    return 0;
  }

  private static long timeOf(Timespec t, long current, long now) {
    long nsec = t.tv_nsec.longValue();
    if (nsec == UTIME_NOW) {
      return now;
    }
    if (nsec == UTIME_OMIT) {
      return current;
    }
    return t.tv_sec.get() * 1_000_000_000L + nsec;
  }

  int truncate(String path, long size) {
    return truncate(ctx.namespace().resolve(path), size);
  }

  int ftruncate(long fh, long size) {
    return truncate(ctx.handles().get(fh), size);
  }

  private int truncate(Inode inode, long size) {
    if (size < 0) {
      return -Errno.EINVAL;
    }
    ctx.data().truncate(inode, size);
    return 0;
  }

  /** statfs(2): the thin volume's logical size; free is what is not yet written. */
  int statfs(Statvfs st) {
    long total = ctx.volumeSizeBytes() / BLOCK_SIZE_BYTES;
    long free = Math.max(0, total - ctx.usedBlocks().getAsLong());
    st.f_bsize.set(BLOCK_SIZE_BYTES);
    st.f_frsize.set(BLOCK_SIZE_BYTES);
    st.f_blocks.set(total);
    st.f_bfree.set(free);
    st.f_bavail.set(free);
    st.f_files.set(FILES_REPORTED);
    st.f_ffree.set(FILES_REPORTED);
    st.f_favail.set(FILES_REPORTED);
    st.f_namemax.set(ProtocolLimits.NAME_BYTES_MAX);
    return 0;
  }
}
