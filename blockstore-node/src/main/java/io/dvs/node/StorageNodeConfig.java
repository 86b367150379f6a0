package io.dvs.node;

import com.google.common.base.Preconditions;
import io.dvs.node.dedup.Fingerprinters;
import io.dvs.protocol.ProtocolLimits;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How to start a {@link StorageNode}. Immutable; build with {@link #builder(Path)}.
 *
 * @param dataDir the node's data directory; formatted on first start if missing or empty
 * @param bindHost the address the block server listens on
 * @param port the block server's port; 0 picks a free one ({@link StorageNode#address()})
 * @param metaAddress the metadata server to register with, or null to run unregistered
 * @param advertisedHost the host the MS gives clients for this node (defaults to bindHost)
 * @param newDeviceCapacityBytes size of the sparse file device made when formatting; ignored
 *     when the directory is already formatted
 * @param fingerprintAlgorithm used when formatting (SHA-1, SHA-256, BLAKE3); an existing node
 *     keeps the algorithm its superblock names
 * @param verifyOnMatch used when formatting: compare bytes before sharing a block; null means
 *     on for SHA-1 only (recorded in the superblock, like the algorithm)
 */
public record StorageNodeConfig(
    Path dataDir,
    String bindHost,
    int port,
    InetSocketAddress metaAddress,
    String advertisedHost,
    long newDeviceCapacityBytes,
    String fingerprintAlgorithm,
    Boolean verifyOnMatch) {

  public static final String DEFAULT_BIND_HOST = "127.0.0.1";

  /** A thin 64 GiB file: sparse, so it costs only what is written. */
  public static final long DEFAULT_NEW_DEVICE_CAPACITY_BYTES = 64L << 30;

  public static final String DEFAULT_FINGERPRINT_ALGORITHM = Fingerprinters.SHA_256;

  public StorageNodeConfig {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(bindHost, "bindHost");
    Preconditions.checkArgument(port >= 0 && port <= 65535, "port: %s (expected: 0..65535)",
        port);
    Objects.requireNonNull(advertisedHost, "advertisedHost");
    Preconditions.checkArgument(newDeviceCapacityBytes >= ProtocolLimits.BLOCK_SIZE_BYTES
        && newDeviceCapacityBytes % ProtocolLimits.BLOCK_SIZE_BYTES == 0,
        "newDeviceCapacityBytes: %s (expected: a positive multiple of %s)",
        newDeviceCapacityBytes, ProtocolLimits.BLOCK_SIZE_BYTES);
    Preconditions.checkArgument(Fingerprinters.NAMES.contains(fingerprintAlgorithm),
        "fingerprintAlgorithm: %s (expected one of %s)", fingerprintAlgorithm,
        Fingerprinters.NAMES);
  }

  /** Defaults: 127.0.0.1, ephemeral port, no MS, 64 GiB sparse device, SHA-256. */
  public static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  public static StorageNodeConfig defaults(Path dataDir) {
    return builder(dataDir).build();
  }

  public boolean verifyOnMatchOrDefault() {
    return verifyOnMatch != null ? verifyOnMatch : Fingerprinters.SHA_1.equals(fingerprintAlgorithm);
  }

  public long newDeviceCapacityBlocks() {
    return newDeviceCapacityBytes / ProtocolLimits.BLOCK_SIZE_BYTES;
  }

  /** Builds a {@link StorageNodeConfig}; advertisedHost follows bindHost unless set. */
  public static final class Builder {
    private final Path dataDir;
    private String bindHost = DEFAULT_BIND_HOST;
    private int port;
    private InetSocketAddress metaAddress;
    private String advertisedHost;
    private long newDeviceCapacityBytes = DEFAULT_NEW_DEVICE_CAPACITY_BYTES;
    private String fingerprintAlgorithm = DEFAULT_FINGERPRINT_ALGORITHM;
    private Boolean verifyOnMatch;

    private Builder(Path dataDir) {
      this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
    }

    public Builder bindHost(String bindHost) {
      this.bindHost = bindHost;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder metaAddress(InetSocketAddress metaAddress) {
      this.metaAddress = metaAddress;
      return this;
    }

    public Builder advertisedHost(String advertisedHost) {
      this.advertisedHost = advertisedHost;
      return this;
    }

    public Builder newDeviceCapacityBytes(long newDeviceCapacityBytes) {
      this.newDeviceCapacityBytes = newDeviceCapacityBytes;
      return this;
    }

    public Builder fingerprintAlgorithm(String fingerprintAlgorithm) {
      this.fingerprintAlgorithm = fingerprintAlgorithm;
      return this;
    }

    public Builder verifyOnMatch(boolean verifyOnMatch) {
      this.verifyOnMatch = verifyOnMatch;
      return this;
    }

    public StorageNodeConfig build() {
      return new StorageNodeConfig(dataDir, bindHost, port, metaAddress,
          advertisedHost == null ? bindHost : advertisedHost, newDeviceCapacityBytes,
          fingerprintAlgorithm, verifyOnMatch);
    }
  }
}
