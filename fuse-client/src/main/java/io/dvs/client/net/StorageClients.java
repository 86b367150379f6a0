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
 */
public final class StorageClients implements AutoCloseable {
  /** An SN answers a 1 MiB batch in milliseconds; 30 s means it is gone. */
  public static final long TIMEOUT_MS = 30_000;

  private final MetaClient meta;
  private final Map<Integer, RpcClient> clients = new ConcurrentHashMap<>();
  private final Set<Integer> writtenSinceFlush = ConcurrentHashMap.newKeySet();

  public StorageClients(MetaClient meta) {
    this.meta = meta;
  }

  public CompletableFuture<byte[]> write(int snId, BlockOps.WriteBlocks request) {
    writtenSinceFlush.add(snId);
    return client(snId).callAsync(Opcode.WRITE_BLOCKS, request.encode());
  }

  public CompletableFuture<byte[]> read(int snId, BlockOps.ReadBlocks request) {
    return client(snId).callAsync(Opcode.READ_BLOCKS, request.encode());
  }

  /** FLUSH every SN written since the last call; returns when all are durable. */
  public void flushWritten() {
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
