package io.dvs.client.net;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Opcode;
import io.dvs.protocol.message.BlockOps;
import io.dvs.protocol.message.NodeOps;
import io.dvs.protocol.rpc.RpcClient;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Connections to the storage nodes, by snId, found through the MS's SNMM. Block data goes
 * straight to the SN (out-of-band: the MS never carries it).
 *
 * <p>Writes are write-behind (bounded by {@link #WRITE_BEHIND_BLOCKS_MAX} in flight), and an SN
 * acknowledges a write while it is only in its memory; FLUSH makes durable what that boot of
 * the SN acknowledged. So a write is kept here, in order, until a FLUSH answered by the same
 * boot covers it ({@link BlockOps.BootId}, NFSv3's write verifier). If an SN restarts (a
 * crash, {@code kill -9}, a new port) or a write fails on the way, {@link #flushWritten}
 * learns the SN's address again, sends every write it keeps for that SN once more in the order
 * they ended (a later write to a PA lands after an earlier one), and FLUSHes again; meanwhile
 * no new write is sent. It waits out an SN that is down for up to {@link Retry}'s bound, then
 * fails (and keeps the writes for the next try). Reads are retried the same way. A write an SN
 * refuses for good (its device failed, it is full) is dropped and reported once, at the next
 * {@link #takeLostWrite}, as the kernel reports a writeback error at fsync.
 *
 * <p>An SN in this JVM (the embedded cluster) cannot restart without this client: its
 * acknowledgement is final, and nothing is kept for it.
 */
public final class StorageClients implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(StorageClients.class.getName());

  /** An SN answers a 1 MiB batch in milliseconds; 30 s means it is gone. */
  public static final long TIMEOUT_MS = 30_000;

  /**
   * Blocks written but not yet acknowledged, at most: 32 MiB keeps both cores busy (hashing on
   * the SN while the client copies the next request) and bounds the data an unacknowledged
   * window holds in memory.
   */
  public static final int WRITE_BEHIND_BLOCKS_MAX = 8192;

  /**
   * Blocks acknowledged by a remote SN but not yet covered by a FLUSH, at most (128 MiB): past
   * it a writer FLUSHes before it sends more. The journal FLUSHes at least every second, and a
   * FLUSH starts in the background at half of this, so a writer rarely waits for one.
   */
  public static final int UNFLUSHED_BLOCKS_MAX = 32_768;

  /** Errors after which the same call may succeed: the SN restarting, moving or not yet back. */
  private static final Retry ON_NODE = Retry.transientErrors().alsoOn(ErrorCode.NODE_DOWN);

  /** One WRITE_BLOCKS, kept until a FLUSH of the boot that acknowledged it covers it. */
  public static final class Write {
    private final int snId;
    private final byte[] body;
    private final int blocks;
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final CompletableFuture<Void> settled = new CompletableFuture<>();
    private volatile long bootId;
    private volatile boolean failed;

    public Write(int snId, BlockOps.WriteBlocks request) {
      this.snId = snId;
      this.body = request.encode();
      this.blocks = request.count();
    }

    /** Acknowledged or failed: a later write to the same PAs may be sent. Never exceptional. */
    public CompletableFuture<Void> ended() {
      return ended;
    }

    /**
     * Durable on the SN, or refused by it for good: the data need not be read from memory any
     * longer (until then the SN may have lost it). Never exceptional.
     */
    public CompletableFuture<Void> settled() {
      return settled;
    }
  }

  private final Supplier<List<NodeOps.NodeInfo>> nodes;
  private final Retry onNode;
  private final Map<Integer, RpcClient> clients = new ConcurrentHashMap<>();
  /** By snId: writes sent so far, and (under the flush lock) how many of them a FLUSH covers. */
  private final Map<Integer, AtomicLong> sentWrites = new ConcurrentHashMap<>();
  private final Map<Integer, Long> flushedWrites = new HashMap<>();

  /** By snId: writes that ended (acknowledged or failed) and no FLUSH covers yet, in order. */
  private final Map<Integer, List<Write>> unflushed = new ConcurrentHashMap<>();
  private final AtomicInteger unflushedBlocks = new AtomicInteger();
  private final Set<CompletableFuture<?>> writesInFlight = ConcurrentHashMap.newKeySet();
  private final Semaphore writeWindow = new Semaphore(WRITE_BEHIND_BLOCKS_MAX);

  /** Writers send under the read side; a resend holds the write side so nothing overtakes it. */
  private final ReentrantReadWriteLock sendLock = new ReentrantReadWriteLock();
  private final Object flushLock = new Object();
  private final AtomicReference<DvsException> lostWrite = new AtomicReference<>();
  private final AtomicBoolean backgroundFlush = new AtomicBoolean();

  /** Retries async reads through an SN restart and runs background FLUSHes. */
  private final ExecutorService retrier = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "dvs-sn-retry");
    t.setDaemon(true);
    return t;
  });

  public StorageClients(MetaClient meta) {
    this(meta::listNodes, ON_NODE);
  }

  /**
   * @param nodes the SNMM's nodes (the MS's LIST_NODES; a fake in tests)
   * @param onNode how long to wait for an SN that does not answer
   */
  StorageClients(Supplier<List<NodeOps.NodeInfo>> nodes, Retry onNode) {
    this.nodes = nodes;
    this.onNode = onNode;
  }

  /**
   * Sends a batch; returns when it is on its way (waiting while the write-behind window is
   * full, or for a FLUSH when {@link #UNFLUSHED_BLOCKS_MAX} is reached). Never throws for the
   * SN: a failed send is kept and sent again by the next {@link #flushWritten}.
   */
  public void write(Write w) {
    int kept = unflushedBlocks.get();
    if (kept >= UNFLUSHED_BLOCKS_MAX) {
      flushWritten();
    } else if (kept >= UNFLUSHED_BLOCKS_MAX / 2 && backgroundFlush.compareAndSet(false, true)) {
      retrier.execute(this::flushInBackground);
    }
    writeWindow.acquireUninterruptibly(w.blocks);
    // The write's own future, not the RPC's: flushWritten must not go on before ended() has
    // kept the write (a future runs its last-registered dependents first). Counted after it is
    // in flight, so a flush that sees the count waits for the write.
    writesInFlight.add(w.ended);
    sentWrites.computeIfAbsent(w.snId, k -> new AtomicLong()).incrementAndGet();
    CompletableFuture<byte[]> sent;
    sendLock.readLock().lock();
    try {
      sent = client(w.snId).callAsync(Opcode.WRITE_BLOCKS, w.body);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    } finally {
      sendLock.readLock().unlock();
    }
    sent.whenComplete((answer, error) -> {
      writeWindow.release(w.blocks);
      ended(w, answer, error);
      writesInFlight.remove(w.ended);
    });
  }

  /** Runs before {@code w.ended()} completes, so a later write to its PAs is kept after it. */
  private void ended(Write w, byte[] answer, Throwable error) {
    RuntimeException failure = error == null ? null : Futures.unwrap(error);
    if (failure == null) {
      try {
        w.bootId = BlockOps.BootId.decode(answer, "WRITE_BLOCKS");
      } catch (DvsException e) {
        failure = e;
      }
    }
    RpcClient client = clients.get(w.snId);
    if (failure != null && !isTransient(failure)) {
      lostWrite.compareAndSet(null, asDvs("a block write to storage node " + w.snId
          + " failed", failure));
      w.settled.complete(null);
    } else if (failure == null && client != null && client.serverInThisJvm()) {
      w.settled.complete(null);
    } else {
      w.failed = failure != null;
      unflushedBlocks.addAndGet(w.blocks);
      List<Write> list = unflushed.computeIfAbsent(w.snId, k -> new ArrayList<>());
      synchronized (list) {
        list.add(w);
      }
    }
    w.ended.complete(null);
  }

  public CompletableFuture<byte[]> read(int snId, BlockOps.ReadBlocks request) {
    byte[] body = request.encode();
    CompletableFuture<byte[]> first;
    try {
      first = client(snId).callAsync(Opcode.READ_BLOCKS, body);
    } catch (RuntimeException e) {
      first = CompletableFuture.failedFuture(e);
    }
    return first.exceptionallyCompose(e -> isTransient(Futures.unwrap(e))
        ? CompletableFuture.supplyAsync(() -> readNow(snId, request), retrier)
        : CompletableFuture.failedFuture(e));
  }

  /**
   * As {@link #read}, waiting: made on the calling thread (an SN of this JVM reads there; a remote
   * one gets the request and answers over a blocking connection of this thread's, which saves the
   * event loop's hand-offs: {@link io.dvs.protocol.rpc.RpcClient#callDirect}).
   */
  public byte[] readNow(int snId, BlockOps.ReadBlocks request) {
    byte[] body = request.encode();
    return onNode(snId, "read from storage node " + snId,
        c -> c.callDirect(Opcode.READ_BLOCKS, body));
  }

  /**
   * A read sent now whose answer is taken later, on the same thread: a FUSE read that spans
   * several SNs sends to all of them before it waits for any, so they work in parallel, and
   * each answer comes back on a blocking connection of this thread's with no event-loop
   * hand-off ({@link RpcClient#sendDirect}). An SN of this JVM reads at {@link
   * PendingRead#answer}; with every direct connection busy the read goes by the event loop.
   */
  public PendingRead startRead(int snId, BlockOps.ReadBlocks request) {
    RpcClient.DirectCall call;
    try {
      RpcClient client = client(snId);
      if (client.serverInThisJvm()) {
        return new PendingRead(() -> readNow(snId, request), null);
      }
      call = client.sendDirect(Opcode.READ_BLOCKS, request.encode());
    } catch (RuntimeException e) {
      if (!isTransient(e)) {
        throw e;
      }
      return new PendingRead(() -> readNow(snId, request), null); // it waits for the SN
    }
    if (call == null) {
      CompletableFuture<byte[]> later = read(snId, request);
      return new PendingRead(() -> {
        try {
          return later.join();
        } catch (RuntimeException e) {
          throw Futures.unwrap(e);
        }
      }, null);
    }
    return new PendingRead(() -> {
      try {
        return call.answer();
      } catch (RuntimeException e) {
        if (!isTransient(e)) {
          throw e;
        }
        return readNow(snId, request); // relearns the SN's address and waits for it
      }
    }, call);
  }

  /** See {@link #startRead}. Take its answer or abandon it, once, on the thread that started it. */
  public static final class PendingRead {
    private final Supplier<byte[]> answer;
    private final RpcClient.DirectCall call;

    private PendingRead(Supplier<byte[]> answer, RpcClient.DirectCall call) {
      this.answer = answer;
      this.call = call;
    }

    /** The blocks read, in the request's order. */
    public byte[] answer() {
      return answer.get();
    }

    /** Gives up the read (another failed first), freeing its connection. */
    public void abandon() {
      if (call != null) {
        call.abandon();
      }
    }
  }

  /**
   * Waits for every write issued so far, then FLUSHes every SN written since the last call and
   * sends again what an SN lost; returns when all of it is durable. Throws if an SN stays
   * unreachable past {@link Retry}'s bound (the writes stay kept for the next call).
   */
  public void flushWritten() {
    synchronized (flushLock) {
      Map<Integer, Long> sent = new HashMap<>();
      sentWrites.forEach((sn, count) -> sent.put(sn, count.get()));
      CompletableFuture<?>[] pending = writesInFlight.toArray(new CompletableFuture<?>[0]);
      CompletableFuture.allOf(pending).handle((v, e) -> null).join();
      // Every write counted in sent has ended now; later ones wait for the next call.
      for (Map.Entry<Integer, Long> sn : sent.entrySet()) {
        if (sn.getValue() > flushedWrites.getOrDefault(sn.getKey(), 0L)) {
          flush(sn.getKey());
          flushedWrites.put(sn.getKey(), sn.getValue());
        }
      }
    }
  }

  private void flushInBackground() {
    try {
      flushWritten();
    } catch (RuntimeException e) {
      LOG.warning("background FLUSH of the storage nodes failed: " + e.getMessage());
    } finally {
      backgroundFlush.set(false);
    }
  }

  /** The first write an SN refused for good since the last call, if any (then forgotten). */
  public DvsException takeLostWrite() {
    return lostWrite.getAndSet(null);
  }

  /** Under the flush lock: one FLUSH, and a resend if it does not cover every kept write. */
  private void flush(int snId) {
    List<Write> covered = kept(snId);
    long boot;
    try {
      boot = BlockOps.BootId.decode(client(snId).call(Opcode.FLUSH, new byte[0]), "FLUSH");
    } catch (DvsException e) {
      if (!isTransient(e)) {
        throw e;
      }
      resend(snId);
      return;
    }
    for (Write w : covered) {
      if (w.failed || w.bootId != boot) {
        resend(snId);
        return;
      }
    }
    settle(snId, covered.size());
  }

  /**
   * Sends every kept write of {@code snId} again, in order, then FLUSHes; until one boot of the
   * SN has acknowledged all of them and the FLUSH. Waiting for the SN to answer holds up no
   * writer; the resend itself does (nothing may overtake it).
   */
  private void resend(int snId) {
    onNode(snId, "resend unflushed writes to storage node " + snId, c -> {
      c.call(Opcode.FLUSH, new byte[0]); // is it back? (throws while it is not)
      sendLock.writeLock().lock();
      try {
        CompletableFuture<?>[] pending = writesInFlight.toArray(new CompletableFuture<?>[0]);
        CompletableFuture.allOf(pending).handle((v, e) -> null).join();
        List<Write> all = kept(snId);
        for (Write w : all) {
          if (!w.settled.isDone()) {
            resendOne(c, w);
          }
        }
        long boot = BlockOps.BootId.decode(c.call(Opcode.FLUSH, new byte[0]), "FLUSH");
        for (Write w : all) {
          if (!w.settled.isDone() && w.bootId != boot) {
            throw new DvsException(ErrorCode.CONNECTION_LOST,
                "storage node " + snId + " restarted again while writes were resent");
          }
        }
        settle(snId, all.size());
      } finally {
        sendLock.writeLock().unlock();
      }
      return null;
    });
  }

  private void resendOne(RpcClient c, Write w) {
    try {
      w.bootId = BlockOps.BootId.decode(c.call(Opcode.WRITE_BLOCKS, w.body), "WRITE_BLOCKS");
      w.failed = false;
    } catch (DvsException e) {
      if (isTransient(e)) {
        w.failed = true;
        throw e;
      }
      lostWrite.compareAndSet(null, asDvs("a block write to storage node " + w.snId
          + " failed", e));
      w.settled.complete(null); // refused for good: reported, not sent again
    }
  }

  private List<Write> kept(int snId) {
    List<Write> list = unflushed.get(snId);
    if (list == null) {
      return List.of();
    }
    synchronized (list) {
      return new ArrayList<>(list);
    }
  }

  /** The first {@code count} kept writes of {@code snId} are durable (or given up). */
  private void settle(int snId, int count) {
    List<Write> list = unflushed.get(snId);
    if (list == null || count == 0) {
      return;
    }
    List<Write> done;
    synchronized (list) {
      List<Write> head = list.subList(0, count);
      done = new ArrayList<>(head);
      head.clear();
    }
    for (Write w : done) {
      unflushedBlocks.addAndGet(-w.blocks);
      w.settled.complete(null);
    }
  }

  /** {@code call} on {@code snId}'s client, learning its address again before each retry. */
  private <T> T onNode(int snId, String what, Function<RpcClient, T> call) {
    AtomicBoolean again = new AtomicBoolean();
    return onNode.call(what, () -> {
      if (again.getAndSet(true)) {
        refresh();
      }
      return call.apply(client(snId));
    });
  }

  private static boolean isTransient(RuntimeException e) {
    return e instanceof DvsException d && ON_NODE.isRetryable(d.code());
  }

  private static DvsException asDvs(String what, RuntimeException e) {
    ErrorCode code = e instanceof DvsException d ? d.code() : ErrorCode.IO_ERROR;
    return new DvsException(code, what + ": " + e.getMessage(), e);
  }

  private RpcClient client(int snId) {
    RpcClient c = clients.get(snId);
    if (c != null) {
      return c;
    }
    refresh();
    c = clients.get(snId);
    if (c == null) {
      throw new DvsException(ErrorCode.NODE_DOWN,
          "storage node " + snId + " is not registered with the metadata server");
    }
    return c;
  }

  /**
   * Learns SN addresses from the SNMM; an SN that moved gets a new connection. Waits out an MS
   * restart (bounded, {@link Retry}) rather than failing the write that needed the address.
   */
  private synchronized void refresh() {
    for (NodeOps.NodeInfo node : Retry.transientErrors().call("list storage nodes",
        nodes::get)) {
      InetSocketAddress address = new InetSocketAddress(node.host(), node.port());
      RpcClient existing = clients.get(node.snId());
      if (existing == null || !existing.address().equals(address)) {
        clients.put(node.snId(),
            new RpcClient("storage node " + node.snId(), address, TIMEOUT_MS));
        if (existing != null) {
          existing.close();
        }
      }
    }
  }

  @Override
  public void close() {
    retrier.shutdownNow();
    clients.values().forEach(RpcClient::close);
    clients.clear();
  }
}
