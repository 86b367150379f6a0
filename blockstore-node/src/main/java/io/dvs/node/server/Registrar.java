package io.dvs.node.server;

import com.google.common.base.Preconditions;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.Opcode;
import io.dvs.protocol.message.NodeOps;
import io.dvs.protocol.message.NodeStats;
import io.dvs.protocol.rpc.RpcClient;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps this SN in the MS's SNMM (paper 1, algorithm 3): REGISTER_NODE with the node's UUID,
 * retried with exponential backoff until an MS answers (it may start later or restart), then a
 * HEARTBEAT with fresh stats every second. A heartbeat answered NOT_FOUND (the MS forgot us) or
 * lost to the network sends the node back to registering. An absent MS is normal, never fatal.
 *
 * <p>One daemon thread runs one step at a time, each step scheduling the next, so the work
 * queue never holds more than one task.
 */
public final class Registrar implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Registrar.class.getName());

  /** How often the MS hears from us; its down-detection timeout is a few of these. */
  public static final long HEARTBEAT_INTERVAL_MS = 1_000;

  /** First retry after a failed registration: fast, since the MS is often just starting. */
  static final long RETRY_DELAY_MS_MIN = 100;

  /** Backoff ceiling: a restarted MS hears from us within this. */
  static final long RETRY_DELAY_MS_MAX = 5_000;

  /** One register/heartbeat call; shorter than the heartbeat interval would be too tight. */
  static final long CALL_TIMEOUT_MS = 2_000;

  /** Lifecycle: REGISTERING until an snId is granted, then HEARTBEATING; CLOSED at the end. */
  enum State { REGISTERING, HEARTBEATING, CLOSED }

  private final String nodeUuid;
  private final String advertisedHost;
  private final int port;
  private final Supplier<NodeStats> stats;
  private final RpcClient client;
  private final ScheduledExecutorService thread;

  /** Written only by the registrar thread (and close); read by anyone. */
  private volatile State state = State.REGISTERING;
  private volatile int snId = -1;
  private long retryDelayMs = RETRY_DELAY_MS_MIN;

  private Registrar(InetSocketAddress metaAddress, String nodeUuid, String advertisedHost,
      int port, Supplier<NodeStats> stats) {
    this.nodeUuid = nodeUuid;
    this.advertisedHost = advertisedHost;
    this.port = port;
    this.stats = stats;
    this.client = new RpcClient("metadata server", metaAddress, CALL_TIMEOUT_MS);
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sn-registrar");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts registering in the background and returns at once. */
  public static Registrar start(InetSocketAddress metaAddress, String nodeUuid,
      String advertisedHost, int port, Supplier<NodeStats> stats) {
    Preconditions.checkArgument(port > 0 && port <= 65535, "port: %s", port);
    Registrar registrar = new Registrar(metaAddress, nodeUuid, advertisedHost, port, stats);
    registrar.thread.execute(registrar::step);
    return registrar;
  }

  /** The snId the MS gave us, or -1 before the first registration succeeds. */
  public int snId() {
    return snId;
  }

  private void step() {
    long delayMs;
    try {
      delayMs = state == State.REGISTERING ? register() : heartbeat();
    } catch (RuntimeException e) { // a bug here must not stop the heartbeats for good
      LOG.log(Level.WARNING, "registrar step failed", e);
      delayMs = RETRY_DELAY_MS_MAX;
    }
    if (state != State.CLOSED) {
      try {
        thread.schedule(this::step, delayMs, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException closing) {
        // close() ran meanwhile
      }
    }
  }

  private long register() {
    try {
      NodeOps.RegisterNode request =
          new NodeOps.RegisterNode(nodeUuid, advertisedHost, port, stats.get());
      int id = NodeOps.decodeSnId(client.call(Opcode.REGISTER_NODE, request.encode()));
      snId = id;
      state = State.HEARTBEATING;
      retryDelayMs = RETRY_DELAY_MS_MIN;
      LOG.fine(() -> "registered with " + client.address() + " as snId " + id);
      return HEARTBEAT_INTERVAL_MS;
    } catch (DvsException e) {
      long delay = retryDelayMs;
      retryDelayMs = Math.min(retryDelayMs * 2, RETRY_DELAY_MS_MAX);
      LOG.fine(() -> "cannot register with " + client.address() + " (" + e.getMessage()
          + "); retrying in " + delay + " ms");
      return delay;
    }
  }

  private long heartbeat() {
    try {
      client.call(Opcode.HEARTBEAT, new NodeOps.Heartbeat(snId, stats.get()).encode());
      return HEARTBEAT_INTERVAL_MS;
    } catch (DvsException e) {
      switch (e.code()) {
        case NOT_FOUND, CONNECTION_LOST, UNAVAILABLE, TIMEOUT -> {
          LOG.fine(() -> "heartbeat failed (" + e.getMessage() + "); registering again");
          state = State.REGISTERING;
          return RETRY_DELAY_MS_MIN;
        }
        default -> {
          LOG.fine(() -> "heartbeat refused: " + e.getMessage());
          return HEARTBEAT_INTERVAL_MS;
        }
      }
    }
  }

  /** Stops the heartbeats; the MS will mark the node down after its timeout. */
  @Override
  public void close() {
    state = State.CLOSED;
    thread.shutdownNow();
    try {
      thread.awaitTermination(CALL_TIMEOUT_MS * 2, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    client.close();
  }
}
