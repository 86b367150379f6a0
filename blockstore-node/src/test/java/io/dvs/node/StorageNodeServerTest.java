package io.dvs.node;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Opcode;
import io.dvs.protocol.WireWriter;
import io.dvs.protocol.message.BlockOps;
import io.dvs.protocol.message.NodeStats;
import io.dvs.protocol.rpc.RpcClient;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SN over loopback, through the real RpcClient. */
class StorageNodeServerTest {
  private static final long TIMEOUT_MS = 10_000;

  @TempDir Path dir;
  private StorageNode node;
  private RpcClient client;

  @BeforeEach
  void start() {
    node = StorageNode.start(StorageNodeConfig.builder(dir)
        .newDeviceCapacityBytes(1024L * BLOCK_SIZE_BYTES).build());
    client = new RpcClient("storage node", node.address(), TIMEOUT_MS);
  }

  @AfterEach
  void stop() {
    client.close();
    node.close();
  }

  private NodeStats stats() {
    return NodeStats.decode(client.call(Opcode.NODE_STATS, new byte[0]));
  }

  @Test
  void writeReadReleaseFlushStats() {
    byte[] data = new byte[4 * BLOCK_SIZE_BYTES];
    new Random(3).nextBytes(data);
    System.arraycopy(data, 0, data, 3 * BLOCK_SIZE_BYTES, BLOCK_SIZE_BYTES); // block 3 = block 0
    long[] pas = {10, 11, 12, 13};
    client.call(Opcode.WRITE_BLOCKS, new BlockOps.WriteBlocks(pas, data, 0).encode());
    client.call(Opcode.FLUSH, new byte[0]);
    byte[] read = client.call(Opcode.READ_BLOCKS,
        new BlockOps.ReadBlocks(new long[] {10, 11, 12, 13, 99}).encode());
    assertArrayEquals(data, Arrays.copyOf(read, data.length));
    assertArrayEquals(new byte[BLOCK_SIZE_BYTES], Arrays.copyOfRange(read, data.length,
        read.length), "a never-written PA reads zeros");
    NodeStats s = stats();
    // Four lookups against an empty store: the Bloom filter answered "definitely new" to all
    // four (the fourth block is a duplicate inside the batch, found when it is mapped).
    assertEquals(new NodeStats(1024, 3, 4, 3, 1, 4, 4, 0, 0), s);

    client.call(Opcode.RELEASE_BLOCKS, new BlockOps.ReleaseBlocks(new long[] {10, 11, 500})
        .encode());
    read = client.call(Opcode.READ_BLOCKS, new BlockOps.ReadBlocks(new long[] {11, 13}).encode());
    assertArrayEquals(new byte[BLOCK_SIZE_BYTES], Arrays.copyOf(read, BLOCK_SIZE_BYTES));
    assertArrayEquals(Arrays.copyOf(data, BLOCK_SIZE_BYTES),
        Arrays.copyOfRange(read, BLOCK_SIZE_BYTES, 2 * BLOCK_SIZE_BYTES),
        "PA 13 shares content with released PA 10 and keeps it");
    assertEquals(2, stats().usedBlocks());
    assertEquals(2, stats().mappedPas());
    assertEquals(stats(), node.stats());
  }

  @Test
  void badRequestsGetTypedErrorsAndTheConnectionKeepsServing() {
    byte[] truncated = new WireWriter().i32(5).i64(1).i64(2).toByteArray(); // says 5, has 2
    DvsException e = assertThrows(DvsException.class,
        () -> client.call(Opcode.READ_BLOCKS, truncated));
    assertEquals(ErrorCode.BAD_REQUEST, e.code());

    byte[] hugePa = new BlockOps.ReadBlocks(new long[] {1L << 60}).encode();
    e = assertThrows(DvsException.class, () -> client.call(Opcode.READ_BLOCKS, hugePa));
    assertEquals(ErrorCode.BAD_REQUEST, e.code());

    e = assertThrows(DvsException.class, () -> client.call(Opcode.FLUSH, new byte[] {1}));
    assertEquals(ErrorCode.BAD_REQUEST, e.code());

    e = assertThrows(DvsException.class, () -> client.call(Opcode.LIST_VOLUMES, new byte[0]));
    assertEquals(ErrorCode.UNKNOWN_OPCODE, e.code());

    assertEquals(1024, stats().capacityBlocks(), "the same connection still serves");
  }

  @Test
  void flushedWritesSurviveARestart() {
    byte[] data = new byte[8 * BLOCK_SIZE_BYTES];
    new Random(5).nextBytes(data);
    long[] pas = {0, 1, 2, 3, 4, 5, 6, 7};
    client.call(Opcode.WRITE_BLOCKS, new BlockOps.WriteBlocks(pas, data, 0).encode());
    client.call(Opcode.FLUSH, new byte[0]);
    client.close();
    node.close();
    node.close(); // idempotent
    node = StorageNode.start(StorageNodeConfig.builder(dir).build());
    client = new RpcClient("storage node", node.address(), TIMEOUT_MS);
    assertArrayEquals(data, client.call(Opcode.READ_BLOCKS,
        new BlockOps.ReadBlocks(pas).encode()));
    assertEquals(1024, stats().capacityBlocks(), "capacity comes from the superblock");
  }

  @Test
  void noSpaceOverTheWire() {
    byte[] data = new byte[256 * BLOCK_SIZE_BYTES];
    Random random = new Random(9);
    for (int batch = 0; batch < 4; batch++) {
      random.nextBytes(data);
      long[] pas = new long[256];
      for (int i = 0; i < 256; i++) {
        pas[i] = batch * 256L + i;
      }
      client.call(Opcode.WRITE_BLOCKS, new BlockOps.WriteBlocks(pas, data, 0).encode());
    }
    random.nextBytes(data);
    byte[] one = new BlockOps.WriteBlocks(new long[] {5000}, data, 0).encode();
    DvsException e = assertThrows(DvsException.class, () -> client.call(Opcode.WRITE_BLOCKS,
        one));
    assertEquals(ErrorCode.NO_SPACE, e.code());
    client.call(Opcode.RELEASE_BLOCKS, new BlockOps.ReleaseBlocks(new long[] {0}).encode());
    client.call(Opcode.WRITE_BLOCKS, one);
    assertEquals(1024, stats().usedBlocks());
  }
}
