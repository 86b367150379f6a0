package io.dvs.protocol.rpc;

import static io.dvs.protocol.rpc.RpcFixture.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Opcode;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link RpcClient#callDirect} and {@link RpcClient#sendDirect}: calls made and answered on the
 * caller's thread, over loopback.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class DirectCallTest {
  private final RpcFixture fixture = new RpcFixture();
  private RpcServer server;

  @BeforeEach
  void start() {
    server = startServer(0);
  }

  /** Threads for every direct connection blocked in a handler, and some to spare. */
  private RpcServer startServer(int port) {
    return fixture.startServer(port, RpcClient.DIRECT_CONNECTIONS_MAX + 4);
  }

  private RpcClient client(InetSocketAddress address, long timeoutMs) {
    return fixture.client(address, timeoutMs);
  }

  @AfterEach
  void closeAll() throws Exception {
    fixture.close();
  }

  @Test
  void answersAndTypedErrorsComeBackOnOneReusedConnection() {
    RpcClient client = client(server.address(), 5_000);
    for (int i = 0; i < 20; i++) {
      assertArrayEquals(utf8("call " + i), client.callDirect(Opcode.NODE_STATS, utf8("call " + i)));
    }
    DvsException notFound = assertThrows(DvsException.class,
        () -> client.callDirect(Opcode.GET_INODE, utf8("7")));
    assertEquals(ErrorCode.NOT_FOUND, notFound.code());
    assertEquals("no inode 7", notFound.getMessage());
    DvsException bug = assertThrows(DvsException.class,
        () -> client.callDirect(Opcode.FLUSH, new byte[0]));
    assertEquals(ErrorCode.INTERNAL, bug.code());
    assertEquals(1, client.directConnectionsIdle(), "one caller, one connection, kept");
  }

  @Test
  void aConnectionTheServerClosedMeanwhileIsReplacedUnseenWhicheverHalfFindsIt() {
    RpcClient client = client(server.address(), 5_000);
    assertArrayEquals(utf8("1"), client.callDirect(Opcode.NODE_STATS, utf8("1")));
    int port = server.address().getPort();
    server.close();
    server = startServer(port);
    assertArrayEquals(utf8("2"), client.callDirect(Opcode.NODE_STATS, utf8("2")));
    server.close();
    server = startServer(port);
    assertArrayEquals(utf8("3"), client.sendDirect(Opcode.NODE_STATS, utf8("3")).answer());
  }

  @Test
  void anUnansweredCallTimesOutAndItsConnectionIsDropped() {
    RpcClient client = client(server.address(), 200);
    DvsException e = assertThrows(DvsException.class,
        () -> client.callDirect(Opcode.HEARTBEAT, new byte[0]));
    assertEquals(ErrorCode.TIMEOUT, e.code());
    assertTrue(e.getMessage().contains("got no answer in 200 ms"), e.getMessage());
    assertEquals(0, client.directConnectionsIdle(), "a late answer must not meet the next call");
    assertArrayEquals(utf8("next"), client.callDirect(Opcode.NODE_STATS, utf8("next")));
  }

  @Test
  void aServerThatIsDownIsUnavailableInPlainWords() {
    int port = server.address().getPort();
    server.close();
    RpcClient client = client(new InetSocketAddress("127.0.0.1", port), 5_000);
    DvsException e = assertThrows(DvsException.class,
        () -> client.callDirect(Opcode.NODE_STATS, utf8("x")));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().startsWith("cannot reach test at 127.0.0.1:" + port + ": "),
        e.getMessage());
  }

  @Test
  void callersPastTheDirectConnectionsTakeTheEventLoop() throws Exception {
    RpcClient client = client(server.address(), 10_000);
    ExecutorService callers = Executors.newFixedThreadPool(RpcClient.DIRECT_CONNECTIONS_MAX);
    try {
      List<Future<byte[]>> waiting = new ArrayList<>();
      for (int i = 0; i < RpcClient.DIRECT_CONNECTIONS_MAX; i++) {
        waiting.add(callers.submit(() -> client.callDirect(Opcode.HEARTBEAT, new byte[0])));
      }
      fixture.awaitBlocked(RpcClient.DIRECT_CONNECTIONS_MAX); // every direct connection taken
      assertArrayEquals(utf8("still served"),
          client.callDirect(Opcode.NODE_STATS, utf8("still served")));
      fixture.release();
      for (Future<byte[]> f : waiting) {
        assertEquals(0, f.get(10, TimeUnit.SECONDS).length);
      }
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void callsSentToTwoServersAreInFlightAtOnceAndAnsweredOnTheCallersThread() throws Exception {
    RpcServer other = startServer(0);
    RpcClient first = client(server.address(), 10_000);
    RpcClient second = client(other.address(), 10_000);
    RpcClient.DirectCall a = first.sendDirect(Opcode.HEARTBEAT, new byte[0]);
    RpcClient.DirectCall b = second.sendDirect(Opcode.HEARTBEAT, new byte[0]);
    fixture.awaitBlocked(2); // both servers hold a request before either answer is awaited
    fixture.release();
    assertEquals(0, b.answer().length);
    assertEquals(0, a.answer().length);
    RpcClient.DirectCall echo = first.sendDirect(Opcode.NODE_STATS, utf8("again"));
    assertArrayEquals(utf8("again"), echo.answer());
    assertEquals(1, first.directConnectionsIdle(), "the connection went back after each answer");
    assertThrows(IllegalStateException.class, echo::answer);
  }

  @Test
  void anAbandonedCallFreesItsConnectionForTheNext() {
    RpcClient client = client(server.address(), 10_000);
    for (int i = 0; i < RpcClient.DIRECT_CONNECTIONS_MAX; i++) {
      client.sendDirect(Opcode.NODE_STATS, utf8("dropped")).abandon();
    }
    RpcClient.DirectCall next = client.sendDirect(Opcode.NODE_STATS, utf8("next"));
    assertTrue(next != null, "abandoned calls gave their permits back");
    assertArrayEquals(utf8("next"), next.answer());
    assertEquals(1, client.directConnectionsIdle(), "an abandoned connection is closed, not kept");
  }

  @Test
  void aGarbledAnswerLosesTheConnectionNotTheCaller() throws Exception {
    try (ServerSocket liar = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Thread t = new Thread(() -> {
        try (Socket s = liar.accept()) {
          s.getInputStream().read(new byte[64]);
          new DataOutputStream(s.getOutputStream()).writeInt(Integer.MAX_VALUE); // huge length
          s.getOutputStream().flush();
          while (s.getInputStream().read() >= 0) {
            // until the client hangs up
          }
        } catch (Exception ignored) {
          // the test ends the conversation
        }
      });
      t.start();
      RpcClient client = client(new InetSocketAddress("127.0.0.1", liar.getLocalPort()), 5_000);
      DvsException e = assertThrows(DvsException.class,
          () -> client.callDirect(Opcode.NODE_STATS, utf8("x")));
      assertEquals(ErrorCode.CONNECTION_LOST, e.code());
      assertTrue(e.getMessage().contains("frame length: 2147483647"), e.getMessage());
      t.join(5_000);
    }
  }

  @Test
  void anAnswerWithACapabilityAndABodyReadsBothApart() throws Exception {
    byte[] body = new byte[200_000]; // longer than the connection's read buffer
    new java.util.Random(7).nextBytes(body);
    try (ServerSocket scripted = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Thread t = answerOnce(scripted, new byte[] {1, 2, 3}, 3, body);
      RpcClient client = client(new InetSocketAddress("127.0.0.1", scripted.getLocalPort()), 5_000);
      assertArrayEquals(body, client.callDirect(Opcode.NODE_STATS, utf8("x")));
      client.close(); // hangs up the kept connection, which ends the scripted server
      t.join(5_000);
    }
  }

  @Test
  void anAnswerWhoseCapabilityOverrunsItsFrameLosesTheConnection() throws Exception {
    try (ServerSocket scripted = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Thread t = answerOnce(scripted, new byte[] {1, 2}, 9, new byte[0]);
      RpcClient client = client(new InetSocketAddress("127.0.0.1", scripted.getLocalPort()), 5_000);
      DvsException e = assertThrows(DvsException.class,
          () -> client.callDirect(Opcode.NODE_STATS, utf8("x")));
      assertEquals(ErrorCode.CONNECTION_LOST, e.code());
      assertTrue(e.getMessage().contains("capability length: 9 (expected: <= 2)"),
          e.getMessage());
      t.join(5_000);
    }
  }

  /**
   * A server that answers one request with a frame it writes byte by byte: the request's id,
   * {@code capability} under a declared length of {@code capabilityLength}, then {@code body}.
   */
  private static Thread answerOnce(ServerSocket server, byte[] capability, int capabilityLength,
      byte[] body) {
    Thread t = new Thread(() -> {
      try (Socket s = server.accept()) {
        java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
        byte[] request = new byte[in.readInt()];
        in.readFully(request);
        long requestId = java.nio.ByteBuffer.wrap(request, 4, 8).getLong();
        DataOutputStream out = new DataOutputStream(
            new java.io.BufferedOutputStream(s.getOutputStream()));
        out.writeInt(io.dvs.protocol.ProtocolLimits.FRAME_HEADER_BYTES + capability.length
            + body.length);
        out.writeByte(io.dvs.protocol.Frame.VERSION);
        out.writeByte(io.dvs.protocol.Frame.FLAG_RESPONSE);
        out.writeShort(Opcode.NODE_STATS.code());
        out.writeLong(requestId);
        out.writeShort(ErrorCode.OK.code());
        out.writeShort(capabilityLength);
        out.write(capability);
        out.write(body);
        out.flush();
        while (in.read() >= 0) {
          // until the client hangs up
        }
      } catch (Exception ignored) {
        // the test ends the conversation
      }
    });
    t.start();
    return t;
  }
}
