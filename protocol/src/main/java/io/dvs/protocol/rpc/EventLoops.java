package io.dvs.protocol.rpc;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The process's shared Netty event loops. Daemon threads, so a forgotten client never keeps
 * the JVM alive. Two threads: this system runs on 2-core machines and the loops only move bytes;
 * request handling runs on each server's own bounded pool.
 *
 * <p>On Linux the loops use epoll directly (Netty's native transport); elsewhere, or if its
 * library cannot load, Java NIO. Servers and clients take their channel classes from here, so
 * they always match the loops.
 */
final class EventLoops {
  static final int IO_THREADS = 2;

  static final boolean EPOLL = Epoll.isAvailable();

  private static EventLoopGroup shared;

  private EventLoops() {}

  static synchronized EventLoopGroup shared() {
    if (shared == null) {
      DefaultThreadFactory threads = new DefaultThreadFactory("dvs-io", true);
      shared = EPOLL ? new EpollEventLoopGroup(IO_THREADS, threads)
          : new NioEventLoopGroup(IO_THREADS, threads);
    }
    return shared;
  }

  /**
   * A socket failure as a user reads it: the root cause's message, without the
   * {@code "bind(..) failed: "} that the native transport puts before the system's words.
   */
  static String socketError(Throwable t) {
    while (t.getCause() != null) {
      t = t.getCause();
    }
    String message = t.getMessage() == null ? t.toString() : t.getMessage();
    return message.replaceFirst("^\\w+\\(\\.\\.\\) failed: ", "");
  }

  static Class<? extends SocketChannel> socketChannel() {
    return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  static Class<? extends ServerSocketChannel> serverSocketChannel() {
    return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }
}
