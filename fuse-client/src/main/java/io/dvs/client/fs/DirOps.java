package io.dvs.client.fs;

import jnr.ffi.Pointer;
import ru.serce.jnrfuse.FuseFillDir;

/** readdir, mkdir, rmdir. */
final class DirOps {
  private final FsContext ctx;

  DirOps(FsContext ctx) {
    this.ctx = ctx;
  }

  /**
   * readdir(3) in libfuse's "offset 0" mode: the whole directory in one call, the filler
   * buffering it for the kernel. Entries carry no attributes; the kernel asks getattr.
   */
  int readdir(String path, Pointer buf, FuseFillDir filler) {
    filler.apply(buf, ".", null, 0);
    filler.apply(buf, "..", null, 0);
    for (String name : ctx.namespace().list(path)) {
      if (filler.apply(buf, RawPaths.cName(name), null, 0) != 0) {
        break; // The buffer is full; offset-0 mode cannot resume, so stop cleanly.
      }
    }
    return 0;
  }

  /** mkdir(2): mode is already masked by the caller's umask. */
  int mkdir(String path, long mode, int uid, int gid) {
    ctx.namespace().mkdir(path, (int) mode, uid, gid);
    return 0;
  }

  int rmdir(String path) {
    ctx.namespace().rmdir(path);
    return 0;
  }

}
