package io.dvs.client.fs;

import java.util.concurrent.CountDownLatch;
import java.util.function.IntSupplier;
import jnr.ffi.Pointer;
import jnr.ffi.types.dev_t;
import jnr.ffi.types.gid_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.uid_t;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The libfuse entry points. Each one only dispatches to its operation group (attributes,
 * directories, names, file I/O) through {@link #call}, where every failure becomes an errno:
 * no exception ever crosses into libfuse, so no request can take the mount down.
 */
public final class DvsFilesystem extends FuseStubFS {
  private final AttrOps attrs;
  private final DirOps dirs;
  private final LinkOps links;
  private final FileOps files;
  private final CountDownLatch initialized = new CountDownLatch(1);

  public DvsFilesystem(io.dvs.client.meta.Namespace namespace, io.dvs.client.data.FileData data,
      io.dvs.client.meta.MetadataJournal journal, long volumeSizeBytes,
      java.util.function.LongSupplier usedBlocks, java.util.function.LongSupplier nowNs) {
    FsContext ctx = new FsContext(namespace, data, journal, new Handles(), volumeSizeBytes,
        usedBlocks, nowNs);
    this.attrs = new AttrOps(ctx);
    this.dirs = new DirOps(ctx);
    this.links = new LinkOps(ctx);
    this.files = new FileOps(ctx);
  }

  /** Counted down when the kernel has mounted us and sent FUSE_INIT. */
  public CountDownLatch initialized() {
    return initialized;
  }

  private static int call(IntSupplier op) {
    try {
      return op.getAsInt();
    } catch (Throwable t) {
      return Errors.toErrno(t);
    }
  }

  private int callerUid() {
    FuseContext c = getContext();
    return (int) c.uid.get();
  }

  private int callerGid() {
    FuseContext c = getContext();
    return (int) c.gid.get();
  }

  @Override
  public Pointer init(Pointer conn) {
    initialized.countDown();
    return null;
  }

  // ---- attributes

  @Override
  public int getattr(String path, FileStat stat) {
    return call(() -> attrs.getattr(path, stat));
  }

  @Override
  public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
    return call(() -> attrs.fgetattr(fi.fh.get(), stat));
  }

  @Override
  public int chmod(String path, @mode_t long mode) {
    return call(() -> attrs.chmod(path, mode));
  }

  @Override
  public int chown(String path, @uid_t long uid, @gid_t long gid) {
    return call(() -> attrs.chown(path, uid, gid));
  }

  @Override
  public int utimens(String path, Timespec[] timespec) {
    return call(() -> attrs.utimens(path, timespec));
  }

  @Override
  public int truncate(String path, @off_t long size) {
    return call(() -> attrs.truncate(path, size));
  }

  @Override
  public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
    return call(() -> attrs.ftruncate(fi.fh.get(), size));
  }

  @Override
  public int statfs(String path, Statvfs stbuf) {
    return call(() -> attrs.statfs(stbuf));
  }

  // ---- directories

  @Override
  public int readdir(String path, Pointer buf, FuseFillDir filter, @off_t long offset,
      FuseFileInfo fi) {
    return call(() -> dirs.readdir(path, buf, filter));
  }

  @Override
  public int mkdir(String path, @mode_t long mode) {
    return call(() -> dirs.mkdir(path, mode, callerUid(), callerGid()));
  }

  @Override
  public int rmdir(String path) {
    return call(() -> dirs.rmdir(path));
  }

  // ---- names

  @Override
  public int unlink(String path) {
    return call(() -> links.unlink(path));
  }

  @Override
  public int rename(String oldpath, String newpath) {
    return call(() -> links.rename(oldpath, newpath));
  }

  @Override
  public int link(String oldpath, String newpath) {
    return call(() -> links.link(oldpath, newpath));
  }

  @Override
  public int symlink(String oldpath, String newpath) {
    return call(() -> links.symlink(oldpath, newpath, callerUid(), callerGid()));
  }

  @Override
  public int readlink(String path, Pointer buf, @size_t long size) {
    return call(() -> links.readlink(path, buf, size));
  }

  @Override
  public int mknod(String path, @mode_t long mode, @dev_t long rdev) {
    return call(() -> links.mknod(path, mode, rdev, callerUid(), callerGid()));
  }

  // ---- file handles and data

  @Override
  public int create(String path, @mode_t long mode, FuseFileInfo fi) {
    return call(() -> {
      fi.fh.set(files.create(path, mode, callerUid(), callerGid()));
      return 0;
    });
  }

  @Override
  public int open(String path, FuseFileInfo fi) {
    return call(() -> {
      fi.fh.set(files.open(path));
      return 0;
    });
  }

  @Override
  public int read(String path, Pointer buf, @size_t long size, @off_t long offset,
      FuseFileInfo fi) {
    return call(() -> files.read(fi.fh.get(), buf, size, offset));
  }

  @Override
  public int write(String path, Pointer buf, @size_t long size, @off_t long offset,
      FuseFileInfo fi) {
    return call(() -> files.write(fi.fh.get(), buf, size, offset));
  }

  @Override
  public int flush(String path, FuseFileInfo fi) {
    return 0; // close(2) promises no durability; fsync does.
  }

  @Override
  public int release(String path, FuseFileInfo fi) {
    return call(() -> files.release(fi.fh.get()));
  }

  @Override
  public int fsync(String path, int isdatasync, FuseFileInfo fi) {
    return call(files::fsync);
  }

  @Override
  public int fsyncdir(String path, FuseFileInfo fi) {
    return call(files::fsync);
  }
}
