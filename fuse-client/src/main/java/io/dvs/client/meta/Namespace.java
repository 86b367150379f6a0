package io.dvs.client.meta;

import static io.dvs.client.fs.Errno.EBUSY;
import static io.dvs.client.fs.Errno.EEXIST;
import static io.dvs.client.fs.Errno.EINVAL;
import static io.dvs.client.fs.Errno.EISDIR;
import static io.dvs.client.fs.Errno.EMLINK;
import static io.dvs.client.fs.Errno.ENAMETOOLONG;
import static io.dvs.client.fs.Errno.ENOENT;
import static io.dvs.client.fs.Errno.ENOTDIR;
import static io.dvs.client.fs.Errno.ENOTEMPTY;
import static io.dvs.client.fs.Errno.EPERM;
import static io.dvs.protocol.message.InodeAttrs.S_IFDIR;
import static io.dvs.protocol.message.InodeAttrs.S_IFLNK;
import static io.dvs.protocol.message.InodeAttrs.S_IFMT;

import io.dvs.client.fs.FsException;
import io.dvs.protocol.FsNames;
import io.dvs.protocol.ProtocolLimits;
import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.JournalRecord;
import io.dvs.protocol.message.MetadataOps;
import io.dvs.protocol.message.Xattrs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The volume's namespace as the client sees it: inodes and directories, loaded from the MS on
 * first use, changed locally at once and queued in the {@link MetadataJournal}. The client holds
 * the volume's read-write lease, so its view is the truth and the MS catches up group by group.
 *
 * <p>One lock, this object's monitor, guards the inode table and every directory's entries.
 * Operations are in-memory except the first visit of a directory, which loads it. The journal
 * cuts its groups under the same lock, so each operation reaches the MS whole or not at all
 * (a rename is two or more records).
 */
public final class Namespace {
  /** Hard links per inode; ext4's limit, and what `ln` users expect. */
  public static final int LINKS_MAX = 65_000;

  /** How libfuse2 names an unlinked open file ({@link #isHidden}). */
  private static final String HIDDEN_PREFIX = ".fuse_hidden";

  private final MetadataSource source;
  private final MetadataJournal journal;
  private final LongSupplier nowNs;
  private final Map<Long, Inode> inodes = new HashMap<>();
  private long nextIno;

  /** Where inodes and directories come from: the MS, or a fake in tests. */
  public interface MetadataSource {
    MetadataOps.StoredInode getInode(long ino);

    MetadataOps.DirPage listDir(long dirIno, String afterName, int maxEntries);

    /** The inode's extended attributes (GET_XATTRS); a source without them has none. */
    default Xattrs getXattrs(long ino) {
      return Xattrs.EMPTY;
    }
  }

  /** Told when an inode is deleted (its last name and last handle gone); under our monitor. */
  private Consumer<Inode> deleteListener = inode -> {};

  public synchronized void onDelete(Consumer<Inode> listener) {
    this.deleteListener = listener;
  }

  /** The inode's extended attributes, loaded from the MS on first use. */
  public synchronized Xattrs xattrs(Inode inode) {
    if (inode.xattrs == null) {
      inode.xattrs = source.getXattrs(inode.ino());
    }
    return inode.xattrs;
  }

  /**
   * Replaces the inode's extended attributes if {@code current} is still what they are
   * (callers compute the new set from a snapshot; false means retry). ctime moves, as POSIX
   * says for setxattr and removexattr.
   */
  public synchronized boolean replaceXattrs(Inode inode, Xattrs current, Xattrs updated) {
    if (xattrs(inode) != current) {
      return false;
    }
    inode.xattrs = updated;
    journal.append(new JournalRecord.PutXattrs(inode.ino(), updated));
    InodeAttrs a = inode.attrs();
    setAttrs(inode, a.withTimes(a.atimeNs(), a.mtimeNs(), nowNs.getAsLong()));
    return true;
  }

  public Namespace(MetadataSource source, MetadataJournal journal, long nextIno,
      LongSupplier nowNs) {
    this.source = source;
    this.journal = journal;
    this.nextIno = nextIno;
    this.nowNs = nowNs;
    journal.cutBetweenOperationsOf(this);
  }

  /** Resolves {@code path} ("/" or "/a/b") to its inode; ENOENT or ENOTDIR on the way. */
  public synchronized Inode resolve(String path) {
    Inode current = root();
    for (String name : components(path)) {
      current = child(current, name);
    }
    return current;
  }

  /**
   * The names in directory {@code path}, in order (readdir needs nothing else), without the
   * names libfuse gave unlinked files still open ({@link #isHidden}).
   */
  public synchronized List<String> list(String path) {
    List<String> names = new ArrayList<>();
    for (String name : children(resolve(path)).keySet()) {
      if (!isHidden(name)) {
        names.add(name);
      }
    }
    return names;
  }

