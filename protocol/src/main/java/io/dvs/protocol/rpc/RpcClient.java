package io.dvs.protocol.rpc;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Frame;
import io.dvs.protocol.FrameDecoder;
import io.dvs.protocol.FrameEncoder;
import io.dvs.protocol.MalformedFrame;
import io.dvs.protocol.Opcode;
import io.dvs.protocol.ProtocolLimits;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A connection to one server with many requests in flight, matched to responses by request id.
 * Connects lazily and reconnects on the next call after a loss; requests in flight when the
 * connection drops fail with CONNECTION_LOST (retrying is the caller's choice: the protocol's
 * writes and journal groups are idempotent).
 */
public final class RpcClient implements AutoCloseable {
  /** Requests in flight on one connection; a caller past this waits (backpressure). */
  public static final int IN_FLIGHT_MAX = 512;

  private static final int CONNECT_TIMEOUT_MS = 5_000;

  /**
   * Blocking connections kept for {@link #callDirect}: one per caller in a call at once (the
   * mount's FUSE workers); a caller past this takes the event-loop path.
   */
  public static final int DIRECT_CONNECTIONS_MAX = 16;

  private final String serverName;
  private final InetSocketAddress address;
  private final long timeoutMs;
  private final AtomicLong nextRequestId = new AtomicLong(1);
  private final Map<Long, Call> inFlight = new ConcurrentHashMap<>();
  private final Semaphore inFlightPermits = new Semaphore(IN_FLIGHT_MAX);
  /** Idle blocking connections for {@link #callDirect}; at most DIRECT_CONNECTIONS_MAX exist. */
  private final java.util.concurrent.BlockingQueue<DirectConnection> idleDirect =
      new java.util.concurrent.ArrayBlockingQueue<>(DIRECT_CONNECTIONS_MAX);
  private final Semaphore directPermits = new Semaphore(DIRECT_CONNECTIONS_MAX);

  /** Guarded by {@code this}: the live channel, or null before the first call or after a loss. */
  private Channel channel;

  private volatile boolean closed;

  public RpcClient(String serverName, InetSocketAddress address, long timeoutMs) {
    this.serverName = serverName;
    this.address = address;
    this.timeoutMs = timeoutMs;
  }

  public InetSocketAddress address() {
    return address;
  }

  /**
   * Whether the server is in this JVM ({@link RpcServer#acceptCallsFromThisJvm}): it then lives
   * and dies with the caller, and calls to it skip the wire.
   */
  public boolean serverInThisJvm() {
    return RpcServer.inThisJvm(address) != null;
  }

