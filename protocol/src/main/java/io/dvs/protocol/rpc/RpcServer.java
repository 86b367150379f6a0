package io.dvs.protocol.rpc;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Frame;
import io.dvs.protocol.FrameDecoder;
import io.dvs.protocol.FrameEncoder;
import io.dvs.protocol.MalformedFrame;
import io.dvs.protocol.ProtocolLimits;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.unix.Errors;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A frame server: decodes requests, runs the {@link RequestHandler} on a bounded pool (handlers
 * may block on disk), and writes the responses. Requests the handler
 * {@link RequestHandler#answersInline answers inline} skip the pool: for a 4 KiB read the hop to
 * a pool thread and back to the I/O thread cost more than the read. A malformed request gets an
 * error response; a stream that cannot be resynchronised (bad length) closes that connection
 * only.
 *
 * <p>A server that {@link #acceptCallsFromThisJvm accepts calls from this JVM} (the embedded
 * cluster of {@code dvs mount}) lets {@link RpcClient}s of the same process skip the socket:
 * the request goes to the same pool and handler without encoding, loopback TCP and two
 * event-loop hops each way. Connection loss cannot happen there, so servers whose clients must
 * see it (tests of the wire, separate processes) do not opt in.
 */
public final class RpcServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(RpcServer.class.getName());

  /** Requests queued for the handler pool; past this the requester gets UNAVAILABLE. */
  public static final int QUEUED_REQUESTS_MAX = 4096;

  /** Servers of this JVM by port, for {@link #inThisJvm}. */
  private static final Map<Integer, Dispatcher> IN_THIS_JVM = new ConcurrentHashMap<>();

  private final String name;
  private final Channel serverChannel;
  private final ChannelGroup connections;
  private final ThreadPoolExecutor pool;
  private final RequestHandler handler;

  private RpcServer(String name, Channel serverChannel, ChannelGroup connections,
      ThreadPoolExecutor pool, RequestHandler handler) {
    this.handler = handler;
    this.name = name;
    this.serverChannel = serverChannel;
    this.connections = connections;
    this.pool = pool;
  }

  /**
   * Binds {@code address} and serves. Fails with UNAVAILABLE, naming the address, if it is in
   * use or cannot be bound.
   */
  public static RpcServer start(String name, InetSocketAddress address, RequestHandler handler,
      int handlerThreads) {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(handlerThreads, handlerThreads, 60,
        TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUED_REQUESTS_MAX),
        new DefaultThreadFactory(name + "-handler", true));
    // Made before binding: a connection may be accepted before bind() returns to us.
    ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(EventLoops.shared())
        .channel(EventLoops.serverSocketChannel())
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            connections.add(ch);
            ch.pipeline().addLast(new FrameDecoder(), FrameEncoder.INSTANCE,
                new Dispatcher(name, handler, pool));
          }
        });
    try {
      Channel channel = bootstrap.bind(address).syncUninterruptibly().channel();
      return new RpcServer(name, channel, connections, pool, handler);
    } catch (Exception e) {
      pool.shutdownNow();
      String why = e instanceof BindException || e instanceof Errors.NativeIoException
          ? "is in use or not available (" + EventLoops.socketError(e) + ")" : e.toString();
      throw new DvsException(ErrorCode.UNAVAILABLE, name + ": cannot listen on "
          + address.getHostString() + ":" + address.getPort() + ": " + why
          + " (choose another port with --port)", e);
    }
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) serverChannel.localAddress();
  }

  public String name() {
    return name;
  }

  /** Stops accepting, closes every connection, and lets running handlers finish (bounded). */
  /** From now on clients in this JVM call this server directly (see the class comment). */
  public RpcServer acceptCallsFromThisJvm() {
    IN_THIS_JVM.put(address().getPort(), new Dispatcher(name, handler, pool));
    return this;
  }

  /**
   * The server of this JVM that {@code address} reaches, if any: a loopback or wildcard host and
   * the port of a server that accepts calls from this JVM.
   */
  static Dispatcher inThisJvm(InetSocketAddress address) {
    if (IN_THIS_JVM.isEmpty() || address.getAddress() == null
        || !(address.getAddress().isLoopbackAddress() || address.getAddress().isAnyLocalAddress())) {
      return null;
    }
    return IN_THIS_JVM.get(address.getPort());
  }

  @Override
  public void close() {
    IN_THIS_JVM.remove(address().getPort());
    serverChannel.close().syncUninterruptibly();
    connections.close().awaitUninterruptibly();
    pool.shutdown();
    try {
      pool.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static final class Dispatcher extends SimpleChannelInboundHandler<Object> {
    private final String name;
    private final RequestHandler handler;
    private final ThreadPoolExecutor pool;

    Dispatcher(String name, RequestHandler handler, ThreadPoolExecutor pool) {
      this.name = name;
      this.handler = handler;
      this.pool = pool;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof MalformedFrame bad) {
        if (!bad.isResponse()) {
          // Echo the request's own opcode code, even one no Opcode has: the reply is its answer.
          ctx.writeAndFlush(FrameEncoder.encodeError(ctx.alloc(), bad.opcodeCode(),
              bad.requestId(), bad.code(), bad.reason()));
        }
        return;
      }
      Frame request = (Frame) msg;
      if (request.isResponse()) {
        return; // A server sends no requests, so a response is stray: ignore it.
      }
      if (handler.answersInline(request)) {
        ctx.writeAndFlush(answer(request));
        return;
      }
      try {
        pool.execute(() -> {
          if (ctx.channel().isActive()) { // queued requests of a closed connection are moot
            ctx.writeAndFlush(answer(request));
          }
        });
      } catch (RejectedExecutionException e) {
        ctx.writeAndFlush(Frame.error(request.opcode(), request.requestId(),
            ErrorCode.UNAVAILABLE, name + " is overloaded; retry"));
      }
    }

    private Frame answer(Frame request) {
      try {
        Frame response = Frame.response(request, handle(request));
        if (response.encodedSizeBytes() - 4 > ProtocolLimits.FRAME_BYTES_MAX) {
          // The encoder would refuse it and the requester would hear nothing until its timeout.
          throw failed(request, new IllegalStateException("response body: "
              + response.body().length + " bytes (frame length expected: <= "
              + ProtocolLimits.FRAME_BYTES_MAX + ")"));
        }
        return response;
      } catch (DvsException e) {
        return Frame.error(request.opcode(), request.requestId(), e.code(), e.getMessage());
      }
    }

    /** The handler's answer; any failure as the DvsException the requester will see. */
    private byte[] handle(Frame request) {
      try {
        return handler.handle(request);
      } catch (DvsException e) {
        throw e;
      } catch (Exception | Error e) {
        throw failed(request, e);
      }
    }

    private DvsException failed(Frame request, Throwable e) {
      LOG.log(Level.WARNING, name + ": " + request.opcode() + " failed", e);
      return new DvsException(ErrorCode.INTERNAL,
          request.opcode() + " failed on " + name + ": " + e);
    }

    /**
     * A request from this JVM, handled on the caller's thread: for a caller that would only wait
     * for the pool's answer, the two thread hand-offs cost more than a 4 KiB read.
     */
    byte[] callHere(Frame request) {
      return handle(request);
    }

    /** A request from this JVM: the same pool and handler, no socket, no encoding. */
    CompletableFuture<byte[]> callInThisJvm(Frame request) {
      CompletableFuture<byte[]> result = new CompletableFuture<>();
      try {
        pool.execute(() -> {
          try {
            result.complete(handle(request));
          } catch (DvsException e) {
            result.completeExceptionally(e);
          }
        });
      } catch (RejectedExecutionException e) {
        result.completeExceptionally(new DvsException(ErrorCode.UNAVAILABLE,
            name + " is overloaded or stopping; retry"));
      }
      return result;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.log(Level.FINE, name + ": closing connection from " + ctx.channel().remoteAddress(),
          cause);
      ctx.close();
    }
  }
}
