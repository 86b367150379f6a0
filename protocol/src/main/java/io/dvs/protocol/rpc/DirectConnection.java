package io.dvs.protocol.rpc;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Frame;
import io.dvs.protocol.FrameDecoder;
import io.dvs.protocol.FrameEncoder;
import io.dvs.protocol.MalformedFrame;
import io.dvs.protocol.ProtocolLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A blocking connection that carries one call at a time, made and answered on the caller's
 * thread: {@link RpcClient#callDirect}. A call through the event loop wakes three threads (the
 * loop to send, the loop on the answer, the caller on its future); here the caller sends and
 * sleeps in {@code read} until the answer is there. For small synchronous calls (a 4 KiB random
 * read) those hand-offs cost more than the call: measured on the multi-process cluster, the
 * mount's event loop spent ~67 µs of CPU per 4 KiB read.
 *
 * <p>Same frames as the event-loop path (layout in {@link FrameDecoder}). Not thread-safe: a
 * caller owns it for the call. After any failure it is closed and never used again, so a late
 * answer cannot be taken for the next call's.
 *
 * <p>The socket has no read timeout: with one, the JDK makes every read non-blocking and waits
 * in poll, three system calls where one blocking read does. {@link Watchdog} closes a connection
 * whose answer is overdue instead, which ends the blocked read.
 */
final class DirectConnection implements AutoCloseable {
  private static final byte[] NO_BYTES = new byte[0];

  private final Socket socket;
  private final long timeoutMs;
  private final OutputStream out;
  private final DataInputStream in;
  /** Frame header and capability of the answer being read. */
  private final byte[] head =
      new byte[ProtocolLimits.FRAME_HEADER_BYTES + ProtocolLimits.CAPABILITY_BYTES_MAX];
  /** System.nanoTime() when the caller began to wait for an answer; 0 when it is not waiting. */
  private volatile long waitingSinceNanos;
  /** Set by the watchdog before it closes the connection: the close was a timeout. */
  private volatile boolean timedOut;

