package io.dvs.client;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.byref.PointerByReference;
import jnr.ffi.types.size_t;
import ru.serce.jnrfuse.struct.FuseOperations;

/**
 * libfuse2's request loop, run on Java threads.
 *
 * <p>Why not {@code fuse_main_real} (what jnr-fuse calls): its multithreaded loop serves
 * requests on threads libfuse creates, and jffi attaches such a thread to the JVM before every
 * callback and detaches it after (jnr-ffi issue 125): a new {@code java.lang.Thread}, stack
 * guard pages and a ThreadsSMR update per request. Under 4 KiB random writes from 4 jobs that
 * was a quarter of the mount's CPU. Here each worker is a Java thread that calls
 * {@code fuse_session_receive_buf} and {@code fuse_session_process_buf} itself (what libfuse's
 * {@code fuse_do_work} does), so callbacks arrive on an attached thread and cost a plain JNI
 * up-call.
 *
 * <p>Threads: libfuse's policy (start one more worker when none is left waiting for a
 * request), but workers never exit, so a burst does not turn into a stream of thread
 * creations. {@link #WORKERS_MAX} bounds a runaway.
 *
 * <p>The loop ends when the kernel ends the session: an unmount ({@code fusermount -u}) makes
 * every blocked read of /dev/fuse return ENODEV, so each worker returns on its own.
 * {@code fuse_teardown} then runs the filesystem's destroy and releases the mount.
 */
final class FuseSessionLoop {
  private static final Logger LOG = Logger.getLogger(FuseSessionLoop.class.getName());

  /** Enough for every request the kernel has outstanding under any load we measured. */
  static final int WORKERS_MAX = 256;

  /** From errno.h. */
  private static final int EINTR = 4;
  private static final int ENODEV = 19;

  /**
   * {@code struct fuse_buf} of libfuse 2.9 on LP64: size_t size @0, enum flags @8, void *mem
   * @16, int fd @24, off_t pos @32.
   */
  private static final int FUSE_BUF_BYTES = 40;

  /** The libfuse 2.9 calls the loop needs (all exported with these default versions). */
  public interface Libfuse {
    Pointer fuse_setup(int argc, String[] argv, FuseOperations op, @size_t long opSize,
        PointerByReference mountpoint, IntByReference multithreaded, Pointer userData);

    void fuse_teardown(Pointer fuse, Pointer mountpoint);

    Pointer fuse_get_session(Pointer fuse);

    Pointer fuse_session_next_chan(Pointer session, Pointer channel);

    @size_t long fuse_chan_bufsize(Pointer channel);

    /** {@code channel}: a {@code struct fuse_chan **}, in and out. */
    int fuse_session_receive_buf(Pointer session, Pointer buf, Pointer channel);

    void fuse_session_process_buf(Pointer session, Pointer buf, Pointer channel);

    int fuse_session_exited(Pointer session);

    void fuse_session_exit(Pointer session);
  }

  private final Libfuse lib;
  private final Runtime runtime;
  private final Pointer session;
  private final Pointer channel;
  private final long bufferBytes;
  private final String namePrefix;
  /** Run on the worker after each request, however it ended. */
  private final Runnable afterRequest;
  private final List<Thread> workers = new ArrayList<>();
  /** Workers blocked in receive (waiting for a request); guarded by {@code this}. */
  private int idle;
  private boolean failed;

  private FuseSessionLoop(Libfuse lib, Pointer session, String namePrefix,
      Runnable afterRequest) {
    this.afterRequest = afterRequest;
    this.lib = lib;
    this.runtime = Runtime.getRuntime(lib);
    this.session = session;
    this.channel = lib.fuse_session_next_chan(session, null);
    this.bufferBytes = lib.fuse_chan_bufsize(channel);
    this.namePrefix = namePrefix;
  }

  /**
   * Mounts with {@code args} (argv[0] first, then "-f", the mount point and options, as for
   * {@code fuse_main}), serves requests until the session ends, and unmounts. Returns 0, or
   * non-zero if libfuse refused the arguments or the mount, or a read of /dev/fuse failed.
   * {@code afterRequest} runs on the worker after each request.
   */
  static int run(FuseOperations operations, String[] args, String threadNamePrefix,
      Runnable afterRequest) {
    Libfuse lib = load();
    PointerByReference mountpoint = new PointerByReference();
    IntByReference multithreaded = new IntByReference();
    Pointer fuse = lib.fuse_setup(args.length, args, operations,
        jnr.ffi.Struct.size(operations), mountpoint, multithreaded, null);
    if (fuse == null) {
      return 1; // libfuse printed why (bad option, mount refused)
    }
    FuseSessionLoop loop = new FuseSessionLoop(lib, lib.fuse_get_session(fuse),
        threadNamePrefix, afterRequest);
    try {
      loop.serve();
    } finally {
      lib.fuse_teardown(fuse, mountpoint.getValue());
    }
    synchronized (loop) {
      return loop.failed ? 1 : 0;
    }
  }

  private static Libfuse load() {
    try {
      return LibraryLoader.create(Libfuse.class).failImmediately().load("libfuse.so.2");
    } catch (LinkageError e) {
      return LibraryLoader.create(Libfuse.class).failImmediately().load("fuse");
    }
  }

  private void serve() {
    synchronized (this) {
      startWorker();
    }
    for (int joined = 0; ; joined++) {
      Thread next;
      synchronized (this) {
        if (joined == workers.size()) {
          return;
        }
        next = workers.get(joined);
      }
      joinUninterruptibly(next);
    }
  }

  /** Caller holds the monitor. */
  private void startWorker() {
    Thread t = new Thread(this::work, namePrefix + "-" + workers.size());
    t.setDaemon(true);
    workers.add(t);
    idle++;
    t.start();
  }

  private void work() {
    Pointer data = Memory.allocateDirect(runtime, (int) bufferBytes);
    Pointer buf = Memory.allocateDirect(runtime, FUSE_BUF_BYTES);
    Pointer requestChannel = Memory.allocateDirect(runtime, runtime.addressSize());
    while (lib.fuse_session_exited(session) == 0) {
      buf.putLong(0, bufferBytes);
      buf.putInt(8, 0);
      buf.putAddress(16, data.address());
      buf.putInt(24, 0);
      buf.putLong(32, 0);
      requestChannel.putAddress(0, channel.address());
      int res = lib.fuse_session_receive_buf(session, buf, requestChannel);
      if (res == -EINTR) {
        continue;
      }
      if (res <= 0) { // 0: the session ended (libfuse turns an unmount's ENODEV into 0)
        if (res < 0) {
          endSession(res);
        }
        break;
      }
      synchronized (this) {
        idle--;
        if (idle == 0 && workers.size() < WORKERS_MAX) {
          startWorker();
        }
      }
      try {
        lib.fuse_session_process_buf(session, buf, requestChannel.getPointer(0));
      } finally {
        afterRequest.run();
        synchronized (this) {
          idle++;
        }
      }
    }
    synchronized (this) {
      idle--;
    }
  }

  private void endSession(int res) {
    if (res != -ENODEV) {
      LOG.warning("reading /dev/fuse failed: errno " + -res + "; ending the session");
      synchronized (this) {
        failed = true;
      }
    }
    lib.fuse_session_exit(session);
  }

  private static void joinUninterruptibly(Thread t) {
    boolean interrupted = false;
    while (true) {
      try {
        t.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
