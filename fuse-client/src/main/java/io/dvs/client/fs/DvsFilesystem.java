package io.dvs.client.fs;

import io.dvs.client.meta.MetadataJournal;
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
  private final XattrOps xattrs;
  private final MetadataJournal journal;
  private final AllocateOps allocate;
  /** The path-taking entries of the callback table, taking paths as bytes. */
  private final RawPaths rawPaths = new RawPaths();
  private final CountDownLatch initialized = new CountDownLatch(1);

  public DvsFilesystem(io.dvs.client.meta.Namespace namespace, io.dvs.client.data.FileData data,
      io.dvs.client.meta.MetadataJournal journal, long volumeSizeBytes,
      java.util.function.LongSupplier usedBlocks, java.util.function.LongSupplier nowNs) {
    this.journal = journal;
    FsContext ctx = new FsContext(namespace, data, journal, new Handles(), volumeSizeBytes,
        usedBlocks, nowNs);
    this.attrs = new AttrOps(ctx);
    this.dirs = new DirOps(ctx);
    this.links = new LinkOps(ctx);
    this.files = new FileOps(ctx);
    this.xattrs = new XattrOps(ctx);
    this.allocate = new AllocateOps(ctx);
    setOperationFlags();
    rawPaths.install(this, fuseOperations);
  }

  /**
   * libfuse2's fuse_operations flags, which jnr-fuse leaves at zero. nullpath_ok: I/O on an
   * open file whose name is gone (its hidden name removed with its directory) reaches us with
   * no path instead of failing ENOENT in libfuse; we go by handle anyway.
   * utime_omit_ok: UTIME_NOW and UTIME_OMIT reach {@link AttrOps#utimens} as such.
   */
  private void setOperationFlags() {
    int nullpathOk = 1;
    int utimeOmitOk = 1 << 2;
    Object flags;
    try {
      flags = fuseOperations.getClass().getField("flag_nullpath_ok").get(fuseOperations);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("jnr-fuse changed its FuseOperations layout", e);
    }
    jnr.ffi.Struct.getMemory(fuseOperations)
        .putInt(RawPaths.offsetOf(flags), nullpathOk | utimeOmitOk);
  }

  /**
   * Called on the FUSE worker after each request: libfuse may have made it two operations
   * (a hide, then a rename), and the journal keeps them in one group until now
   * ({@link MetadataJournal#hidden}).
   */
  public void requestEnded() {
    journal.requestEnded();
  }

  /** Counted down when the kernel has mounted us and sent FUSE_INIT. */
  public CountDownLatch initialized() {
    return initialized;
  }

  /** The callback table jnr-fuse built for this filesystem, for our own libfuse loop. */
  public ru.serce.jnrfuse.struct.FuseOperations operations() {
    return fuseOperations;
  }

  /**
   * Runs a FUSE operation, its errors as errno; then the journal throttle it owes, if any, which
   * it could not do inside a namespace operation ({@link MetadataJournal#throttleIfOwed}).
   */
  private int call(IntSupplier op) {
    int result;
    try {
      result = op.getAsInt();
    } catch (Throwable t) {
      return Errors.toErrno(t);
    }
    try {
      journal.throttleIfOwed();
    } catch (RuntimeException e) {
      // The MS is away: the changes stay queued, and fsync reports it. This one succeeded.
    }
    return result;
  }

  private Caller caller() {
    FuseContext c = getContext();
    return new Caller((int) c.uid.get(), (int) c.gid.get(), c.pid.get());
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
    return call(() -> attrs.chmod(path, mode, caller()));
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
    return call(() -> files.write(fi.fh.get(), buf, size, offset, caller()));
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

  // ---- space

  @Override
  public int fallocate(String path, int mode, @off_t long off, @off_t long length,
      FuseFileInfo fi) {
    return call(() -> allocate.fallocate(fi.fh.get(), mode, off, length));
  }

  // ---- extended attributes

  @Override
  public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
    return call(() -> xattrs.setxattr(path, name, value, size, flags));
  }

  @Override
  public int getxattr(String path, String name, Pointer value, @size_t long size) {
    return call(() -> xattrs.getxattr(path, name, value, size));
  }

  @Override
  public int listxattr(String path, Pointer list, @size_t long size) {
    return call(() -> xattrs.listxattr(path, list, size));
  }

  @Override
  public int removexattr(String path, String name) {
    return call(() -> xattrs.removexattr(path, name));
  }
}
