package io.dvs.meta;

import com.google.common.base.Preconditions;
import java.nio.file.Path;

/**
 * How to run one metadata server (MS). Immutable; start from {@link #of(Path)} and adjust with
 * the {@code with...} methods.
 *
 * @param dataDir where the MS keeps its store ({@code ms.db}); created if missing
 * @param bindHost address to listen on
 * @param port TCP port; 0 picks a free one (see {@link MetadataServer#address()})
 * @param leaseTimeoutMs a mount lease whose holder sent nothing for this long may be taken over
 * @param nodeDownAfterMs an SN with no heartbeat for this long is down and gets no WDACG
 */
public record MetadataServerConfig(
    Path dataDir, String bindHost, int port, long leaseTimeoutMs, long nodeDownAfterMs) {

  public static final String DEFAULT_BIND_HOST = "127.0.0.1";

  /** Three missed renewals at the client's 5 s renew interval before a takeover is allowed. */
  public static final long DEFAULT_LEASE_TIMEOUT_MS = 15_000;

  /** Five missed heartbeats at the SN's 1 s heartbeat interval. */
  public static final long DEFAULT_NODE_DOWN_AFTER_MS = 5_000;

  /** The lease timeout travels as a u32 in MOUNT_VOLUME's response. */
  public static final long LEASE_TIMEOUT_MS_MAX = Integer.MAX_VALUE;

  public MetadataServerConfig {
    Preconditions.checkNotNull(dataDir, "dataDir");
    Preconditions.checkNotNull(bindHost, "bindHost");
    Preconditions.checkArgument(port >= 0 && port <= 65535, "port: %s (expected: 0..65535)", port);
    Preconditions.checkArgument(leaseTimeoutMs > 0 && leaseTimeoutMs <= LEASE_TIMEOUT_MS_MAX,
        "leaseTimeoutMs: %s (expected: 1..%s)", leaseTimeoutMs, LEASE_TIMEOUT_MS_MAX);
    Preconditions.checkArgument(nodeDownAfterMs > 0,
        "nodeDownAfterMs: %s (expected: > 0)", nodeDownAfterMs);
  }

  /** Defaults: loopback, an ephemeral port, the default lease and node-down timeouts. */
  public static MetadataServerConfig of(Path dataDir) {
    return new MetadataServerConfig(dataDir, DEFAULT_BIND_HOST, 0, DEFAULT_LEASE_TIMEOUT_MS,
        DEFAULT_NODE_DOWN_AFTER_MS);
  }

  public MetadataServerConfig withBindHost(String newBindHost) {
    return new MetadataServerConfig(dataDir, newBindHost, port, leaseTimeoutMs, nodeDownAfterMs);
  }

  public MetadataServerConfig withPort(int newPort) {
    return new MetadataServerConfig(dataDir, bindHost, newPort, leaseTimeoutMs, nodeDownAfterMs);
  }

  public MetadataServerConfig withLeaseTimeoutMs(long newLeaseTimeoutMs) {
    return new MetadataServerConfig(dataDir, bindHost, port, newLeaseTimeoutMs, nodeDownAfterMs);
  }

  public MetadataServerConfig withNodeDownAfterMs(long newNodeDownAfterMs) {
    return new MetadataServerConfig(dataDir, bindHost, port, leaseTimeoutMs, newNodeDownAfterMs);
  }
}
