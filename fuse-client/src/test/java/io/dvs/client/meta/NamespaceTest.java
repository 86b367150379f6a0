package io.dvs.client.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.client.fs.Errno;
import io.dvs.client.fs.FsException;
import io.dvs.protocol.FsNames;
import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.MetadataOps;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** POSIX namespace rules, applied locally before the MS ever hears of them. */
class NamespaceTest {
  private final AtomicLong clock = new AtomicLong(1_000);
  private Namespace ns;
  private MetadataJournal journal;

  /** An MS holding an empty volume: just the root directory. */
  private static final Namespace.MetadataSource EMPTY_VOLUME = new Namespace.MetadataSource() {
    @Override
    public MetadataOps.StoredInode getInode(long ino) {
      assertEquals(InodeAttrs.ROOT_INO, ino);
      return new MetadataOps.StoredInode(
          new InodeAttrs(1, InodeAttrs.S_IFDIR | 0755, 2, 0, 0, 0, 0, 0, 0, 0, ""), 0);
    }

    @Override
    public MetadataOps.DirPage listDir(long dirIno, String afterName, int maxEntries) {
      return new MetadataOps.DirPage(List.of(), false);
    }
  };

  @BeforeEach
  void setUp() {
    journal = new MetadataJournal(null, null, 1, 1, 0);
    ns = new Namespace(EMPTY_VOLUME, journal, 2, clock::incrementAndGet);
  }

  private static void assertErrno(int errno, Executable op) {
    FsException e = assertThrows(FsException.class, op);
    assertEquals(errno, e.errno());
  }

  @Test
  void createLookupAndList() {
    ns.mkdir("/a", 0755, 0, 0);
    ns.mknod("/a/f", InodeAttrs.S_IFREG | 0644, 0, 0, 0);
    assertEquals(InodeAttrs.S_IFREG | 0644, ns.resolve("/a/f").attrs().mode());
    assertEquals(3, ns.resolve("/").attrs().nlink(), "a subdirectory adds a link to its parent");
    assertEquals(List.of("f"), ns.list("/a"));
    assertErrno(Errno.EEXIST, () -> ns.mkdir("/a", 0755, 0, 0));
    assertErrno(Errno.ENOENT, () -> ns.resolve("/nope"));
    assertErrno(Errno.ENOTDIR, () -> ns.resolve("/a/f/x"));
    assertErrno(Errno.ENAMETOOLONG, () -> ns.mkdir("/" + "x".repeat(256), 0755, 0, 0));
    assertFalse(journal.isEmpty(), "changes are queued for the MS");
  }

  @Test
  void rmdirNeedsAnEmptyDirectory() {
    ns.mkdir("/d", 0755, 0, 0);
    ns.mknod("/d/f", InodeAttrs.S_IFREG | 0644, 0, 0, 0);
    assertErrno(Errno.ENOTEMPTY, () -> ns.rmdir("/d"));
    assertErrno(Errno.ENOTDIR, () -> ns.rmdir("/d/f"));
    assertErrno(Errno.EISDIR, () -> ns.unlink("/d"));
    ns.unlink("/d/f");
    ns.rmdir("/d");
    assertErrno(Errno.ENOENT, () -> ns.resolve("/d"));
    assertEquals(2, ns.resolve("/").attrs().nlink());
  }

  @Test
  void renameFollowsPosix() {
    ns.mkdir("/d1", 0755, 0, 0);
    ns.mkdir("/d1/sub", 0755, 0, 0);
    ns.mkdir("/d2", 0755, 0, 0);
    ns.mknod("/f", InodeAttrs.S_IFREG | 0644, 0, 0, 0);
    ns.mknod("/g", InodeAttrs.S_IFREG | 0644, 0, 0, 0);
    long g = ns.resolve("/g").ino();

    ns.rename("/g", "/f"); // Replaces a file.
    assertEquals(g, ns.resolve("/f").ino());
    assertErrno(Errno.ENOENT, () -> ns.resolve("/g"));

    assertErrno(Errno.EISDIR, () -> ns.rename("/f", "/d2"));
    assertErrno(Errno.ENOTDIR, () -> ns.rename("/d2", "/f"));
    assertErrno(Errno.EINVAL, () -> ns.rename("/d1", "/d1/sub/x"));

    ns.rename("/d2", "/d1/sub"); // Replaces an empty directory.
    assertTrue(ns.resolve("/d1/sub").attrs().isDirectory());
    assertEquals(3, ns.resolve("/d1").attrs().nlink());
    ns.rename("/d1/sub", "/moved");
    assertEquals(2, ns.resolve("/d1").attrs().nlink(), "moving a directory out drops a link");
  }

  @Test
  void hardLinksCountAndUnlinkedOpenFilesLive() {
    Inode f = ns.mknod("/f", InodeAttrs.S_IFREG | 0644, 0, 0, 0);
    ns.link("/f", "/h");
    assertEquals(2, ns.resolve("/h").attrs().nlink());
    ns.opened(f);
    ns.unlink("/f");
    ns.unlink("/h");
    assertEquals(0, f.attrs().nlink());
    assertTrue(ns.isLive(f), "an open file outlives its last name");
    ns.released(f);
    assertFalse(ns.isLive(f), "and goes with its last close");
    assertErrno(Errno.EPERM, () -> ns.link("/", "/root-link"));
  }

