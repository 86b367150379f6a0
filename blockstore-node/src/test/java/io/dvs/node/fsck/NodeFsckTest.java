package io.dvs.node.fsck;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.node.StorageNode;
import io.dvs.node.StorageNodeConfig;
import io.dvs.node.meta.NodeMetadata;
import io.dvs.node.store.DataDirectory;
import io.dvs.protocol.DvsException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fsck finds leaked blocks and wrong reference counts planted on purpose, and repairs them. */
class NodeFsckTest {
  @TempDir Path dir;

  private StorageNodeConfig config() {
    return StorageNodeConfig.builder(dir).newDeviceCapacityBytes(64L * BLOCK_SIZE_BYTES).build();
  }

  @Test
  void reportsAndRepairsLeaksAndCountMismatches() throws Exception {
    byte[] data = new byte[3 * BLOCK_SIZE_BYTES];
    new Random(7).nextBytes(data);
    System.arraycopy(data, 0, data, BLOCK_SIZE_BYTES, BLOCK_SIZE_BYTES); // PAs 1, 2 share an L
    try (StorageNode node = StorageNode.start(config())) {
      try (var client = new io.dvs.protocol.rpc.RpcClient("sn", node.address(), 10_000)) {
        client.call(io.dvs.protocol.Opcode.WRITE_BLOCKS, new io.dvs.protocol.message.BlockOps
            .WriteBlocks(new long[] {1, 2, 3}, data, 0).encode());
      }
    }
    assertTrue(NodeFsck.run(dir, false).report().clean(), "a clean node checks clean");

    // Plant damage the way a buggy release or a lost decrement would: a count one too high on
    // the shared L, and a block no PA maps to.
    try (DataDirectory d = DataDirectory.open(dir, true)) {
      NodeMetadata meta = d.meta();
      long shared = meta.locationOf(1);
      meta.blockTable().increment(shared);
      meta.blockTable().create(40, new byte[meta.blockTable().digestBytes()], 1);
      meta.checkpoint();
    }
    NodeFsck.Result found = NodeFsck.run(dir, false);
    assertEquals(1, found.report().leakedBlocks(), found.report().toString());
    assertEquals(1, found.report().refCountMismatches(), found.report().toString());
    assertEquals(0, found.report().danglingPas());
    assertEquals(1, found.exitCode());
    DvsException refused = assertThrows(DvsException.class, () -> StorageNode.start(config()));
    assertTrue(refused.getMessage().contains("fsck --repair"), refused.getMessage());

    NodeFsck.Result repaired = NodeFsck.run(dir, true);
    assertTrue(repaired.repaired());
    assertEquals(1, repaired.freedBlocks());
    assertEquals(0, repaired.exitCode());
    assertTrue(NodeFsck.run(dir, false).report().clean());
    try (StorageNode node = StorageNode.start(config());
        var client = new io.dvs.protocol.rpc.RpcClient("sn", node.address(), 10_000)) {
      assertArrayEquals(data, client.call(io.dvs.protocol.Opcode.READ_BLOCKS,
          new io.dvs.protocol.message.BlockOps.ReadBlocks(new long[] {1, 2, 3}).encode()));
      assertEquals(2, node.stats().usedBlocks());
      assertEquals(3, node.stats().mappedPas());
    }
  }
}
