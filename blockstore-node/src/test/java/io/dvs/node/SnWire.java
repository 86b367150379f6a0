package io.dvs.node;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;

import io.dvs.protocol.Opcode;
import io.dvs.protocol.message.AddDevice;
import io.dvs.protocol.message.BlockOps;
import io.dvs.protocol.message.NodeStats;
import io.dvs.protocol.rpc.RpcClient;
import java.util.Random;

/**
 * A storage node's opcodes over the real wire (loopback, {@link RpcClient}), typed for tests;
 * errors come back as the DvsException the client raises. One per client thread.
 */
final class SnWire implements AutoCloseable {
  static final long TIMEOUT_MS = 10_000;

  private final RpcClient client;

  SnWire(StorageNode node) {
    this.client = new RpcClient("storage node", node.address(), TIMEOUT_MS);
  }

  /** Content that no other PA has: random bytes seeded by the PA, which also leads them. */
  static byte[] content(long pa) {
    byte[] block = new byte[BLOCK_SIZE_BYTES];
    new Random(pa).nextBytes(block);
    for (int i = 0; i < Long.BYTES; i++) {
      block[i] = (byte) (pa >>> (8 * i));
    }
    return block;
  }

  /** Each PA's own {@link #content}, back to back. */
  static byte[] contents(long... pas) {
    byte[] data = new byte[pas.length * BLOCK_SIZE_BYTES];
    for (int i = 0; i < pas.length; i++) {
      System.arraycopy(content(pas[i]), 0, data, i * BLOCK_SIZE_BYTES, BLOCK_SIZE_BYTES);
    }
    return data;
  }

  static long[] range(long first, int count) {
    long[] pas = new long[count];
    for (int i = 0; i < count; i++) {
      pas[i] = first + i;
    }
    return pas;
  }

  void write(long[] pas, byte[] data) {
    client.call(Opcode.WRITE_BLOCKS, new BlockOps.WriteBlocks(pas, data, 0).encode());
  }

  /** Writes each PA's own {@link #content}. */
  void writeOwn(long... pas) {
    write(pas, contents(pas));
  }

  byte[] read(long... pas) {
    return client.call(Opcode.READ_BLOCKS, new BlockOps.ReadBlocks(pas).encode());
  }

  void release(long... pas) {
    client.call(Opcode.RELEASE_BLOCKS, new BlockOps.ReleaseBlocks(pas).encode());
  }

  void flush() {
    client.call(Opcode.FLUSH, new byte[0]);
  }

  NodeStats stats() {
    return NodeStats.decode(client.call(Opcode.NODE_STATS, new byte[0]));
  }

  /** As {@code dvs node add-device} sends it: an empty path asks for a new sparse file. */
  long addDevice(String plugin, String path, long capacityBlocks) {
    return AddDevice.decodeCapacity(client.call(Opcode.ADD_DEVICE,
        new AddDevice(plugin, path, capacityBlocks).encode()));
  }

  @Override
  public void close() {
    client.close();
  }
}
