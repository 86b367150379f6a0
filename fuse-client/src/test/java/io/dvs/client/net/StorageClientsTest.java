package io.dvs.client.net;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Frame;
import io.dvs.protocol.message.BlockOps;
import io.dvs.protocol.message.NodeOps;
import io.dvs.protocol.message.NodeStats;
import io.dvs.protocol.rpc.RequestHandler;
import io.dvs.protocol.rpc.RpcServer;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client's side of the durability contract with an SN that acknowledges writes from memory:
 * a fake SN that loses what no FLUSH covered when it "crashes" (and answers with a new boot id),
 * restarts on another port, refuses a PA for good, or stays away.
 */
class StorageClientsTest {
  private static final int SN = 1;

  /** An SN in memory: writes land in {@code memory}, FLUSH copies them to {@code durable}. */
  static final class FakeNode implements RequestHandler {
    final Map<Long, byte[]> memory = new ConcurrentHashMap<>();
    final Map<Long, byte[]> durable = new ConcurrentHashMap<>();
    final Set<Long> refused = ConcurrentHashMap.newKeySet();
    volatile long boot = new Random().nextLong();

    @Override
    public byte[] handle(Frame request) {
      switch (request.opcode()) {
        case WRITE_BLOCKS -> {
          BlockOps.WriteBlocks w = BlockOps.WriteBlocks.decode(request.body());
          for (int i = 0; i < w.count(); i++) {
            if (refused.contains(w.pas()[i])) {
              throw new DvsException(ErrorCode.IO_ERROR, "device failed under PA " + w.pas()[i]);
            }
            memory.put(w.pas()[i], Arrays.copyOfRange(w.data(), w.blockOffset(i),
                w.blockOffset(i) + BLOCK_SIZE_BYTES));
          }
          return BlockOps.BootId.encode(boot);
        }
        case READ_BLOCKS -> {
          long[] pas = BlockOps.ReadBlocks.decode(request.body()).pas();
          byte[] out = new byte[pas.length * BLOCK_SIZE_BYTES];
          for (int i = 0; i < pas.length; i++) {
            byte[] b = memory.getOrDefault(pas[i], new byte[BLOCK_SIZE_BYTES]);
            System.arraycopy(b, 0, out, i * BLOCK_SIZE_BYTES, BLOCK_SIZE_BYTES);
          }
          return out;
        }
        case FLUSH -> {
          durable.putAll(memory);
          return BlockOps.BootId.encode(boot);
        }
        default -> throw new DvsException(ErrorCode.UNKNOWN_OPCODE, "not here");
      }
    }

    /** kill -9 and start again: what no FLUSH covered is gone. */
    void crash() {
      memory.clear();
      memory.putAll(durable);
      boot = new Random().nextLong();
    }
  }

  private final FakeNode node = new FakeNode();
  private RpcServer server = start(0);
  private volatile int port = server.address().getPort();
  private final StorageClients storage = new StorageClients(
      () -> List.of(new NodeOps.NodeInfo(SN, "uuid", "127.0.0.1", port, true,
          new NodeStats(1000, 0, 0, 0, 0, 0, 0, 0, 0))),
      Retry.transientErrors().alsoOn(ErrorCode.NODE_DOWN).withTotalWaitMs(1_000));

  @AfterEach
  void close() {
    storage.close();
    server.close();
  }

  private RpcServer start(int onPort) {
    return RpcServer.start("fake-sn", new InetSocketAddress("127.0.0.1", onPort), node, 2);
  }

  private static byte[] block(int seed) {
    byte[] b = new byte[BLOCK_SIZE_BYTES];
    new Random(seed).nextBytes(b);
    return b;
  }

  private StorageClients.Write write(long pa, byte[] data) {
    StorageClients.Write w = new StorageClients.Write(SN,
        new BlockOps.WriteBlocks(new long[] {pa}, data, 0));
    storage.write(w);
    w.ended().join();
    return w;
  }

  @Test
  void writesAnSnLostInACrashAreSentAgainBeforeTheFlushReturns() {
    StorageClients.Write a = write(1, block(1));
    StorageClients.Write b = write(2, block(2));
    assertFalse(a.settled().isDone(), "acknowledged is not durable");
    node.crash();
    storage.flushWritten();
    assertArrayEquals(block(1), node.durable.get(1L));
    assertArrayEquals(block(2), node.durable.get(2L));
    assertTrue(a.settled().isDone() && b.settled().isDone());
    assertNull(storage.takeLostWrite());
  }

  @Test
  void aLaterWriteToTheSamePaStaysTheLastOne() {
    write(7, block(1));
    node.crash();
    write(7, block(2)); // acknowledged by the new boot
    storage.flushWritten();
    assertArrayEquals(block(2), node.durable.get(7L));
  }

  @Test
  void anSnBackOnAnotherPortIsFoundThroughTheNodeList() {
    write(3, block(3));
    server.close();
    node.crash();
    server = start(0);
    port = server.address().getPort();
    storage.flushWritten();
    assertArrayEquals(block(3), node.durable.get(3L));
    byte[] read = storage.readNow(SN, new BlockOps.ReadBlocks(new long[] {3}));
    assertArrayEquals(block(3), read);
  }

  @Test
  void aReadStartedAcrossAnSnRestartOnAnotherPortIsAnsweredFromThere() {
    write(5, block(5));
    storage.flushWritten();
    assertArrayEquals(block(5), storage.readNow(SN, new BlockOps.ReadBlocks(new long[] {5})));
    server.close(); // the direct connection the read left idle is dead now
    node.crash();
    server = start(0);
    port = server.address().getPort();
    StorageClients.PendingRead read = storage.startRead(SN, new BlockOps.ReadBlocks(new long[] {5}));
    assertArrayEquals(block(5), read.answer());
  }

  @Test
  void aWriteRefusedForGoodIsReportedOnceAndNotRetried() {
    node.refused.add(9L);
    StorageClients.Write w = write(9, block(9));
    assertTrue(w.settled().isDone());
    storage.flushWritten(); // the journal may ship: the data is lost, not pending
    DvsException lost = storage.takeLostWrite();
    assertNotNull(lost);
    assertEquals(ErrorCode.IO_ERROR, lost.code());
    assertTrue(lost.getMessage().contains("device failed under PA 9"), lost.getMessage());
    assertNull(storage.takeLostWrite(), "reported once");
  }

  @Test
  void anSnThatStaysAwayFailsTheFlushAndTheWritesAreKeptForTheNextOne() {
    StorageClients.Write w = write(4, block(4));
    int oldPort = port;
    server.close();
    node.crash();
    DvsException e = assertThrows(DvsException.class, storage::flushWritten);
    assertTrue(Retry.TRANSIENT.contains(e.code()), e.toString());
    assertFalse(w.settled().isDone(), "kept: the SN may come back");

    server = start(oldPort);
    storage.flushWritten();
    assertTrue(w.settled().isDone());
    assertArrayEquals(block(4), node.durable.get(4L));
  }

  @Test
  void anSnInThisJvmIsDurableAtItsAcknowledgement() {
    server.acceptCallsFromThisJvm();
    StorageClients.Write w = write(5, block(5));
    assertTrue(w.settled().isDone(), "it cannot restart without this client");
    storage.flushWritten();
    assertArrayEquals(block(5), node.durable.get(5L));
  }
}
