package io.dvs.node;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Frame;
import io.dvs.protocol.message.NodeOps;
import io.dvs.protocol.rpc.RpcServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SNMM registration against a fake MS: an RpcServer with a handler written here. */
class RegistrationTest {
  @TempDir Path dir;

  /** A fake SNMM: grants snId 7, forgets nodes when restarted (a fresh instance). */
  static final class FakeMs {
    final AtomicInteger registrations = new AtomicInteger();
    final AtomicInteger heartbeats = new AtomicInteger();
    final Set<Integer> known = ConcurrentHashMap.newKeySet();
    volatile NodeOps.RegisterNode lastRegister;

    byte[] handle(Frame request) {
      switch (request.opcode()) {
        case REGISTER_NODE -> {
          lastRegister = NodeOps.RegisterNode.decode(request.body());
          registrations.incrementAndGet();
          known.add(7);
          return NodeOps.encodeSnId(7);
        }
        case HEARTBEAT -> {
          NodeOps.Heartbeat hb = NodeOps.Heartbeat.decode(request.body());
          if (!known.contains(hb.snId())) {
            throw DvsException.notFound("snId " + hb.snId() + " is not registered");
          }
          heartbeats.incrementAndGet();
          return new byte[0];
        }
        default -> throw new DvsException(ErrorCode.UNKNOWN_OPCODE, "fake MS");
      }
    }

    RpcServer start(int port) {
      return RpcServer.start("fake ms", new InetSocketAddress("127.0.0.1", port),
          this::handle, 2);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void registersWhenTheMsComesUpLateAndAgainAfterItRestarts() throws Exception {
    int msPort = freePort();
    StorageNodeConfig config = StorageNodeConfig.builder(dir)
        .newDeviceCapacityBytes(64L * BLOCK_SIZE_BYTES)
        .metaAddress(new InetSocketAddress("127.0.0.1", msPort))
        .advertisedHost("sn1.example").build();
    try (StorageNode node = StorageNode.start(config)) {
      Thread.sleep(300); // a few failed attempts against no MS: must not hurt the node
      assertEquals(-1, node.snId());
      assertEquals(64, node.stats().capacityBlocks());

      FakeMs ms = new FakeMs();
      try (RpcServer server = ms.start(msPort)) {
        Await.until("registration", () -> node.snId() == 7);
        NodeOps.RegisterNode reg = ms.lastRegister;
        assertEquals(node.nodeUuid(), reg.nodeUuid());
        assertEquals("sn1.example", reg.host());
        assertEquals(node.address().getPort(), reg.port());
        assertEquals(64, reg.stats().capacityBlocks());
        Await.until("a heartbeat", () -> ms.heartbeats.get() >= 1);
      }

      FakeMs restarted = new FakeMs(); // knows nobody: heartbeats get NOT_FOUND
      try (RpcServer server = restarted.start(msPort)) {
        Await.until("re-registration", () -> restarted.registrations.get() >= 1);
        Await.until("heartbeats after re-registration", () -> restarted.heartbeats.get() >= 1);
        assertEquals(node.nodeUuid(), restarted.lastRegister.nodeUuid());
        assertTrue(node.snId() == 7);
      }
    }
  }
}
