package io.dvs.client.meta;

import io.dvs.client.data.FileState;
import io.dvs.protocol.message.InodeAttrs;
import java.util.TreeMap;

/**
 * The client's cached copy of one inode. All fields are guarded by the {@link Namespace} lock,
 * except {@link #file}, which carries its own lock for data I/O.
 */
public final class Inode {
  private InodeAttrs attrs;

  /** Directory entries by name; null until loaded from the MS (directories only). */
  TreeMap<String, Long> children;

  /** For directories: the one directory that contains it (root: itself). */
  long parentIno = InodeAttrs.ROOT_INO;

  /** Open file handles; an unlinked inode lives until this drops to zero. */
  int openCount;

  /** Extended attributes; null until loaded from the MS (a new inode starts with none). */
  io.dvs.protocol.message.Xattrs xattrs;

  /** Data state (LPT, lock) of a regular file; null for other types. */
  private final FileState file;

  Inode(InodeAttrs attrs, boolean lptKnownEmpty) {
    this.attrs = attrs;
    this.file = attrs.isRegular() ? new FileState(attrs.ino(), lptKnownEmpty) : null;
    this.xattrs = lptKnownEmpty ? io.dvs.protocol.message.Xattrs.EMPTY : null;
  }

  public long ino() {
    return attrs.ino();
  }

  public synchronized InodeAttrs attrs() {
    return attrs;
  }

  synchronized void setAttrs(InodeAttrs newAttrs) {
    this.attrs = newAttrs;
  }

  public FileState file() {
    return file;
  }
}
