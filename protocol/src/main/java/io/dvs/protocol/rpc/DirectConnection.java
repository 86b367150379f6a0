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
import java.net.SocketTimeoutException;

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
 */
final class DirectConnection implements AutoCloseable {
  private final Socket socket;
  private final long timeoutMs;
  private final OutputStream out;
  private final DataInputStream in;

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
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMs));
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
    try {
      Frame answer = readAnswer(server);
      if (answer.requestId() != request.requestId() || !answer.isResponse()) {
        throw new IOException("answer to request " + answer.requestId() + " (expected: "
            + request.requestId() + ")");
      }
      return answer;
    } catch (SocketTimeoutException e) {
      close();
      throw new DvsException(ErrorCode.TIMEOUT, request.opcode() + " to " + server
          + " got no answer in " + timeoutMs + " ms");
    } catch (IOException | RuntimeException e) {
      throw failed(e, server);
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

  private Frame readAnswer(String server) throws IOException {
    long length = in.readInt() & 0xFFFF_FFFFL;
    if (length < ProtocolLimits.FRAME_HEADER_BYTES || length > ProtocolLimits.FRAME_BYTES_MAX) {
      throw new IOException("frame length: " + length + " (expected: "
          + ProtocolLimits.FRAME_HEADER_BYTES + ".." + ProtocolLimits.FRAME_BYTES_MAX + ")");
    }
    byte[] frame = new byte[(int) length];
    in.readFully(frame);
    Object decoded = FrameDecoder.readFrame(Unpooled.wrappedBuffer(frame));
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
}
