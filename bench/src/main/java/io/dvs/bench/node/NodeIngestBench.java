package io.dvs.bench.node;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;

import io.dvs.node.StorageNode;
import io.dvs.node.StorageNodeConfig;
import io.dvs.protocol.Opcode;
import io.dvs.protocol.message.BlockOps;
import io.dvs.protocol.message.NodeStats;
import io.dvs.protocol.rpc.RpcClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * SN ingest over loopback: one client pipelines WRITE_BLOCKS of {@link #BATCH_BLOCKS} 4 KiB
 * blocks ({@link #IN_FLIGHT} requests in flight) to an in-process SN on a sparse file, ends with
 * FLUSH, and prints MiB/s for 0%, 50% and 100% duplicate blocks. A duplicate block repeats
 * content the SN already stores (pre-loaded before timing), so 100% means "nothing new to write".
 *
 * <p>Not JMH: one timed pass of {@code blocks} writes per ratio after a warm-up pass is what an
 * ingest figure means, and it keeps the run short on a shared machine.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar io.dvs.bench.node.NodeIngestBench [blocks] [algorithm]
 * </pre>
 */
public final class NodeIngestBench {
  static final int BATCH_BLOCKS = 64;
  static final int IN_FLIGHT = 16;
  static final long TIMEOUT_MS = 60_000;

  private NodeIngestBench() {}

  public static void main(String[] args) throws Exception {
    int blocks = args.length > 0 ? Integer.parseInt(args[0]) : 131_072; // 512 MiB
    String algorithm = args.length > 1 ? args[1] : "SHA-256";
    for (int dupPercent : new int[] {0, 50, 100}) {
      double mibs = run(blocks, dupPercent, algorithm);
      System.out.printf("ingest %-8s dup=%3d%%  %8.1f MiB/s  (%d blocks of 4 KiB)%n", algorithm,
          dupPercent, mibs, blocks);
    }
  }

  static double run(int blocks, int dupPercent, String algorithm) throws Exception {
    Path dir = Files.createTempDirectory("dvs-ingest");
    try (StorageNode node = StorageNode.start(StorageNodeConfig.builder(dir.resolve("sn"))
        .fingerprintAlgorithm(algorithm)
        .newDeviceCapacityBytes((long) (blocks * 3L) * BLOCK_SIZE_BYTES).build());
        RpcClient client = new RpcClient("bench", node.address(), TIMEOUT_MS)) {
      Random random = new Random(1);
      // Pool of contents that duplicates repeat: stored once before timing.
      int poolBlocks = Math.min(blocks, 16_384);
      byte[] pool = new byte[poolBlocks * BLOCK_SIZE_BYTES];
      random.nextBytes(pool);
      send(client, pool, poolBlocks, 1L << 40);
      client.call(Opcode.FLUSH, new byte[0]);
      long start = System.nanoTime();
      ArrayDeque<CompletableFuture<byte[]>> inFlight = new ArrayDeque<>();
      byte[] batch = new byte[BATCH_BLOCKS * BLOCK_SIZE_BYTES];
      long pa = 0;
      for (int sent = 0; sent < blocks; sent += BATCH_BLOCKS) {
        batch = new byte[BATCH_BLOCKS * BLOCK_SIZE_BYTES];
        for (int i = 0; i < BATCH_BLOCKS; i++) {
          int off = i * BLOCK_SIZE_BYTES;
          if (random.nextInt(100) < dupPercent) {
            System.arraycopy(pool, random.nextInt(poolBlocks) * BLOCK_SIZE_BYTES, batch, off,
                BLOCK_SIZE_BYTES);
          } else {
            long unique = (long) sent + i + 1;
            for (int b = 0; b < 8; b++) {
              batch[off + b] = (byte) (unique >>> (8 * b));
            }
            batch[off + 8] = (byte) dupPercent;
            batch[off + 9] = 0x5a; // never equal to a pool block (random in all 4096 bytes)
          }
        }
        long[] pas = new long[BATCH_BLOCKS];
        for (int i = 0; i < BATCH_BLOCKS; i++) {
          pas[i] = pa++;
        }
        if (inFlight.size() >= IN_FLIGHT) {
          inFlight.removeFirst().join();
        }
        inFlight.add(client.callAsync(Opcode.WRITE_BLOCKS,
            new BlockOps.WriteBlocks(pas, batch, 0).encode()));
      }
      while (!inFlight.isEmpty()) {
        inFlight.removeFirst().join();
      }
      client.call(Opcode.FLUSH, new byte[0]);
      double seconds = (System.nanoTime() - start) / 1e9;
      NodeStats s = NodeStats.decode(client.call(Opcode.NODE_STATS, new byte[0]));
      System.out.printf("  stats: used=%d mapped=%d unique=%d dup=%d filterLookups=%d "
          + "negatives=%d falsePositives=%d%n", s.usedBlocks(), s.mappedPas(), s.uniqueWrites(),
          s.duplicateWrites(), s.filterLookups(), s.filterNegatives(), s.falsePositives());
      return blocks * (double) BLOCK_SIZE_BYTES / (1 << 20) / seconds;
    } finally {
      deleteTree(dir);
    }
  }

  private static void send(RpcClient client, byte[] data, int blocks, long firstPa) {
    for (int sent = 0; sent < blocks; sent += BATCH_BLOCKS) {
      int n = Math.min(BATCH_BLOCKS, blocks - sent);
      long[] pas = new long[n];
      for (int i = 0; i < n; i++) {
        pas[i] = firstPa + sent + i;
      }
      client.call(Opcode.WRITE_BLOCKS, new BlockOps.WriteBlocks(pas, data,
          sent * BLOCK_SIZE_BYTES).encode());
    }
  }

  static void deleteTree(Path dir) throws java.io.IOException {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
