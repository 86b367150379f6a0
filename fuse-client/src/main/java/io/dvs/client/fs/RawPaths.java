package io.dvs.client.fs;

import io.dvs.protocol.FsNames;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.provider.jffi.ClosureHelper;
import jnr.ffi.types.dev_t;
import jnr.ffi.types.gid_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.uid_t;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.FuseOperations;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The fuse_operations entries that take a path, installed over jnr-fuse's so that the path
 * arrives as its bytes. jnr-fuse declares paths as Strings, which jnr-ffi decodes as UTF-8 with
 * every byte that is not UTF-8 replaced by U+FFFD: "a\x80" and "a\x81" became one name, and a
 * create of the second opened the first file. Here the bytes go through {@link FsNames} instead,
 * so any name Linux allows is a distinct name, kept byte for byte (readdir and readlink give the
 * bytes back the same way). Each entry calls the same {@link DvsFilesystem} method as before.
 *
 * <p>Entries that take a path but use only the handle (read, write, fgetattr, ...) stay as
 * jnr-fuse made them.
 */
final class RawPaths {
  /**
   * The callbacks and their native pointers, kept reachable for as long as libfuse may call
   * them: jnr-ffi holds a callback only weakly, and one collected makes the call fail ("callable
   * is null") in the FUSE worker.
   */
  private final List<Object> installed = new ArrayList<>();

  public interface Path1 {
    @Delegate
    int call(Pointer path);
  }

  public interface Path2 {
    @Delegate
    int call(Pointer from, Pointer to);
  }

  public interface PathPointer {
    @Delegate
    int call(Pointer path, Pointer arg);
  }

  public interface PathPointerSize {
    @Delegate
    int call(Pointer path, Pointer buf, @size_t long size);
  }

  public interface PathMode {
    @Delegate
    int call(Pointer path, @mode_t long mode);
  }

  public interface Mknod {
    @Delegate
    int call(Pointer path, @mode_t long mode, @dev_t long rdev);
  }

  public interface Chown {
    @Delegate
    int call(Pointer path, @uid_t long uid, @gid_t long gid);
  }

  public interface Truncate {
    @Delegate
    int call(Pointer path, @off_t long size);
  }

  public interface Create {
    @Delegate
    int call(Pointer path, @mode_t long mode, Pointer fi);
  }

  public interface Readdir {
    @Delegate
    int call(Pointer path, Pointer buf, Pointer filler, @off_t long offset, Pointer fi);
  }

  public interface Setxattr {
    @Delegate
    int call(Pointer path, String name, Pointer value, @size_t long size, int flags);
  }

  public interface Getxattr {
    @Delegate
    int call(Pointer path, String name, Pointer value, @size_t long size);
  }

  public interface Removexattr {
    @Delegate
    int call(Pointer path, String name);
  }

  /** Installs the entries into {@code ops}, jnr-fuse's table for {@code fs}. */
  void install(DvsFilesystem fs, FuseOperations ops) {
    set(ops, ops.getattr, PathPointer.class, (p, st) -> fs.getattr(path(p), FileStat.of(st)));
    set(ops, ops.readlink, PathPointerSize.class, (p, buf, n) -> fs.readlink(path(p), buf, n));
    set(ops, ops.mknod, Mknod.class, (p, mode, rdev) -> fs.mknod(path(p), mode, rdev));
    set(ops, ops.mkdir, PathMode.class, (p, mode) -> fs.mkdir(path(p), mode));
    set(ops, ops.unlink, Path1.class, p -> fs.unlink(path(p)));
    set(ops, ops.rmdir, Path1.class, p -> fs.rmdir(path(p)));
    set(ops, ops.symlink, Path2.class, (target, p) -> fs.symlink(path(target), path(p)));
    set(ops, ops.rename, Path2.class, (from, to) -> fs.rename(path(from), path(to)));
    set(ops, ops.link, Path2.class, (from, to) -> fs.link(path(from), path(to)));
    set(ops, ops.chmod, PathMode.class, (p, mode) -> fs.chmod(path(p), mode));
    set(ops, ops.chown, Chown.class, (p, uid, gid) -> fs.chown(path(p), uid, gid));
    set(ops, ops.truncate, Truncate.class, (p, size) -> fs.truncate(path(p), size));
    set(ops, ops.open, PathPointer.class, (p, fi) -> fs.open(path(p), FuseFileInfo.of(fi)));
    set(ops, ops.create, Create.class,
        (p, mode, fi) -> fs.create(path(p), mode, FuseFileInfo.of(fi)));
    set(ops, ops.utimens, PathPointer.class, (p, tv) -> {
      Timespec atime = Timespec.of(tv);
      Timespec mtime = Timespec.of(tv.slice(Struct.size(atime)));
      return fs.utimens(path(p), new Timespec[] {atime, mtime});
    });
    set(ops, ops.readdir, Readdir.class, (p, buf, filler, offset, fi) -> {
      ClosureHelper helper = ClosureHelper.getInstance();
      FuseFillDir fill = helper.getNativeConveter(FuseFillDir.class)
          .fromNative(filler, helper.getFromNativeContext());
      return fs.readdir(path(p), buf, fill, offset, FuseFileInfo.of(fi));
    });
    set(ops, ops.setxattr, Setxattr.class,
        (p, name, value, size, flags) -> fs.setxattr(path(p), name, value, size, flags));
    set(ops, ops.getxattr, Getxattr.class,
        (p, name, value, size) -> fs.getxattr(path(p), name, value, size));
    set(ops, ops.listxattr, PathPointerSize.class,
        (p, list, size) -> fs.listxattr(path(p), list, size));
    set(ops, ops.removexattr, Removexattr.class, (p, name) -> fs.removexattr(path(p), name));
  }

  /** A C path as a String that keeps its bytes ({@link FsNames}); null stays null. */
  static String path(Pointer p) {
    if (p == null) {
      return null;
    }
    int length = p.indexOf(0, (byte) 0);
    byte[] bytes = new byte[length];
    p.get(0, bytes, 0, length);
    return FsNames.decode(bytes);
  }

  /** A name for readdir's filler: the bytes {@code name} stands for ({@link FsNames}). */
  static ByteBuffer cName(String name) {
    return ByteBuffer.wrap(FsNames.encode(name));
  }

  private <T> void set(FuseOperations ops, Object entry, Class<T> type, T callback) {
    Pointer closure = jnr.ffi.Runtime.getSystemRuntime().getClosureManager()
        .getClosurePointer(type, callback);
    installed.add(callback);
    installed.add(closure);
    Struct.getMemory(ops).putPointer(offsetOf(entry), closure);
  }

  /**
   * A member's offset in jnr-fuse's FuseOperations: offset() is public but declared in a class
   * jnr-ffi does not export (Func, Padding), so it is reflected.
   */
  static long offsetOf(Object member) {
    try {
      java.lang.reflect.Method offset = member.getClass().getMethod("offset");
      offset.setAccessible(true);
      return (Long) offset.invoke(member);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("jnr-fuse changed its FuseOperations layout", e);
    }
  }
}