  /** Sends a request and waits for its response body; typed failures raise DvsException. */
  public byte[] call(Opcode opcode, byte[] body) {
    RpcServer.Dispatcher local = RpcServer.inThisJvm(address);
    if (local != null) {
      return callHere(local, opcode, body);
    }
    try {
      return callAsync(opcode, body).get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw asDvs(e.getCause());
    } catch (TimeoutException e) {
      throw new DvsException(ErrorCode.TIMEOUT,
          opcode + " to " + describe() + " got no answer in " + timeoutMs + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DvsException(ErrorCode.UNAVAILABLE, "interrupted waiting for " + describe());
    }
  }

  /**
   * As {@link #call}, made and answered on this thread over a blocking connection of its own
   * ({@link DirectConnection}): for small calls a caller waits on anyway, where the event loop's
   * hand-offs cost more than the call. With every direct connection busy it is {@link #call}.
   * Only for idempotent requests: a call whose connection turns out lost is sent once more.
   */
  public byte[] callDirect(Opcode opcode, byte[] body) {
    RpcServer.Dispatcher local = RpcServer.inThisJvm(address);
    if (local != null) {
      return callHere(local, opcode, body);
    }
    DirectCall direct = sendDirect(opcode, body);
    return direct != null ? direct.answer() : call(opcode, body);
  }

  /**
   * The first half of {@link #callDirect}: sends the request now on a blocking connection the
   * returned call holds until its {@link DirectCall#answer} (or {@link DirectCall#abandon}), so
   * one thread can have requests to several servers in flight and take every answer itself.
   * Null where callDirect would not use a connection of its own (a server in this JVM, or every
   * direct connection busy): make the call another way then. Only for idempotent requests.
   */
  public DirectCall sendDirect(Opcode opcode, byte[] body) {
    if (RpcServer.inThisJvm(address) != null || !directPermits.tryAcquire()) {
      return null;
    }
    boolean sent = false;
    try {
      if (closed) {
        throw new DvsException(ErrorCode.UNAVAILABLE, "client for " + describe() + " is closed");
      }
      Frame request = Frame.request(opcode, nextRequestId.getAndIncrement(), body);
      if (tooLarge(request)) {
        throw frameTooLarge(opcode, body);
      }
      DirectConnection connection = idleDirect.poll();
      boolean reused = connection != null;
      if (connection == null) {
        connection = DirectConnection.open(address, CONNECT_TIMEOUT_MS, timeoutMs, describe());
      }
      try {
        connection.send(request, describe()); // closes it if it throws
      } catch (DvsException e) {
        if (e.code() != ErrorCode.CONNECTION_LOST || !reused) {
          throw e;
        }
        // An idle connection the server closed meanwhile (a restart): a fresh one.
        connection = DirectConnection.open(address, CONNECT_TIMEOUT_MS, timeoutMs, describe());
        connection.send(request, describe());
        reused = false;
      }
      sent = true;
      return new DirectCall(connection, request, reused);
    } finally {
      if (!sent) {
        directPermits.release();
      }
    }
  }

  /** A request sent by {@link #sendDirect}, whose answer is still to be read. */
  public final class DirectCall {
    private final Frame request;
    private final boolean reused;
    private DirectConnection connection;
    private boolean ended;

    private DirectCall(DirectConnection connection, Frame request, boolean reused) {
      this.connection = connection;
      this.request = request;
      this.reused = reused;
    }

    /**
     * Waits for the answer and returns its body; a typed error answer is thrown as such. Call
     * once: it gives the connection back.
     */
    public byte[] answer() {
      if (ended) {
        throw new IllegalStateException("answer taken already");
      }
      ended = true;
      try {
        Frame answer;
        try {
          answer = connection.receive(request, describe()); // closes it if it throws
        } catch (DvsException e) {
          if (e.code() != ErrorCode.CONNECTION_LOST || !reused) {
            throw e;
          }
          // An idle connection the server closed meanwhile (a restart) shows only when used:
          // the call is idempotent, so it goes once more on a fresh connection.
          connection = DirectConnection.open(address, CONNECT_TIMEOUT_MS, timeoutMs, describe());
          answer = connection.call(request, describe());
        }
        if (closed || !connection.isOpen() || !idleDirect.offer(connection)) {
          connection.close(); // closed already if the watchdog timed it out as the answer came
        }
        if (answer.status() != ErrorCode.OK) {
          throw new DvsException(answer.status(), answer.errorMessage());
        }
        return answer.body();
      } finally {
        directPermits.release();
      }
    }

    /** Drops the call without its answer (the caller failed meanwhile); no-op once answered. */
    public void abandon() {
      if (!ended) {
        ended = true;
        connection.close();
        directPermits.release();
      }
    }
  }

  /** A request in flight and the connection it was sent on. */
  private record Call(Channel channel, CompletableFuture<Frame> pending) {}

  /** Sends a request; the future completes with the response body or a DvsException. */
  public CompletableFuture<byte[]> callAsync(Opcode opcode, byte[] body) {
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    long requestId = nextRequestId.getAndIncrement();
    Frame request = Frame.request(opcode, requestId, body); // caller errors raise before a permit
    if (tooLarge(request)) {
      result.completeExceptionally(frameTooLarge(opcode, body));
      return result;
    }
    RpcServer.Dispatcher local = RpcServer.inThisJvm(address);
    if (local != null) {
      return callInThisJvm(local, request);
    }
    Channel ch;
    try {
      ch = connectedChannel();
      acquirePermit();
    } catch (DvsException e) {
      result.completeExceptionally(e);
      return result;
    }
    CompletableFuture<Frame> pending = new CompletableFuture<>();
    inFlight.put(requestId, new Call(ch, pending));
    // Runs exactly once per call, however the call ends: the one place its permit comes back.
    pending.whenComplete((frame, error) -> {
      inFlight.remove(requestId);
      inFlightPermits.release();
      if (error != null) {
        result.completeExceptionally(error);
      } else if (frame.status() != ErrorCode.OK) {
        result.completeExceptionally(new DvsException(frame.status(), frame.errorMessage()));
      } else {
        result.complete(frame.body());
      }
    });
    ScheduledFuture<?> timeout = ch.eventLoop().schedule(() -> pending.completeExceptionally(
        new DvsException(ErrorCode.TIMEOUT, opcode + " to " + describe() + " got no answer in "
            + timeoutMs + " ms")), timeoutMs, TimeUnit.MILLISECONDS);
    // An answered call drops its timer at once; else the event loop's queue would hold every
    // call (and its response body) for timeoutMs.
    pending.whenComplete((frame, error) -> timeout.cancel(false));
    ch.writeAndFlush(request).addListener(f -> {
      if (!f.isSuccess()) {
        pending.completeExceptionally(new DvsException(ErrorCode.CONNECTION_LOST,
            "cannot send to " + describe() + ": " + f.cause()));
      }
    });
    return result;
  }

  /**
   * As a remote call, with the same permits; the server runs it on its pool. No timeout: the
   * server cannot vanish from under a caller in its own process, and a timer per call (JDK
   * orTimeout keeps cancelled timers queued) cost more than the call.
   */
  private CompletableFuture<byte[]> callInThisJvm(RpcServer.Dispatcher local, Frame request) {
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    try {
      enterInThisJvm();
    } catch (DvsException e) {
      result.completeExceptionally(e);
      return result;
    }
    local.callInThisJvm(request).whenComplete((body, error) -> {
      inFlightPermits.release();
      if (error == null) {
        result.complete(body);
      } else {
        result.completeExceptionally(asDvs(error));
      }
    });
    return result;
  }

  /**
   * A synchronous call to a server of this JVM runs on the calling thread, with the same permits
   * and errors: the caller would only block while a pool thread did the work.
   */
  private byte[] callHere(RpcServer.Dispatcher local, Opcode opcode, byte[] body) {
    Frame request = Frame.request(opcode, nextRequestId.getAndIncrement(), body);
    if (tooLarge(request)) {
      throw frameTooLarge(opcode, body);
    }
    enterInThisJvm();
    try {
      return local.callHere(request);
    } finally {
      inFlightPermits.release();
    }
  }

  /** A call to this JVM's server: refused once closed, else one permit, as over the wire. */
  private void enterInThisJvm() {
    if (closed) {
      throw new DvsException(ErrorCode.UNAVAILABLE, "client for " + describe() + " is closed");
    }
    acquirePermit();
  }

  private static boolean tooLarge(Frame request) {
    return request.encodedSizeBytes() - 4 > ProtocolLimits.FRAME_BYTES_MAX;
  }

  private static DvsException frameTooLarge(Opcode opcode, byte[] body) {
    return new DvsException(ErrorCode.INVALID_ARGUMENT, opcode + " body: " + body.length
        + " bytes (frame length expected: <= " + ProtocolLimits.FRAME_BYTES_MAX + ")");
  }

  /** One of the {@link #IN_FLIGHT_MAX} permits, waiting up to the timeout for it. */
  private void acquirePermit() {
    try {
      if (!inFlightPermits.tryAcquire(timeoutMs, TimeUnit.MILLISECONDS)) {
        throw new DvsException(ErrorCode.TIMEOUT, describe() + ": too many requests in flight");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DvsException(ErrorCode.UNAVAILABLE, "interrupted");
    }
  }

  private synchronized Channel connectedChannel() {
    if (closed) {
      throw new DvsException(ErrorCode.UNAVAILABLE, "client for " + describe() + " is closed");
    }
    if (channel != null && channel.isActive()) {
      return channel;
    }
    Bootstrap bootstrap = new Bootstrap()
        .group(EventLoops.shared())
        .channel(EventLoops.socketChannel())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new FrameDecoder(), FrameEncoder.INSTANCE, new ResponseHandler());
          }
        });
    ChannelFuture connect = bootstrap.connect(address).awaitUninterruptibly();
    if (!connect.isSuccess()) {
      throw new DvsException(ErrorCode.UNAVAILABLE,
          "cannot reach " + describe() + ": " + EventLoops.socketError(connect.cause()));
    }
    Channel connected = connect.channel();
    connected.closeFuture().addListener(
        f -> failAll(connected, "connection to " + describe() + " lost"));
    channel = connected;
    return connected;
  }

  /**
   * Fails the calls sent on {@code ch} (every call if null). Only that channel's: an old
   * connection's close may be noticed after a new one already carries calls.
   */
  private void failAll(Channel ch, String why) {
    for (Call call : inFlight.values()) {
      if (ch == null || call.channel() == ch) {
        call.pending().completeExceptionally(new DvsException(ErrorCode.CONNECTION_LOST, why));
      }
    }
  }

  /** Calls sent and not yet ended; for tests. */
  int callsInFlight() {
    return inFlight.size();
  }

  /** Idle blocking connections kept for {@link #callDirect}; for tests. */
  int directConnectionsIdle() {
    return idleDirect.size();
  }

  /** In-flight permits not held by a call; {@link #IN_FLIGHT_MAX} when idle. For tests. */
  int inFlightPermitsAvailable() {
    return inFlightPermits.availablePermits();
  }

  private String describe() {
    return serverName + " at " + address.getHostString() + ":" + address.getPort();
  }

  private static DvsException asDvs(Throwable t) {
    return t instanceof DvsException d ? d : new DvsException(ErrorCode.INTERNAL, t.toString(), t);
  }

  @Override
  public void close() {
    Channel ch;
    synchronized (this) {
      closed = true;
      ch = channel;
      channel = null;
    }
    if (ch != null) {
      ch.close().awaitUninterruptibly();
    }
    for (DirectConnection idle; (idle = idleDirect.poll()) != null; ) {
      idle.close();
    }
    failAll(null, "client for " + describe() + " closed");
  }

  private final class ResponseHandler extends SimpleChannelInboundHandler<Object> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof MalformedFrame bad) {
        Call call = bad.isResponse() ? inFlight.get(bad.requestId()) : null;
        if (call != null) {
          call.pending().completeExceptionally(new DvsException(bad.code(),
              "bad response from " + describe() + ": " + bad.reason()));
        }
        return;
      }
      Frame frame = (Frame) msg;
      Call call = frame.isResponse() ? inFlight.get(frame.requestId()) : null;
      if (call != null) {
        call.pending().complete(frame);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      failAll(ctx.channel(), "connection to " + describe() + " failed: " + cause.getMessage());
      ctx.close();
    }
  }
}
