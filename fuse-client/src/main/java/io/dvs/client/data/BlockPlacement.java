package io.dvs.client.data;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;

import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import io.dvs.client.net.Futures;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.message.NodeOps.NodeInfo;
import io.dvs.protocol.message.Wdacg;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Where a new block goes, and its PA: the SN is chosen by the block's content (rendezvous
 * hashing over the SNs that take writes), so every copy of a block meets on one SN, whose dedup
 * (paper 2) stores it once for the whole cluster. Each SN has its own WDACG pool (paper 1,
 * algorithm 2).
 *
 * <p>Paper 1 (3.4) gives each WDACG to the SN with the lowest UR instead. That balances load as
 * well, but a block is then stored once per SN it happens to reach: a series of three kernel
 * trees on two SNs took 87% more space than the ideal. UR still decides who takes writes: an SN
 * that is down, past {@link #FULL_UR}, or refuses a WDACG is left out until the next
 * {@link #refresh}. With no SN known, the MS picks ({@link Wdacg.Alloc#ANY_SN}).
 */
public final class BlockPlacement {
  private static final Logger LOG = Logger.getLogger(BlockPlacement.class.getName());

  /** An SN this full takes no new blocks: the others still have room for their share. */
  public static final double FULL_UR = 0.95;

  /** What placement needs from the MS. */
  public interface Cluster {
    List<NodeInfo> nodes();

    /** A WDACG of {@code count} PAs on {@code snId}, or on any SN for ANY_SN. */
    Wdacg allocate(int snId, int count);
  }

  /**
   * Hashes a block's content for rendezvous hashing. A fingerprint function: Guava promises its
   * output never changes, so copies written by different releases still meet on one SN. Its
   * ~0.5 µs per 4 KiB block is a third of murmur3_128's, which took 13% of the mount's CPU in a
   * sequential write on the multi-process cluster.
   */
  private static final HashFunction CONTENT_HASH = Hashing.farmHashFingerprint64();

  private final Cluster cluster;
  private final Executor executor;
  private final LongSupplier clockMs;
  private final Map<Integer, WdacgPool> pools = new ConcurrentHashMap<>();
  /** SNs that take new blocks, ascending; replaced whole, never changed in place. */
  private volatile int[] targets = new int[0];

  public BlockPlacement(Cluster cluster, Executor executor, LongSupplier clockMs) {
    this.cluster = cluster;
    this.executor = executor;
    this.clockMs = clockMs;
  }

  /** Asks the MS which SNs are up and not full. Keeps the old set if the MS does not answer. */
  public void refresh() {
    List<NodeInfo> nodes;
    try {
      nodes = cluster.nodes();
    } catch (RuntimeException e) {
      LOG.fine(() -> "node list not refreshed: " + e.getMessage());
      return;
    }
    targets = nodes.stream()
        .filter(n -> n.up() && n.stats().utilization() < FULL_UR)
        .mapToInt(NodeInfo::snId).sorted().toArray();
  }

  /** The SNs taking new blocks now (for tests and status). */
  public int[] targets() {
    return targets.clone();
  }

  /**
   * One fresh PA for each block {@code indexes[i]} of {@code blocks}, on the SN its content
   * maps to. Waits for WDACGs as needed (the paper's WLIST).
   */
  public BlockAddress[] take(byte[] blocks, int[] indexes) {
    BlockAddress[] out = new BlockAddress[indexes.length];
    int[] pending = java.util.stream.IntStream.range(0, indexes.length).toArray();
    while (pending.length > 0) {
      int[] sns = targets;
      if (sns.length == 0) {
        List<BlockAddress> taken;
        try {
          taken = pool(Wdacg.Alloc.ANY_SN).take(pending.length);
        } catch (RuntimeException e) {
          throw Futures.unwrap(e);
        }
        for (int i = 0; i < pending.length; i++) {
          out[pending[i]] = taken.get(i);
        }
        return out;
      }
      int[] route = new int[pending.length];
      for (int i = 0; i < pending.length; i++) {
        route[i] = sns.length == 1 ? sns[0] : snFor(sns, blocks, indexes[pending[i]]);
      }
      List<Integer> retry = new ArrayList<>();
      for (int sn : Arrays.stream(route).distinct().toArray()) {
        int[] mine = java.util.stream.IntStream.range(0, pending.length)
            .filter(i -> route[i] == sn).toArray();
        try {
          List<BlockAddress> taken = pool(sn).take(mine.length);
          for (int i = 0; i < mine.length; i++) {
            out[pending[mine[i]]] = taken.get(i);
          }
        } catch (RuntimeException e) {
          if (!refused(e)) {
            throw Futures.unwrap(e);
          }
          avoid(sn, e);
          for (int i : mine) {
            retry.add(pending[i]);
          }
        }
      }
      pending = retry.stream().mapToInt(Integer::intValue).toArray();
    }
    return out;
  }

  /**
   * As {@link #take(byte[], int[])}, for new blocks of one file: with one SN taking writes (or
   * none known yet) they come from the file's {@code reserve}, topped up a run at a time, so the
   * file's consecutive blocks get consecutive PAs while other files are written too. With
   * several SNs each block goes where its content maps, which a reserve cannot keep in order:
   * then this is the plain take.
   */
  BlockAddress[] take(byte[] blocks, int[] indexes, Reserve reserve) {
    int[] sns = targets;
    if (sns.length > 1 || indexes.length == 0) {
      giveBack(reserve);
      return take(blocks, indexes);
    }
    int key = sns.length == 1 ? sns[0] : Wdacg.Alloc.ANY_SN;
    BlockAddress[] out = new BlockAddress[indexes.length];
    int filled = 0;
    try {
      while (filled < out.length) {
        PaRun run = reserve.run();
        if (run == null || run.count() == 0 || reserve.pool() != key) {
          giveBack(reserve);
          run = pool(key).takeRun(Math.max(out.length - filled, Reserve.BLOCKS));
        }
        int n = Math.min(run.count(), out.length - filled);
        for (int i = 0; i < n; i++) {
          out[filled + i] = new BlockAddress(run.snId(), run.firstPa() + i);
        }
        filled += n;
        reserve.set(key, run.rest(n));
      }
      return out;
    } catch (RuntimeException e) {
      // The MS refused a WDACG (or is away): the plain take decides, with its retries elsewhere.
      int[] rest = Arrays.copyOfRange(indexes, filled, indexes.length);
      BlockAddress[] more = take(blocks, rest);
      System.arraycopy(more, 0, out, filled, more.length);
      return out;
    }
  }

  /** Puts what {@code reserve} holds back into its pool. */
  void giveBack(Reserve reserve) {
    PaRun left = reserve.clear();
    if (left != null) {
      pool(reserve.pool()).giveBack(left);
    }
  }

  /** Rendezvous hashing: the SN whose mix with the content hash is largest. */
  static int snFor(int[] sns, byte[] blocks, int index) {
    long h = CONTENT_HASH.hashBytes(blocks, index * BLOCK_SIZE_BYTES, BLOCK_SIZE_BYTES).asLong();
    int best = sns[0];
    long bestScore = Long.MIN_VALUE;
    for (int sn : sns) {
      long score = mix(h ^ (sn * 0x9E3779B97F4A7C15L));
      if (score > bestScore) {
        bestScore = score;
        best = sn;
      }
    }
    return best;
  }

  /** SplitMix64's finaliser: every input bit moves every output bit. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private WdacgPool pool(int snId) {
    return pools.computeIfAbsent(snId,
        sn -> new WdacgPool(count -> cluster.allocate(sn, count), executor, clockMs));
  }

  private static boolean refused(RuntimeException e) {
    Throwable cause = Futures.unwrap(e);
    return cause instanceof DvsException d
        && (d.code() == ErrorCode.NODE_DOWN || d.code() == ErrorCode.NO_SPACE);
  }

  /** The SN refused a WDACG: no new blocks go there until the next refresh says otherwise. */
  private synchronized void avoid(int snId, RuntimeException why) {
    LOG.info(() -> "storage node " + snId + " takes no new blocks for now: "
        + Futures.unwrap(why).getMessage());
    targets = Arrays.stream(targets).filter(sn -> sn != snId).toArray();
  }
}