  private DirectConnection(Socket socket, long timeoutMs) throws IOException {
    this.socket = socket;
    this.timeoutMs = timeoutMs;
    this.out = socket.getOutputStream();
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 64 * 1024));
  }

  /** Connects; a failure is UNAVAILABLE naming {@code server}. */
  static DirectConnection open(InetSocketAddress address, int connectTimeoutMs, long timeoutMs,
      String server) {
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.connect(address, connectTimeoutMs);
      return new DirectConnection(socket, timeoutMs);
    } catch (IOException e) {
      closeQuietly(socket);
      throw new DvsException(ErrorCode.UNAVAILABLE, "cannot reach " + server + ": "
          + e.getMessage());
    }
  }

  /**
   * Sends {@code request} and returns the answer's frame. Throws TIMEOUT or CONNECTION_LOST (and
   * the connection is then closed); a typed error answer comes back as a frame.
   */
  Frame call(Frame request, String server) {
    send(request, server);
    return receive(request, server);
  }

  /** The first half of {@link #call}: the request is on its way when this returns. */
  void send(Frame request, String server) {
    try {
      ByteBuf encoded = Unpooled.buffer(request.encodedSizeBytes());
      FrameEncoder.encodeTo(request, encoded);
      out.write(encoded.array(), encoded.arrayOffset(), encoded.readableBytes());
      out.flush();
    } catch (IOException | RuntimeException e) {
      throw failed(e, server);
    }
  }

  /** The second half of {@link #call}: waits for the answer to {@code request}, sent last. */
  Frame receive(Frame request, String server) {
    waitingSinceNanos = System.nanoTime();
    Watchdog.watch(this);
    try {
      Frame answer = readAnswer(server);
      if (answer.requestId() != request.requestId() || !answer.isResponse()) {
        throw new IOException("answer to request " + answer.requestId() + " (expected: "
            + request.requestId() + ")");
      }
      return answer;
    } catch (IOException | RuntimeException e) {
      if (timedOut) {
        throw new DvsException(ErrorCode.TIMEOUT, request.opcode() + " to " + server
            + " got no answer in " + timeoutMs + " ms");
      }
      throw failed(e, server);
    } finally {
      waitingSinceNanos = 0;
      Watchdog.forget(this);
    }
  }

  /** For the watchdog: closes the connection if its caller has waited past the timeout. */
  void closeIfOverdue(long nowNanos) {
    long since = waitingSinceNanos;
    if (since != 0 && nowNanos - since > TimeUnit.MILLISECONDS.toNanos(timeoutMs)) {
      timedOut = true;
      close();
    }
  }

  /** Closes the connection, never to be used again, and says what {@code e} means. */
  private DvsException failed(Exception e, String server) {
    close();
    if (e instanceof DvsException d) {
      return d;
    }
    return new DvsException(ErrorCode.CONNECTION_LOST, "connection to " + server + " lost: "
        + e.getMessage());
  }

  /** Reads one frame, its body straight into the array the Frame keeps (no second copy). */
  private Frame readAnswer(String server) throws IOException {
    long length = in.readInt() & 0xFFFF_FFFFL;
    if (length < ProtocolLimits.FRAME_HEADER_BYTES || length > ProtocolLimits.FRAME_BYTES_MAX) {
      throw new IOException("frame length: " + length + " (expected: "
          + ProtocolLimits.FRAME_HEADER_BYTES + ".." + ProtocolLimits.FRAME_BYTES_MAX + ")");
    }
    int headerBytes = ProtocolLimits.FRAME_HEADER_BYTES;
    in.readFully(head, 0, headerBytes);
    int capabilityLength = ((head[headerBytes - 2] & 0xFF) << 8) | (head[headerBytes - 1] & 0xFF);
    long capabilityMax = Math.min(ProtocolLimits.CAPABILITY_BYTES_MAX, length - headerBytes);
    if (capabilityLength > capabilityMax) {
      throw new IOException("capability length: " + capabilityLength + " (expected: <= "
          + capabilityMax + ")");
    }
    in.readFully(head, headerBytes, capabilityLength);
    int bodyLength = (int) (length - headerBytes - capabilityLength);
    byte[] body = bodyLength == 0 ? NO_BYTES : new byte[bodyLength];
    in.readFully(body);
    Object decoded = FrameDecoder.readFrame(
        Unpooled.wrappedBuffer(head, 0, headerBytes + capabilityLength), body);
    if (decoded instanceof MalformedFrame bad) {
      throw new DvsException(bad.code(), "bad response from " + server + ": " + bad.reason());
    }
    return (Frame) decoded;
  }

  boolean isOpen() {
    return !socket.isClosed();
  }

  @Override
  public void close() {
    closeQuietly(socket);
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing: nothing left to tell anyone
    }
  }

  /**
   * Closes direct connections whose caller waits past the timeout, from a periodic check on the
   * shared event loops (where the event-loop path's timeouts run too): a timeout fires between
   * timeoutMs and timeoutMs + PERIOD_MS. Callers register while they wait; the check stops after
   * IDLE_STOP_MS with nobody waiting, so an idle mount is not woken 50 times a second.
   */
  private static final class Watchdog {
    /** Check period: a tenth of the shortest timeout in use (tests use 200 ms). */
    static final long PERIOD_MS = 20;
    /** Nobody waited this long: the check stops (the next wait starts it again). */
    static final long IDLE_STOP_MS = 10_000;

    private static final Set<DirectConnection> WAITING = ConcurrentHashMap.newKeySet();
    /** The periodic check, null when stopped; guarded by Watchdog.class. */
    private static ScheduledFuture<?> checks;
    private static long idleSinceNanos;

    static void watch(DirectConnection connection) {
      WAITING.add(connection);
      synchronized (Watchdog.class) {
        if (checks == null) {
          idleSinceNanos = System.nanoTime();
          checks = EventLoops.shared().scheduleAtFixedRate(
              Watchdog::check, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
        }
      }
    }

    static void forget(DirectConnection connection) {
      WAITING.remove(connection);
    }

    private static void check() {
      long now = System.nanoTime();
      for (DirectConnection connection : WAITING) {
        connection.closeIfOverdue(now);
      }
      synchronized (Watchdog.class) {
        if (!WAITING.isEmpty()) {
          idleSinceNanos = now;
        } else if (now - idleSinceNanos > TimeUnit.MILLISECONDS.toNanos(IDLE_STOP_MS)) {
          checks.cancel(false);
          checks = null;
        }
      }
    }
  }
}
