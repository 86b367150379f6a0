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
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A frame server: decodes requests, runs the {@link RequestHandler} on a bounded pool (handlers
 * may block on disk), and writes the responses. A malformed request gets an error response; a
 * stream that cannot be resynchronised (bad length) closes that connection only.
 */
public final class RpcServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(RpcServer.class.getName());

  /** Requests queued for the handler pool; past this the requester gets UNAVAILABLE. */
  public static final int QUEUED_REQUESTS_MAX = 4096;

  private final String name;
  private final Channel serverChannel;
  private final ChannelGroup connections;
  private final ThreadPoolExecutor pool;

  private RpcServer(String name, Channel serverChannel, ChannelGroup connections,
      ThreadPoolExecutor pool) {
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
        .channel(NioServerSocketChannel.class)
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
      return new RpcServer(name, channel, connections, pool);
    } catch (Exception e) {
      pool.shutdownNow();
      String why = e instanceof BindException ? "is in use or not available" : e.toString();
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
  @Override
  public void close() {
    serverChannel.close().syncUninterruptibly();
    connections.close().awaitUninterruptibly();
    pool.shutdown();
    try {
      pool.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final class Dispatcher extends SimpleChannelInboundHandler<Object> {
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
        Frame response = Frame.response(request, handler.handle(request));
        if (response.encodedSizeBytes() - 4 > ProtocolLimits.FRAME_BYTES_MAX) {
          // The encoder would refuse it and the requester would hear nothing until its timeout.
          throw new IllegalStateException("response body: " + response.body().length
              + " bytes (frame length expected: <= " + ProtocolLimits.FRAME_BYTES_MAX + ")");
        }
        return response;
      } catch (DvsException e) {
        return Frame.error(request.opcode(), request.requestId(), e.code(), e.getMessage());
      } catch (Exception | Error e) {
        LOG.log(Level.WARNING, name + ": " + request.opcode() + " failed", e);
        return Frame.error(request.opcode(), request.requestId(), ErrorCode.INTERNAL,
            request.opcode() + " failed on " + name + ": " + e);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.log(Level.FINE, name + ": closing connection from " + ctx.channel().remoteAddress(),
          cause);
      ctx.close();
    }
  }
}
