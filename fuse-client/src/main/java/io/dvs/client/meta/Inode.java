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

  /**
   * Of its links, those that are libfuse's hidden names for an unlinked open file (this mount's
   * only; see Namespace#isHidden): fstat shows the links without them, 0 once the last real name
   * is gone, as POSIX has it.
   */
  int hiddenNames;

  /** Extended attributes; null until loaded from the MS (a new inode starts with none). */
  io.dvs.protocol.message.Xattrs xattrs;

  /** Data state (LPT, lock) of a regular file; null for other types. */
  private final FileState file;

  /** The link count users see: without hidden names ({@link #hiddenNames}). */
  public long visibleLinks() {
    return Math.max(0, attrs().nlink() - hiddenNames);
  }

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
