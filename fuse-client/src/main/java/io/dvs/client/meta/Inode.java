package io.dvs.client.meta;

import io.dvs.client.data.FileState;
import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.MetadataOps;
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

  /** A new inode (nothing stored yet), or one loaded from the MS ({@code stored}). */
  Inode(InodeAttrs attrs, boolean lptKnownEmpty) {
    this(attrs, lptKnownEmpty, -1);
  }

  Inode(MetadataOps.StoredInode stored) {
    this(stored.attrs(), false, stored.mappedBlocks());
  }

  private Inode(InodeAttrs attrs, boolean lptKnownEmpty, long storedMappedBlocks) {
    this.attrs = attrs;
    this.file = attrs.isRegular()
        ? new FileState(attrs.ino(), lptKnownEmpty, storedMappedBlocks) : null;
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
