package io.dvs.node;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.node.fsck.NodeFsck;
import io.dvs.protocol.Opcode;
import io.dvs.protocol.message.BlockOps;
import io.dvs.protocol.rpc.RpcClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a storage node process at random moments (seeded): after every restart each
 * flushed block reads back byte-identical (or as a later, unflushed write of it), and offline
 * fsck finds every L's reference count equal to the PAs mapping it, with nothing leaked.
 */
class StorageNodeCrashTest {
  static final long SEED = 0x5eed_0003L;
  static final int ITERATIONS = 5;
  static final int PAS = 512;
  /** Distinct contents: fewer than PAs, so many PAs share blocks (refcounts above 1). */
  static final int CONTENTS = 96;
  static final int BATCH_BLOCKS = 8;
  static final int IN_FLIGHT = 8;
  static final int KILL_DELAY_MS_MAX = 700;
  static final long TIMEOUT_MS = 10_000;
  /** Content id 0 is "zeros": a released or never-written PA. */
  static final int ZEROS = 0;

  @TempDir Path dir;

  static byte[] content(int id) {
    byte[] b = new byte[BLOCK_SIZE_BYTES];
    if (id != ZEROS) {
      new Random(id).nextBytes(b);
    }
    return b;
  }

  @Test
  void flushedBlocksSurviveKillMinus9AndRefcountsStayExact() throws Exception {
    Random random = new Random(SEED);
    Path data = dir.resolve("sn");
    int[] flushed = new int[PAS]; // content id per PA as of the last FLUSH (or recovery)
    for (int iteration = 0; iteration < ITERATIONS; iteration++) {
      List<Set<Integer>> acceptable = new ArrayList<>();
      for (int pa = 0; pa < PAS; pa++) {
        acceptable.add(new HashSet<>(Set.of(flushed[pa])));
      }
      Process node = startNode(data);
      try (RpcClient client = new RpcClient("sn", address(node), TIMEOUT_MS)) {
        long killAtNanos = System.nanoTime()
            + TimeUnit.MILLISECONDS.toNanos(100 + random.nextInt(KILL_DELAY_MS_MAX));
        writeUntilKilled(client, node, random, killAtNanos, flushed, acceptable);
      }
      node.waitFor(10, TimeUnit.SECONDS);
      NodeFsck.Result fsck = NodeFsck.run(data, false);
      assertTrue(fsck.report().clean(), "iteration " + iteration + ": " + fsck.report());

      Process again = startNode(data);
      try (RpcClient client = new RpcClient("sn", address(again), TIMEOUT_MS)) {
        for (int pa = 0; pa < PAS; pa++) {
          byte[] read = client.call(Opcode.READ_BLOCKS,
              new BlockOps.ReadBlocks(new long[] {pa}).encode());
          flushed[pa] = identify(read, acceptable.get(pa), iteration, pa);
        }
      } finally {
        again.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private void writeUntilKilled(RpcClient client, Process node, Random random, long killAtNanos,
      int[] flushed, List<Set<Integer>> acceptable) {
    int[] latest = flushed.clone();
    ArrayDeque<CompletableFuture<byte[]>> inFlight = new ArrayDeque<>();
    int requests = 0;
    try {
      while (true) {
        if (System.nanoTime() >= killAtNanos) {
          node.destroyForcibly(); // SIGKILL, with requests in flight
          return;
        }
        int op = random.nextInt(16);
        if (op == 0) { // FLUSH covers every write that completed before it was sent
          while (!inFlight.isEmpty()) {
            inFlight.removeFirst().join();
          }
          client.call(Opcode.FLUSH, new byte[0]);
          for (int pa = 0; pa < PAS; pa++) {
            flushed[pa] = latest[pa];
            acceptable.get(pa).clear();
            acceptable.get(pa).add(latest[pa]);
          }
          continue;
        }
        long[] pas = new long[BATCH_BLOCKS];
        byte[] blocks = new byte[BATCH_BLOCKS * BLOCK_SIZE_BYTES];
        // Requests in flight run concurrently on the node, in any order, like on a disk: each
        // takes its PAs from its own lane (PA mod IN_FLIGHT), and a lane is reused only after
        // its previous request completed, so the last write of a PA is well defined.
        int lane = requests++ % IN_FLIGHT;
        for (int i = 0; i < BATCH_BLOCKS; i++) {
          int pa = random.nextInt(PAS / IN_FLIGHT) * IN_FLIGHT + lane;
          int id = op == 1 ? ZEROS : 1 + random.nextInt(CONTENTS);
          pas[i] = pa;
          latest[pa] = id;
          acceptable.get(pa).add(id); // before sending: it may land even if the reply never does
          System.arraycopy(content(id), 0, blocks, i * BLOCK_SIZE_BYTES, BLOCK_SIZE_BYTES);
        }
        if (inFlight.size() >= IN_FLIGHT) {
          inFlight.removeFirst().join();
        }
        inFlight.add(op == 1
            ? client.callAsync(Opcode.RELEASE_BLOCKS, new BlockOps.ReleaseBlocks(pas).encode())
            : client.callAsync(Opcode.WRITE_BLOCKS,
                new BlockOps.WriteBlocks(pas, blocks, 0).encode()));
      }
    } catch (RuntimeException e) {
      assertTrue(!node.isAlive(), "request failed while the node was alive: " + e);
    }
  }

  private static int identify(byte[] read, Set<Integer> acceptable, int iteration, int pa) {
    for (int id : acceptable) {
      if (Arrays.equals(read, content(id))) {
        return id;
      }
    }
    int found = -1;
    for (int id = 0; id <= CONTENTS; id++) {
      found = Arrays.equals(read, content(id)) ? id : found;
    }
    throw new AssertionError("iteration " + iteration + ": PA " + pa + " reads content "
        + (found < 0 ? "unknown" : "id " + found) + ", none of its flushed or later-written "
        + "blocks " + acceptable);
  }

  private static Process startNode(Path data) throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        CrashNodeMain.class.getName(), data.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    return p;
  }

  private static InetSocketAddress address(Process p) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
    String line = out.readLine();
    assertTrue(line != null && line.startsWith("PORT "), "node printed: " + line);
    return new InetSocketAddress("127.0.0.1", Integer.parseInt(line.substring(5).trim()));
  }
}