  /**
   * A name libfuse2 gave a file unlinked while open, ".fuse_hidden" and 16 hex digits (node id
   * and counter): it renames the file so that I/O and fstat keep a path, and unlinks that name
   * at the last close. Such names are not the user's: readdir leaves them out, and they do not
   * keep a directory from being removed.
   */
  static boolean isHidden(String name) {
    if (name.length() != HIDDEN_PREFIX.length() + 16 || !name.startsWith(HIDDEN_PREFIX)) {
      return false;
    }
    for (int i = HIDDEN_PREFIX.length(); i < name.length(); i++) {
      if (Character.digit(name.charAt(i), 16) < 0) {
        return false;
      }
    }
    return true;
  }

  /** Keeps {@link Inode#hiddenNames} in step as {@code name}, one of its names, comes or goes. */
  private static void countHidden(Inode inode, String name, int delta) {
    if (isHidden(name)) {
      inode.hiddenNames = Math.max(0, inode.hiddenNames + delta);
    }
  }

  /** A directory with no names but hidden ones ({@link #isHidden}) is empty. */
  private boolean isEmptyDir(Inode dir) {
    for (String name : children(dir).keySet()) {
      if (!isHidden(name)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Removes the hidden names of a directory about to go: each file lives on while open, and
   * libfuse's unlink of the name at its last close finds nothing (ignored there).
   */
  private void removeHiddenNames(Inode dir, long now) {
    for (String name : new ArrayList<>(children(dir).keySet())) {
      Inode hidden = inode(children(dir).get(name));
      removeEntry(dir, name, now);
      countHidden(hidden, name, -1);
      dropLink(hidden);
    }
  }

  public synchronized Inode mkdir(String path, int mode, int uid, int gid) {
    return createNode(path, S_IFDIR | (mode & 07777), uid, gid, 0, "");
  }

  /** Creates a regular file, FIFO, socket or device node ({@code mode} carries the type). */
  public synchronized Inode mknod(String path, int mode, int uid, int gid, long rdev) {
    if ((mode & S_IFMT) == 0 || (mode & S_IFMT) == S_IFDIR || (mode & S_IFMT) == S_IFLNK) {
      throw new FsException(EINVAL, "mknod of type " + Integer.toOctalString(mode & S_IFMT));
    }
    return createNode(path, mode, uid, gid, rdev, "");
  }

  public synchronized Inode symlink(String target, String path, int uid, int gid) {
    if (FsNames.encodedLength(target) > ProtocolLimits.SYMLINK_TARGET_BYTES_MAX) {
      throw new FsException(ENAMETOOLONG, "symlink target too long");
    }
    return createNode(path, S_IFLNK | 0777, uid, gid, 0, target);
  }

  private Inode createNode(String path, int mode, int uid, int gid, long rdev, String target) {
    Inode parent = parentOf(path);
    String name = checkedName(lastComponent(path));
    if (children(parent).containsKey(name)) {
      throw new FsException(EEXIST, path);
    }
    long now = nowNs.getAsLong();
    boolean isDir = (mode & S_IFMT) == S_IFDIR;
    long size = FsNames.encodedLength(target);
    InodeAttrs attrs = new InodeAttrs(nextIno++, mode, isDir ? 2 : 1, uid, gid, rdev, size,
        now, now, now, target);
    Inode inode = new Inode(attrs, true);
    if (isDir) {
      inode.children = new TreeMap<>();
      inode.parentIno = parent.ino();
      setAttrs(parent, parent.attrs().withNlink(parent.attrs().nlink() + 1));
    }
    inodes.put(attrs.ino(), inode);
    journal.putInode(attrs);
    addEntry(parent, name, inode.ino(), now);
    return inode;
  }

  public synchronized void link(String existingPath, String newPath) {
    Inode inode = resolve(existingPath);
    if (inode.attrs().isDirectory()) {
      throw new FsException(EPERM, "hard link to a directory");
    }
    if (inode.attrs().nlink() >= LINKS_MAX) {
      throw new FsException(EMLINK, existingPath);
    }
    Inode parent = parentOf(newPath);
    String name = checkedName(lastComponent(newPath));
    if (children(parent).containsKey(name)) {
      throw new FsException(EEXIST, newPath);
    }
    long now = nowNs.getAsLong();
    InodeAttrs a = inode.attrs();
    setAttrs(inode, a.withNlink(a.nlink() + 1).withTimes(a.atimeNs(), a.mtimeNs(), now));
    addEntry(parent, name, inode.ino(), now);
  }

  public synchronized void unlink(String path) {
    Inode parent = parentOf(path);
    String name = lastComponent(path);
    Inode inode = child(parent, name);
    if (inode.attrs().isDirectory()) {
      throw new FsException(EISDIR, path);
    }
    removeEntry(parent, name, nowNs.getAsLong());
    countHidden(inode, name, -1);
    dropLink(inode);
  }

  public synchronized void rmdir(String path) {
    if (components(path).isEmpty()) {
      throw new FsException(EBUSY, "cannot remove the root directory");
    }
    Inode parent = parentOf(path);
    String name = lastComponent(path);
    Inode dir = child(parent, name);
    if (!dir.attrs().isDirectory()) {
      throw new FsException(ENOTDIR, path);
    }
    if (!isEmptyDir(dir)) {
      throw new FsException(ENOTEMPTY, path);
    }
    long now = nowNs.getAsLong();
    removeHiddenNames(dir, now);
    removeEntry(parent, name, now);
    setAttrs(parent, parent.attrs().withNlink(parent.attrs().nlink() - 1));
    deleteInode(dir);
  }

  /** rename(2): replaces a file, or an empty directory with a directory; POSIX errors. */
  public synchronized void rename(String from, String to) {
    Inode fromParent = parentOf(from);
    String fromName = lastComponent(from);
    Inode moving = child(fromParent, fromName);
    Inode toParent = parentOf(to);
    String toName = checkedName(lastComponent(to));
    boolean isDir = moving.attrs().isDirectory();
    if (isDir && isAncestorOrSelf(moving, toParent)) {
      throw new FsException(EINVAL, "cannot move a directory into itself");
    }
    Long replacedIno = children(toParent).get(toName);
    if (replacedIno != null && replacedIno == moving.ino()) {
      return; // Same inode under both names: POSIX says do nothing.
    }
    long now = nowNs.getAsLong();
    if (replacedIno != null) {
      Inode replaced = inode(replacedIno);
      if (isDir && !replaced.attrs().isDirectory()) {
        throw new FsException(ENOTDIR, to);
      }
      if (!isDir && replaced.attrs().isDirectory()) {
        throw new FsException(EISDIR, to);
      }
      if (replaced.attrs().isDirectory()) {
        if (!isEmptyDir(replaced)) {
          throw new FsException(ENOTEMPTY, to);
        }
        removeHiddenNames(replaced, now);
        removeEntry(toParent, toName, now);
        setAttrs(toParent, toParent.attrs().withNlink(toParent.attrs().nlink() - 1));
        deleteInode(replaced);
      } else {
        removeEntry(toParent, toName, now);
        dropLink(replaced);
      }
    }
    removeEntry(fromParent, fromName, now);
    addEntry(toParent, toName, moving.ino(), now);
    countHidden(moving, fromName, -1);
    countHidden(moving, toName, 1); // libfuse hiding a file unlinked while open
    InodeAttrs m = moving.attrs();
    setAttrs(moving, m.withTimes(m.atimeNs(), m.mtimeNs(), now));
    moving.parentIno = toParent.ino();
    if (isDir && fromParent != toParent) {
      setAttrs(fromParent, fromParent.attrs().withNlink(fromParent.attrs().nlink() - 1));
      setAttrs(toParent, toParent.attrs().withNlink(toParent.attrs().nlink() + 1));
    }
    if (isHidden(toName)) {
      // Last, after every record of ours: libfuse's rename onto the old name may follow.
      journal.hidden();
    }
  }

  /** Sets an inode's attributes (chmod, chown, utimens, size) and queues them. */
  public synchronized void setAttrs(Inode inode, InodeAttrs attrs) {
    inode.setAttrs(attrs);
    if (inodes.containsKey(inode.ino())) {
      journal.putInode(attrs);
    }
  }

  /** Counts an open handle: an unlinked inode lives until its last close. */
  public synchronized void opened(Inode inode) {
    inode.openCount++;
  }

  public synchronized void released(Inode inode) {
    inode.openCount--;
    if (inode.openCount == 0 && inode.attrs().nlink() == 0) {
      deleteInode(inode);
    }
  }

  /** A data operation on an inode that is still present (not deleted meanwhile)? */
  public synchronized boolean isLive(Inode inode) {
    return inodes.get(inode.ino()) == inode;
  }

  private void dropLink(Inode inode) {
    InodeAttrs a = inode.attrs();
    setAttrs(inode, a.withNlink(a.nlink() - 1).withTimes(a.atimeNs(), a.mtimeNs(),
        nowNs.getAsLong()));
    if (inode.attrs().nlink() == 0 && inode.openCount == 0) {
      deleteInode(inode);
    }
  }

  private void deleteInode(Inode inode) {
    inodes.remove(inode.ino());
    journal.append(new JournalRecord.DeleteInode(inode.ino()));
    deleteListener.accept(inode);
  }

  private void addEntry(Inode parent, String name, long ino, long now) {
    children(parent).put(name, ino);
    journal.append(new JournalRecord.PutDirent(parent.ino(), name, ino));
    touchDir(parent, now);
  }

  /**
   * A hidden name ({@link #isHidden}) in a directory loaded just now is a file an earlier mount
   * had open, unlinked, when it stopped without its last close (a crash): nobody has it open
   * now, so it goes, as its unlink would have. (This mount hides files only in directories it
   * loaded already.) The directory's times stay: the user changed nothing.
   */
  private void dropLeftoverHiddenNames(Inode dir) {
    for (String name : new ArrayList<>(dir.children.keySet())) {
      if (isHidden(name)) {
        Inode leftover = inode(dir.children.remove(name));
        journal.append(new JournalRecord.DeleteDirent(dir.ino(), name));
        dropLink(leftover);
      }
    }
  }

  private void removeEntry(Inode parent, String name, long now) {
    children(parent).remove(name);
    journal.append(new JournalRecord.DeleteDirent(parent.ino(), name));
    touchDir(parent, now);
  }

  private void touchDir(Inode dir, long now) {
    InodeAttrs a = dir.attrs();
    setAttrs(dir, a.withTimes(a.atimeNs(), now, now));
  }

  /** Walks up from {@code candidate} by parent links (directories have exactly one parent). */
  private boolean isAncestorOrSelf(Inode dir, Inode candidate) {
    Inode current = candidate;
    while (true) {
      if (current == dir) {
        return true;
      }
      if (current.ino() == InodeAttrs.ROOT_INO) {
        return false;
      }
      current = inode(current.parentIno);
    }
  }

  private Inode root() {
    return inode(InodeAttrs.ROOT_INO);
  }

  private Inode inode(long ino) {
    Inode inode = inodes.get(ino);
    if (inode == null) {
      inode = new Inode(source.getInode(ino));
      inodes.put(ino, inode);
    }
    return inode;
  }

  private Inode child(Inode dir, String name) {
    if (!dir.attrs().isDirectory()) {
      throw new FsException(ENOTDIR, name);
    }
    Long ino = children(dir).get(name);
    if (ino == null) {
      throw new FsException(ENOENT, name);
    }
    return inode(ino);
  }

  private Inode parentOf(String path) {
    List<String> parts = components(path);
    if (parts.isEmpty()) {
      throw new FsException(EBUSY, "the root directory has no parent");
    }
    Inode dir = root();
    for (String name : parts.subList(0, parts.size() - 1)) {
      dir = child(dir, name);
    }
    if (!dir.attrs().isDirectory()) {
      throw new FsException(ENOTDIR, path);
    }
    return dir;
  }

  /** The directory's entries, loaded page by page from the MS on first use. */
  private TreeMap<String, Long> children(Inode dir) {
    if (!dir.attrs().isDirectory()) {
      throw new FsException(ENOTDIR, "inode " + dir.ino());
    }
    if (dir.children == null) {
      TreeMap<String, Long> loaded = new TreeMap<>();
      String after = "";
      while (true) {
        MetadataOps.DirPage page =
            source.listDir(dir.ino(), after, ProtocolLimits.PAGE_ENTRIES_MAX);
        for (MetadataOps.DirEntry e : page.entries()) {
          long childIno = e.inode().attrs().ino();
          loaded.put(e.name(), childIno);
          Inode c = inodes.computeIfAbsent(childIno, ino -> new Inode(e.inode()));
          c.parentIno = dir.ino();
          after = e.name();
        }
        if (!page.more() || page.entries().isEmpty()) {
          break;
        }
      }
      dir.children = loaded;
      dropLeftoverHiddenNames(dir);
    }
    return dir.children;
  }

  /**
   * A new name, checked: at most NAME_BYTES_MAX bytes. Names are bytes ({@link FsNames}: the
   * FUSE layer decodes paths with it), so "a\x80" and "a\x81" are two names, as on any Linux
   * file system.
   */
  private static String checkedName(String name) {
    if (FsNames.encodedLength(name) > ProtocolLimits.NAME_BYTES_MAX) {
      throw new FsException(ENAMETOOLONG, name);
    }
    return name;
  }

  private static String lastComponent(String path) {
    List<String> parts = components(path);
    if (parts.isEmpty()) {
      throw new FsException(EBUSY, "the root directory");
    }
    return parts.get(parts.size() - 1);
  }

  static List<String> components(String path) {
    List<String> parts = new ArrayList<>();
    for (String p : path.split("/")) {
      if (!p.isEmpty()) {
        parts.add(p);
      }
    }
    return parts;
  }
}
