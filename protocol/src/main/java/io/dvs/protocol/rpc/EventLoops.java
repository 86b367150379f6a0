package io.dvs.protocol.rpc;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The process's shared Netty event loops. Daemon threads, so a forgotten client never keeps
 * the JVM alive. Two threads: this system runs on 2-core machines and the loops only move bytes;
 * request handling runs on each server's own bounded pool.
 */
final class EventLoops {
  static final int IO_THREADS = 2;

  private static EventLoopGroup shared;

  private EventLoops() {}

  static synchronized EventLoopGroup shared() {
    if (shared == null) {
      shared = new NioEventLoopGroup(IO_THREADS, new DefaultThreadFactory("dvs-io", true));
    }
    return shared;
  }
}
