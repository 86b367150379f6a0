package io.dvs.protocol.rpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Frame;
import io.dvs.protocol.FrameEncoder;
import io.dvs.protocol.Opcode;
import io.dvs.protocol.ProtocolLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.ref.WeakReference;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** RpcServer and RpcClient over real loopback sockets. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class RpcTest {
  private static final long TIMEOUT_MS = 5_000;

  private final RpcFixture fixture = new RpcFixture();
  private RpcServer server;

  @BeforeEach
  void startServer() {
    server = startServer(0);
  }

  private RpcServer startServer(int port) {
    return fixture.startServer(port, 4);
  }

  private RpcClient client(long timeoutMs) {
    return fixture.client(server.address(), timeoutMs);
  }

  @AfterEach
  void closeAll() throws Exception {
    fixture.close();
  }

  private static ErrorCode codeOf(CompletableFuture<?> future) throws InterruptedException {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> future.get(10, TimeUnit.SECONDS));
    return assertInstanceOf(DvsException.class, e.getCause()).code();
  }

  private static byte[] utf8(String s) {
    return RpcFixture.utf8(s);
  }

  private void awaitBlocked(int count) throws InterruptedException {
    fixture.awaitBlocked(count);
  }

  private static void assertIdle(RpcClient client) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (client.callsInFlight() != 0
        || client.inFlightPermitsAvailable() != RpcClient.IN_FLIGHT_MAX) {
      assertTrue(System.nanoTime() < deadline, "in flight: " + client.callsInFlight()
          + ", permits: " + client.inFlightPermitsAvailable());
      Thread.sleep(5);
    }
  }

  // ---- answers -------------------------------------------------------------------------------

  /**
   * A server that accepts calls from this JVM answers them without a socket, with the same
   * bodies and the same typed errors as over the wire; once closed, calls go to the socket
   * again (and find nobody).
   */
  @Test
  void callsFromThisJvmSkipTheSocketAndAnswerTheSame() throws Exception {
    RpcClient c = client(TIMEOUT_MS);
    server.acceptCallsFromThisJvm();
    assertArrayEquals(utf8("echo"), c.call(Opcode.NODE_STATS, utf8("echo")));
    DvsException notFound = assertThrows(DvsException.class,
        () -> c.call(Opcode.GET_INODE, utf8("7")));
    assertEquals(ErrorCode.NOT_FOUND, notFound.code());
    assertEquals("no inode 7", notFound.getMessage());
    assertEquals(ErrorCode.INTERNAL, codeOf(c.callAsync(Opcode.FLUSH, new byte[0])));
    assertIdle(c);

    server.close();
    assertEquals(ErrorCode.UNAVAILABLE, codeOf(c.callAsync(Opcode.NODE_STATS, utf8("x"))));
  }

  @Test
  void aWaitingCallFromThisJvmRunsOnTheCallersThread() throws Exception {
    RpcClient c = client(TIMEOUT_MS);
    server.acceptCallsFromThisJvm();
    String me = Thread.currentThread().getName();
    assertEquals(me, new String(c.call(Opcode.NODE_STATS, utf8("whoami")),
        StandardCharsets.UTF_8));
    assertNotEquals(me, new String(c.callAsync(Opcode.NODE_STATS, utf8("whoami"))
        .get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8), "async calls use the pool");
    DvsException bug = assertThrows(DvsException.class, () -> c.call(Opcode.FLUSH, new byte[0]));
    assertEquals(ErrorCode.INTERNAL, bug.code());
    DvsException big = assertThrows(DvsException.class,
        () -> c.call(Opcode.NODE_STATS, new byte[ProtocolLimits.FRAME_BYTES_MAX]));
    assertEquals(ErrorCode.INVALID_ARGUMENT, big.code());
    assertIdle(c);
    server.close();
    DvsException gone = assertThrows(DvsException.class,
        () -> c.call(Opcode.NODE_STATS, utf8("x")));
    assertEquals(ErrorCode.UNAVAILABLE, gone.code());
  }

  /**
   * Requests the handler marks inline are answered on the connection's I/O thread, with the same
   * errors; the others still go to the pool, and a handler bug inline does not stop the server.
   */
  @Test
  void requestsTheHandlerMarksInlineAreAnsweredOnTheIoThread() throws Exception {
    RequestHandler inlineStats = new RequestHandler() {
      @Override
      public byte[] handle(Frame request) throws Exception {
        return fixture.handle(request);
      }

      @Override
      public boolean answersInline(Frame request) {
        return request.opcode() != Opcode.HEARTBEAT;
      }
    };
    RpcServer inline = RpcServer.start("inline", new InetSocketAddress("127.0.0.1", 0),
        inlineStats, 2);
    fixture.closeLater(inline);
    RpcClient c = new RpcClient("inline", inline.address(), TIMEOUT_MS);
    fixture.closeLater(c);

    String thread = new String(c.call(Opcode.NODE_STATS, utf8("whoami")), StandardCharsets.UTF_8);
    assertTrue(thread.startsWith("dvs-io"), "answered on " + thread);
    assertEquals(ErrorCode.INTERNAL, codeOf(c.callAsync(Opcode.FLUSH, new byte[0])));
    assertEquals(ErrorCode.NOT_FOUND, codeOf(c.callAsync(Opcode.GET_INODE, utf8("7"))));
    CompletableFuture<byte[]> onPool = c.callAsync(Opcode.HEARTBEAT, new byte[0]);
    awaitBlocked(1); // a pool thread holds it; the I/O thread still answers
    assertArrayEquals(utf8("echo"), c.call(Opcode.NODE_STATS, utf8("echo")));
    fixture.release();
    assertArrayEquals(new byte[0], onPool.get(10, TimeUnit.SECONDS));
    assertIdle(c);
  }

  @Test
  void thousandConcurrentCallsEachGetTheirOwnAnswer() throws Exception {
    RpcClient client = client(TIMEOUT_MS);
    List<CompletableFuture<byte[]>> calls = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      calls.add(client.callAsync(Opcode.NODE_STATS, utf8("call " + i)));
    }
    for (int i = 0; i < calls.size(); i++) {
      assertEquals("call " + i,
          new String(calls.get(i).get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    }
    assertIdle(client);
  }

  @Test
  void manyThreadsShareOneClient() throws Exception {
    RpcClient client = client(TIMEOUT_MS);
    List<CompletableFuture<Void>> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int thread = t;
      threads.add(CompletableFuture.runAsync(() -> {
        for (int i = 0; i < 100; i++) {
          byte[] body = utf8(thread + "/" + i);
          assertArrayEquals(body, client.call(Opcode.NODE_STATS, body));
        }
      }));
    }
    CompletableFuture.allOf(threads.toArray(CompletableFuture[]::new)).get(15, TimeUnit.SECONDS);
    assertIdle(client);
  }

  @Test
  void typedErrorArrivesTyped() {
    RpcClient client = client(TIMEOUT_MS);
    DvsException e = assertThrows(DvsException.class,
        () -> client.call(Opcode.GET_INODE, utf8("7")));
    assertEquals(ErrorCode.NOT_FOUND, e.code());
    assertEquals("no inode 7", e.getMessage());
  }

  @Test
  void handlerBugIsInternalAndTheServerKeepsServing() throws Exception {
    RpcClient client = client(TIMEOUT_MS);
    for (int i = 0; i < 10; i++) {
      DvsException e = assertThrows(DvsException.class,
          () -> client.call(Opcode.FLUSH, new byte[0]));
      assertEquals(ErrorCode.INTERNAL, e.code());
      assertTrue(e.getMessage().contains("handler bug"), e.getMessage());
    }
    assertArrayEquals(utf8("ok"), client.call(Opcode.NODE_STATS, utf8("ok")));
    assertIdle(client);
  }

  @Test
  void responseTooLargeForAFrameIsInternalNotSilence() {
    RpcClient client = client(TIMEOUT_MS);
    long start = System.nanoTime();
    DvsException e = assertThrows(DvsException.class,
        () -> client.call(Opcode.READ_BLOCKS, new byte[0]));
    assertEquals(ErrorCode.INTERNAL, e.code(), e.getMessage());
    assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS));
    assertArrayEquals(utf8("ok"), client.call(Opcode.NODE_STATS, utf8("ok")));
  }

  @Test
  void requestTooLargeForAFrameIsRefusedLocally() throws Exception {
    RpcClient client = client(TIMEOUT_MS);
    byte[] body = new byte[ProtocolLimits.FRAME_BYTES_MAX];
    assertEquals(ErrorCode.INVALID_ARGUMENT, codeOf(client.callAsync(Opcode.WRITE_BLOCKS, body)));
    assertArrayEquals(utf8("ok"), client.call(Opcode.NODE_STATS, utf8("ok")));
    assertIdle(client);
  }

  // ---- hostile peers -------------------------------------------------------------------------

  private Socket rawSocket() throws IOException {
    Socket socket = new Socket("127.0.0.1", server.address().getPort());
    socket.setSoTimeout(5_000);
    fixture.closeLater(socket);
    return socket;
  }

  private static void send(Socket socket, ByteBuf frames) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(ByteBufUtil.getBytes(frames));
    out.flush();
    frames.release();
  }

  /** Reads one frame's raw header fields off the socket: {opcode, requestId, status, flags}. */
  private static long[] readRawFrame(DataInputStream in) throws IOException {
    int length = in.readInt();
    byte[] rest = new byte[length];
    in.readFully(rest);
    ByteBuffer b = ByteBuffer.wrap(rest);
    assertEquals(Frame.VERSION, b.get());
    int flags = b.get() & 0xFF;
    int opcode = b.getShort() & 0xFFFF;
    long requestId = b.getLong();
    int status = b.getShort() & 0xFFFF;
    return new long[] {opcode, requestId, status, flags};
  }

  @Test
  void unknownOpcodeGetsAnErrorForItsRequestIdAndTheConnectionStays() throws Exception {
    Socket socket = rawSocket();
    ByteBuf frames = Unpooled.buffer();
    frames.writeInt(ProtocolLimits.FRAME_HEADER_BYTES + 2);
    frames.writeByte(Frame.VERSION).writeByte(0).writeShort(0x0999).writeLong(4242)
        .writeShort(0).writeShort(0).writeShort(0xBEEF);
    FrameEncoder.encodeTo(Frame.request(Opcode.NODE_STATS, 4243, utf8("next")), frames);
    send(socket, frames);
    DataInputStream in = new DataInputStream(socket.getInputStream());
    long[] first = readRawFrame(in);
    long[] second = readRawFrame(in);
    long[] bad = first[1] == 4242 ? first : second;
    long[] good = first[1] == 4242 ? second : first;
    assertEquals(0x0999, bad[0], "the reply echoes the request's opcode");
    assertEquals(4242, bad[1]);
    assertEquals(ErrorCode.UNKNOWN_OPCODE.code(), bad[2]);
    assertEquals(Frame.FLAG_RESPONSE, bad[3]);
    assertEquals(4243, good[1]);
    assertEquals(ErrorCode.OK.code(), good[2]);
  }

  @Test
  void hugeLengthDisconnectsThatPeerOnly() throws Exception {
    RpcClient client = client(TIMEOUT_MS);
    assertArrayEquals(utf8("before"), client.call(Opcode.NODE_STATS, utf8("before")));
    Socket socket = rawSocket();
    send(socket, Unpooled.buffer().writeInt(0x7FFF_FFFF).writeZero(100));
    try {
      assertEquals(-1, socket.getInputStream().read(), "server should close the connection");
    } catch (SocketTimeoutException e) {
      throw new AssertionError("server kept a connection whose framing is lost", e);
    } catch (IOException reset) {
      // A reset is a disconnect too.
    }
    assertArrayEquals(utf8("after"), client.call(Opcode.NODE_STATS, utf8("after")));
  }

  @Test
  void tooManyQueuedRequestsAreUnavailableNotDropped() throws Exception {
    // Four handler threads block; the queue holds QUEUED_REQUESTS_MAX; the rest are refused.
    int extra = 50;
    int total = 4 + RpcServer.QUEUED_REQUESTS_MAX + extra;
    Socket socket = rawSocket();
    ByteBuf frames = Unpooled.buffer();
    for (int i = 0; i < total; i++) {
      FrameEncoder.encodeTo(Frame.request(Opcode.HEARTBEAT, i, new byte[0]), frames);
    }
    send(socket, frames);
    DataInputStream in = new DataInputStream(socket.getInputStream());
    for (int i = 0; i < extra; i++) {
      assertEquals(ErrorCode.UNAVAILABLE.code(), readRawFrame(in)[2]);
    }
    fixture.release();
    for (int i = 0; i < total - extra; i++) {
      assertEquals(ErrorCode.OK.code(), readRawFrame(in)[2]);
    }
  }

  // ---- losing the server, timeouts, closing --------------------------------------------------

  @Test
  void serverClosedFailsCallsInFlightInsteadOfHanging() throws Exception {
    RpcClient client = client(10_000);
    List<CompletableFuture<byte[]>> calls = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      calls.add(client.callAsync(Opcode.HEARTBEAT, new byte[0]));
    }
    awaitBlocked(4);
    CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
    for (CompletableFuture<byte[]> call : calls) {
      ErrorCode code = codeOf(call);
      assertTrue(code == ErrorCode.CONNECTION_LOST || code == ErrorCode.UNAVAILABLE, "" + code);
    }
    fixture.release(); // lets close() finish waiting for its handlers
    closing.get(10, TimeUnit.SECONDS);
    assertIdle(client);
    DvsException e = assertThrows(DvsException.class,
        () -> client.call(Opcode.NODE_STATS, new byte[0]));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
  }

  @Test
  void clientReconnectsWhenTheServerComesBack() throws Exception {
    RpcClient client = client(TIMEOUT_MS);
    assertArrayEquals(utf8("1"), client.call(Opcode.NODE_STATS, utf8("1")));
    int port = server.address().getPort();
    server.close();
    DvsException down = assertThrows(DvsException.class,
        () -> client.call(Opcode.NODE_STATS, utf8("2")));
    assertTrue(down.code() == ErrorCode.UNAVAILABLE || down.code() == ErrorCode.CONNECTION_LOST,
        "" + down.code());
    server = startServer(port);
    assertArrayEquals(utf8("3"), client.call(Opcode.NODE_STATS, utf8("3")));
    assertIdle(client);
  }

  @Test
  void secondServerOnAUsedPortIsUnavailableAndNamesTheAddress() {
    int port = server.address().getPort();
    DvsException e = assertThrows(DvsException.class, () -> startServer(port));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
    assertTrue(e.getMessage().contains("is in use or not available (Address already in use)"),
        e.getMessage());
    assertFalse(e.getMessage().contains("Exception"), e.getMessage());
  }

  /** Whichever transport the event loops use, a refused connection reads the same. */
  @Test
  void refusedConnectionNamesTheServerInPlainWords() throws Exception {
    int port = server.address().getPort();
    server.close();
    RpcClient c = client(TIMEOUT_MS);
    DvsException e = assertThrows(DvsException.class, () -> c.call(Opcode.NODE_STATS, utf8("x")));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().startsWith("cannot reach test at 127.0.0.1:" + port
        + ": Connection refused"), e.getMessage());
  }

  @Test
  void unansweredCallsTimeOut() throws Exception {
    RpcClient client = client(200);
    DvsException e = assertThrows(DvsException.class,
        () -> client.call(Opcode.HEARTBEAT, new byte[0]));
    assertEquals(ErrorCode.TIMEOUT, e.code());
    assertTrue(e.getMessage().contains("200 ms"), e.getMessage());
    assertEquals(ErrorCode.TIMEOUT, codeOf(client.callAsync(Opcode.HEARTBEAT, new byte[0])));
    assertIdle(client);
  }

  @Test
  void answeredCallsDoNotWaitOutTheirTimeoutInMemory() throws Exception {
    // A call's timeout timer holds the call; if an answered call kept its timer, every response
    // body would stay reachable for timeoutMs (here a minute).
    RpcClient client = client(60_000);
    WeakReference<byte[]> answer = new WeakReference<>(
        client.call(Opcode.NODE_STATS, new byte[1 << 20]));
    for (int i = 0; i < 100 && answer.get() != null; i++) {
      System.gc();
      Thread.sleep(10);
    }
    assertTrue(answer.get() == null, "the answer is still reachable after its call ended");
  }

  @Test
  void permitsComeBackWhenCallsTimeOut() throws Exception {
    // More timed-out calls than there are permits: a leaked permit would starve later calls.
    RpcClient client = client(300);
    List<CompletableFuture<byte[]>> calls = new ArrayList<>();
    for (int i = 0; i < RpcClient.IN_FLIGHT_MAX + 20; i++) {
      calls.add(client.callAsync(Opcode.HEARTBEAT, new byte[0]));
    }
    for (CompletableFuture<byte[]> call : calls) {
      assertEquals(ErrorCode.TIMEOUT, codeOf(call));
    }
    assertIdle(client);
    fixture.release();
    assertArrayEquals(utf8("ok"), client.call(Opcode.NODE_STATS, utf8("ok")));
  }

  @Test
  void closingTheClientFailsItsCallsInFlight() throws Exception {
    RpcClient client = client(10_000);
    List<CompletableFuture<byte[]>> calls = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      calls.add(client.callAsync(Opcode.HEARTBEAT, new byte[0]));
    }
    awaitBlocked(4);
    client.close();
    for (CompletableFuture<byte[]> call : calls) {
      assertEquals(ErrorCode.CONNECTION_LOST, codeOf(call));
    }
    assertIdle(client);
    assertEquals(ErrorCode.UNAVAILABLE, codeOf(client.callAsync(Opcode.NODE_STATS, new byte[0])));
    client.close(); // twice is harmless
  }
}
