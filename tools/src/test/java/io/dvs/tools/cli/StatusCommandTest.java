package io.dvs.tools.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.message.NodeOps.NodeInfo;
import io.dvs.protocol.message.NodeStats;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusCommandTest {
  private static NodeInfo node(int snId, long failedDevices) {
    return new NodeInfo(snId, "uuid-" + snId, "127.0.0.1", 7000 + snId, true,
        new NodeStats(1000, 250, 500, 250, 250, 500, 250, 0, failedDevices));
  }

  /** An SN that lost a device says so under the table, and in the JSON. */
  @Test
  void failedDevicesAreReported() {
    String table = StatusCommand.toTable(List.of(node(1, 0), node(2, 1)));
    assertTrue(table.contains("warning: SN 2: 1 device failed"), table);
    assertFalse(table.contains("SN 1:"), table);
    assertTrue(table.contains("25.00%"), table); // UR of 250 of 1000 blocks
    String json = StatusCommand.toJson(List.of(node(2, 1)));
    assertTrue(json.contains("\"failedDevices\":1"), json);
  }
}
