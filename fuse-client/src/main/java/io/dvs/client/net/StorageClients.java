package io.dvs.client.net;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Opcode;
import io.dvs.protocol.message.BlockOps;
import io.dvs.protocol.message.NodeOps;
import io.dvs.protocol.rpc.RpcClient;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Connections to the storage nodes, by snId, found through the MS's SNMM. Block data goes
 * straight to the SN (out-of-band: the MS never carries it). Remembers which SNs were written
 * since the last {@link #flushWritten()}, so a metadata group is shipped only after the data
 * it describes is durable.
 *
 * <p>Writes may be left in flight (write-behind, bounded by {@link #WRITE_BEHIND_BLOCKS_MAX}):
 * {@link #flushWritten()} first waits for every write issued before it, and reports a write
 * that failed since the last flush, once, as the kernel reports a writeback error at fsync.
 */
public final class StorageClients implements AutoCloseable {
  /** An SN answers a 1 MiB batch in milliseconds; 30 s means it is gone. */
  public static final long TIMEOUT_MS = 30_000;

  private final MetaClient meta;
  private final Map<Integer, RpcClient> clients = new ConcurrentHashMap<>();
  private final Set<Integer> writtenSinceFlush = ConcurrentHashMap.newKeySet();

  /**
   * Blocks written but not yet acknowledged, at most: 32 MiB keeps both cores busy (hashing on
   * the SN while the client copies the next request) and bounds the data an unacknowledged
   * window holds in memory.
   */
  public static final int WRITE_BEHIND_BLOCKS_MAX = 8192;

  private final Set<CompletableFuture<?>> writesInFlight = ConcurrentHashMap.newKeySet();
  private final java.util.concurrent.Semaphore writeWindow =
      new java.util.concurrent.Semaphore(WRITE_BEHIND_BLOCKS_MAX);
  private final java.util.concurrent.atomic.AtomicReference<Throwable> writeFailure =
      new java.util.concurrent.atomic.AtomicReference<>();

  public StorageClients(MetaClient meta) {
    this.meta = meta;
  }

  /**
   * Sends a batch; returns when it is on its way (waiting only while the write-behind window
   * is full). The future completes with the SN's acknowledgement.
   */
  public CompletableFuture<byte[]> write(int snId, BlockOps.WriteBlocks request) {
    writeWindow.acquireUninterruptibly(request.count());
    CompletableFuture<byte[]> sent;
    try {
      writtenSinceFlush.add(snId);
      sent = client(snId).callAsync(Opcode.WRITE_BLOCKS, request.encode());
    } catch (RuntimeException e) {
      writeWindow.release(request.count());
      throw e;
    }
    writesInFlight.add(sent);
    sent.whenComplete((ok, error) -> {
      writesInFlight.remove(sent);
      writeWindow.release(request.count());
      if (error != null) {
        writeFailure.compareAndSet(null, error);
      }
    });
    return sent;
  }

  public CompletableFuture<byte[]> read(int snId, BlockOps.ReadBlocks request) {
    return client(snId).callAsync(Opcode.READ_BLOCKS, request.encode());
  }

  /**
   * As {@link #read}, waiting: made on the calling thread (an SN of this JVM reads there; a remote
   * one gets the request and answers over a blocking connection of this thread's, which saves the
   * event loop's hand-offs: {@link io.dvs.protocol.rpc.RpcClient#callDirect}).
   */
  public byte[] readNow(int snId, BlockOps.ReadBlocks request) {
    return client(snId).callDirect(Opcode.READ_BLOCKS, request.encode());
  }

  /**
   * Waits for every write issued so far, then FLUSHes every SN written since the last call;
   * returns when all are durable. Throws if a write failed since the last call.
   */
  public void flushWritten() {
    CompletableFuture<?>[] pending = writesInFlight.toArray(new CompletableFuture<?>[0]);
    CompletableFuture.allOf(pending).handle((v, e) -> null).join();
    Throwable failed = writeFailure.getAndSet(null);
    if (failed != null) {
      throw new DvsException(ErrorCode.IO_ERROR,
          "a block write to a storage node failed: " + Futures.unwrap(failed).getMessage());
    }
    Integer[] sns = writtenSinceFlush.toArray(new Integer[0]);
    CompletableFuture<?>[] flushes = new CompletableFuture<?>[sns.length];
    for (int i = 0; i < sns.length; i++) {
      writtenSinceFlush.remove(sns[i]);
      flushes[i] = client(sns[i]).callAsync(Opcode.FLUSH, new byte[0]);
    }
    try {
      CompletableFuture.allOf(flushes).join();
    } catch (RuntimeException e) {
      for (Integer sn : sns) {
        writtenSinceFlush.add(sn); // Not known durable: flush again next time.
      }
      throw Futures.unwrap(e);
    }
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
        meta::listNodes)) {
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
    clients.values().forEach(RpcClient::close);
    clients.clear();
  }
}
