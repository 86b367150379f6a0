package io.dvs.node;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;

import java.nio.file.Path;

/**
 * A storage node in its own JVM for {@link StorageNodeCrashTest}: starts on DATA_DIR, prints
 * {@code PORT n} on stdout, and serves until killed (the test sends SIGKILL).
 */
public final class CrashNodeMain {
  static final long DEVICE_BLOCKS = 8192;

  private CrashNodeMain() {}

  public static void main(String[] args) throws Exception {
    StorageNode node = StorageNode.start(StorageNodeConfig.builder(Path.of(args[0]))
        .newDeviceCapacityBytes(DEVICE_BLOCKS * BLOCK_SIZE_BYTES).build());
    System.out.println("PORT " + node.address().getPort());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
