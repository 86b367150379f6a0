package io.dvs.tools.cluster;

import io.dvs.client.net.MetaClient;
import io.dvs.meta.MetadataServer;
import io.dvs.meta.MetadataServerConfig;
import io.dvs.node.StorageNode;
import io.dvs.node.StorageNodeConfig;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * One MS and one SN in this process, each a real server on 127.0.0.1 (ephemeral ports), the
 * SN storing blocks on a file device under {@code dataDir/sn0}: what {@code dvs mount} runs
 * when no cluster is named.
 */
public final class EmbeddedCluster implements AutoCloseable {
  /** How long the SN may take to register with the MS at start-up. */
  static final long REGISTER_TIMEOUT_MS = 30_000;

  private final MetadataServer meta;
  private final StorageNode node;

  private EmbeddedCluster(MetadataServer meta, StorageNode node) {
    this.meta = meta;
    this.node = node;
  }

  public static EmbeddedCluster start(Path dataDir, long deviceCapacityBytes) {
    // One process: the mount calls the MS and the SN in memory, not over loopback TCP.
    MetadataServer meta = MetadataServer.start(MetadataServerConfig.of(dataDir.resolve("ms")))
        .acceptCallsFromThisJvm();
    // Its store is this process's alone (locked while open): a lease in it was held by an
    // earlier run that died (kill -9, a crash), and mounting again need not wait it out.
    meta.endLeasesOfEarlierRuns();
    StorageNode node = null;
    try {
      node = StorageNode.start(StorageNodeConfig.builder(dataDir.resolve("sn0"))
          .metaAddress(meta.address())
          .newDeviceCapacityBytes(deviceCapacityBytes)
          .build()).acceptCallsFromThisJvm();
      awaitNodeUp(meta.address());
      return new EmbeddedCluster(meta, node);
    } catch (RuntimeException e) {
      if (node != null) {
        node.close();
      }
      meta.close();
      throw e;
    }
  }

  /** Waits until the SNMM lists an SN that is up, so the first write finds a WDACG. */
  public static void awaitNodeUp(InetSocketAddress metaAddress) {
    long deadline = System.currentTimeMillis() + REGISTER_TIMEOUT_MS;
    try (MetaClient client = new MetaClient(metaAddress)) {
      while (client.listNodes().stream().noneMatch(n -> n.up())) {
        if (System.currentTimeMillis() > deadline) {
          throw new DvsException(ErrorCode.NODE_DOWN, "no storage node is up at the metadata "
              + "server " + metaAddress.getHostString() + ":" + metaAddress.getPort() + " after "
              + REGISTER_TIMEOUT_MS / 1000 + " s; start one: dvs node start --data DIR --meta "
              + metaAddress.getHostString() + ":" + metaAddress.getPort());
        }
        Thread.sleep(20);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DvsException(ErrorCode.UNAVAILABLE, "interrupted while starting the cluster");
    }
  }

  public InetSocketAddress metaAddress() {
    return meta.address();
  }

  public StorageNode node() {
    return node;
  }

  /** Stops the SN (flushing it) and then the MS. */
  @Override
  public void close() {
    try {
      node.close();
    } finally {
      meta.close();
    }
  }
}