  @Test
  void libfuseHiddenNamesStayOutOfReaddirAndRmdir() {
    ns.mkdir("/d", 0755, 0, 0);
    Inode open = ns.mknod("/d/tmp", InodeAttrs.S_IFREG | 0600, 0, 0, 0);
    ns.opened(open);
    // What libfuse2 does on unlink of an open file: a rename to a hidden name.
    ns.link("/d/tmp", "/d/other");
    ns.unlink("/d/other");
    ns.rename("/d/tmp", "/d/.fuse_hidden0000000400000001");
    assertEquals(0, open.visibleLinks(), "fstat shows no links left");
    assertEquals(1, open.attrs().nlink(), "the hidden name is one");
    assertEquals(List.of(), ns.list("/d"));
    assertSame(open, ns.resolve("/d/.fuse_hidden0000000400000001"), "fstat still has a path");
    ns.mknod("/d/.fuse_hiddenXYZ", InodeAttrs.S_IFREG | 0600, 0, 0, 0); // not libfuse's form
    assertEquals(List.of(".fuse_hiddenXYZ"), ns.list("/d"));
    assertErrno(Errno.ENOTEMPTY, () -> ns.rmdir("/d"));
    ns.unlink("/d/.fuse_hiddenXYZ");
    ns.rmdir("/d");
    assertTrue(ns.isLive(open), "the open file outlives its directory");
    assertEquals(0, open.attrs().nlink());
    ns.released(open);
    assertFalse(ns.isLive(open));

    // A directory renamed over one that holds only a hidden name replaces it.
    ns.mkdir("/a", 0755, 0, 0);
    ns.mkdir("/b", 0755, 0, 0);
    Inode held = ns.mknod("/b/f", InodeAttrs.S_IFREG | 0600, 0, 0, 0);
    ns.opened(held);
    ns.rename("/b/f", "/b/.fuse_hidden00000005000000ab");
    ns.rename("/a", "/b");
    assertEquals(List.of(), ns.list("/b"));
    assertTrue(ns.isLive(held));
    ns.released(held);
    assertFalse(ns.isLive(held));
  }

  @Test
  void hiddenNamesLeftByACrashGoWhenTheirDirectoryLoads() {
    InodeAttrs root = new InodeAttrs(1, InodeAttrs.S_IFDIR | 0755, 2, 0, 0, 0, 0, 0, 0, 0, "");
    InodeAttrs orphan = new InodeAttrs(5, InodeAttrs.S_IFREG | 0600, 1, 0, 0, 0, 9, 0, 0, 0, "");
    InodeAttrs kept = new InodeAttrs(6, InodeAttrs.S_IFREG | 0644, 1, 0, 0, 0, 3, 0, 0, 0, "");
    Namespace.MetadataSource afterCrash = new Namespace.MetadataSource() {
      @Override
      public MetadataOps.StoredInode getInode(long ino) {
        assertEquals(InodeAttrs.ROOT_INO, ino);
        return new MetadataOps.StoredInode(root, 0);
      }

      @Override
      public MetadataOps.DirPage listDir(long dirIno, String afterName, int maxEntries) {
        return new MetadataOps.DirPage(List.of(
            new MetadataOps.DirEntry(".fuse_hidden00000007000000aa",
                new MetadataOps.StoredInode(orphan, 3)),
            new MetadataOps.DirEntry("kept", new MetadataOps.StoredInode(kept, 1))), false);
      }
    };
    Namespace fresh = new Namespace(afterCrash, journal, 7, clock::incrementAndGet);
    List<Long> deleted = new ArrayList<>();
    fresh.onDelete(inode -> deleted.add(inode.ino()));
    long mtime = fresh.resolve("/").attrs().mtimeNs();
    assertEquals(List.of("kept"), fresh.list("/"));
    assertEquals(List.of(5L), deleted, "the orphan's data is released");
    assertErrno(Errno.ENOENT, () -> fresh.resolve("/.fuse_hidden00000007000000aa"));
    assertEquals(mtime, fresh.resolve("/").attrs().mtimeNs(), "the directory looks untouched");
    assertFalse(journal.isEmpty(), "the MS hears of it");
  }

  @Test
  void namesAreBytesNotCharacters() {
    // As RawPaths decodes them: "a\x80" and "a\x81" are two names, each kept.
    String a80 = FsNames.decode(new byte[] {'a', (byte) 0x80});
    String a81 = FsNames.decode(new byte[] {'a', (byte) 0x81});
    Inode first = ns.mknod("/" + a80, InodeAttrs.S_IFREG | 0644, 0, 0, 0);
    Inode second = ns.mknod("/" + a81, InodeAttrs.S_IFREG | 0644, 0, 0, 0);
    assertNotSame(first, second);
    assertEquals(List.of(a80, a81), ns.list("/"));
    // A name's limit is 255 bytes, whatever they are.
    String latin1 = FsNames.decode(new byte[] {(byte) 0xE9});
    ns.mknod("/" + latin1.repeat(255), InodeAttrs.S_IFREG | 0644, 0, 0, 0);
    assertErrno(Errno.ENAMETOOLONG,
        () -> ns.mknod("/" + latin1.repeat(256), InodeAttrs.S_IFREG | 0644, 0, 0, 0));
    ns.symlink(a80, "/s", 0, 0);
    assertEquals(2, ns.resolve("/s").attrs().size(), "a target's size is its bytes");
  }

  @Test
  void symlinksKeepTheirTarget() {
    ns.symlink("../somewhere/else", "/s", 0, 0);
    InodeAttrs a = ns.resolve("/s").attrs();
    assertTrue(a.isSymlink());
    assertEquals("../somewhere/else", a.symlinkTarget());
    assertEquals(17, a.size());
  }
}
