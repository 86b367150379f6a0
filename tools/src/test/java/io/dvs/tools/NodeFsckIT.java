package io.dvs.tools;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.node.StorageNode;
import io.dvs.node.StorageNodeConfig;
import io.dvs.node.meta.NodeMetadata;
import io.dvs.node.store.DataDirectory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dvs node fsck} as a user runs it: reports a planted leak (exit 1), repairs it (0). */
class NodeFsckIT {
  @TempDir Path tmp;

  @Test
  void reportsThenRepairsALeak() throws Exception {
    Path sn = tmp.resolve("sn");
    StorageNode.start(StorageNodeConfig.builder(sn)
        .newDeviceCapacityBytes(64L * BLOCK_SIZE_BYTES).build()).close();
    DvsProcess clean = DvsProcess.run("node", "fsck", sn.toString());
    assertEquals(0, clean.exitCode(), clean.output());
    try (DataDirectory d = DataDirectory.open(sn, true)) {
      NodeMetadata meta = d.meta();
      meta.blockTable().create(7, new byte[meta.blockTable().digestBytes()], 1); // no PA: leak
      meta.checkpoint();
    }
    DvsProcess found = DvsProcess.run("node", "fsck", sn.toString());
    assertEquals(1, found.exitCode(), found.output());
    assertTrue(found.output().contains("1 leaked blocks"), found.output());
    DvsProcess repaired = DvsProcess.run("node", "fsck", "--repair", sn.toString());
    assertEquals(0, repaired.exitCode(), repaired.output());
    assertTrue(repaired.output().contains("freed 1 blocks"), repaired.output());
    DvsProcess after = DvsProcess.run("node", "fsck", sn.toString());
    assertEquals(0, after.exitCode(), after.output());
  }
}
