package io.dvs.protocol.rpc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Frame;
import io.dvs.protocol.ProtocolLimits;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The servers, clients and request handler the RPC tests share. {@link #close} releases every
 * blocked handler, then closes what was started, newest first.
 */
final class RpcFixture implements AutoCloseable {
  /** Handlers of HEARTBEAT requests wait on this until {@link #release}. */
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger blocked = new AtomicInteger();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * NODE_STATS echoes the body ("whoami": answers the handler thread's name); GET_INODE is
   * NOT_FOUND; FLUSH throws a RuntimeException; HEARTBEAT blocks until {@link #release};
   * READ_BLOCKS answers more than a frame can hold.
   */
  byte[] handle(Frame request) throws InterruptedException {
    switch (request.opcode()) {
      case NODE_STATS:
        return "whoami".equals(new String(request.body(), StandardCharsets.UTF_8))
            ? utf8(Thread.currentThread().getName()) : request.body();
      case GET_INODE:
        throw DvsException.notFound("no inode " + new String(request.body(),
            StandardCharsets.UTF_8));
      case FLUSH:
        throw new IllegalStateException("handler bug");
      case HEARTBEAT:
        blocked.incrementAndGet();
        release.await(15, TimeUnit.SECONDS);
        return new byte[0];
      case READ_BLOCKS:
        return new byte[ProtocolLimits.FRAME_BYTES_MAX];
      default:
        throw new DvsException(ErrorCode.INVALID_ARGUMENT, "unexpected " + request.opcode());
    }
  }

  /** A server on loopback {@code port} (0: any) with {@link #handle} on {@code threads}. */
  RpcServer startServer(int port, int threads) {
    return closeLater(RpcServer.start("test", new InetSocketAddress("127.0.0.1", port),
        this::handle, threads));
  }

  RpcClient client(InetSocketAddress address, long timeoutMs) {
    return closeLater(new RpcClient("test", address, timeoutMs));
  }

  <T extends AutoCloseable> T closeLater(T resource) {
    toClose.add(resource);
    return resource;
  }

  /** Lets every blocked HEARTBEAT handler return. */
  void release() {
    release.countDown();
  }

  /** Waits until {@code count} HEARTBEAT handlers are blocked. */
  void awaitBlocked(int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (blocked.get() < count) {
      assertTrue(System.nanoTime() < deadline, "handlers blocked: " + blocked.get());
      Thread.sleep(5);
    }
  }

  @Override
  public void close() throws Exception {
    release();
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }
}
