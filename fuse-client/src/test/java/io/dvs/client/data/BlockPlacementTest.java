package io.dvs.client.data;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.message.NodeOps.NodeInfo;
import io.dvs.protocol.message.NodeStats;
import io.dvs.protocol.message.Wdacg;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BlockPlacementTest {
  /** An MS with SNs 1..3; each hands out PAs from its own counter; some may refuse. */
  private static final class FakeCluster implements BlockPlacement.Cluster {
    final List<NodeInfo> nodes = new ArrayList<>();
    final Map<Integer, Long> nextPa = new HashMap<>();
    final Set<Integer> refusing = new HashSet<>();
    final List<Integer> asked = new ArrayList<>();

    FakeCluster add(int snId, boolean up, long usedOf1000) {
      nodes.add(new NodeInfo(snId, "uuid-" + snId, "127.0.0.1", 7000 + snId, up,
          new NodeStats(1000, usedOf1000, 0, 0, 0, 0, 0, 0, 0)));
      return this;
    }

    @Override
    public List<NodeInfo> nodes() {
      return nodes;
    }

    @Override
    public synchronized Wdacg allocate(int snId, int count) {
      asked.add(snId);
      if (refusing.contains(snId)) {
        throw new DvsException(ErrorCode.NO_SPACE, "SN " + snId + " is full");
      }
      int sn = snId == Wdacg.Alloc.ANY_SN ? 1 : snId;
      long first = nextPa.merge(sn, (long) count, Long::sum) - count;
      return new Wdacg(sn, new long[] {first}, new int[] {count});
    }
  }

  private static BlockPlacement placement(FakeCluster cluster) {
    BlockPlacement p = new BlockPlacement(cluster, Runnable::run, System::currentTimeMillis);
    p.refresh();
    return p;
  }

  private static byte[] randomBlocks(int count, long seed) {
    byte[] blocks = new byte[count * BLOCK_SIZE_BYTES];
    new Random(seed).nextBytes(blocks);
    return blocks;
  }

  private static int[] all(int count) {
    return IntStream.range(0, count).toArray();
  }

  @Test
  void equalContentMeetsOnOneSnAndLoadSpreads() {
    BlockPlacement p = placement(new FakeCluster().add(1, true, 0).add(2, true, 0)
        .add(3, true, 900));
    byte[] blocks = randomBlocks(3000, 1);
    BlockAddress[] first = p.take(blocks, all(3000));
    BlockAddress[] again = p.take(blocks, all(3000));
    Map<Integer, Integer> perSn = new HashMap<>();
    for (int i = 0; i < first.length; i++) {
      assertEquals(first[i].snId(), again[i].snId(), "block " + i + " moved");
      perSn.merge(first[i].snId(), 1, Integer::sum);
    }
    assertEquals(Set.of(1, 2, 3), perSn.keySet());
    perSn.values().forEach(n -> assertTrue(n > 800 && n < 1200, "uneven: " + perSn));
    assertEquals(Set.of(first.length * 2), Set.of((int) java.util.Arrays.stream(first)
        .map(a -> a.snId() + ":" + a.pa()).distinct().count() * 2), "a PA went out twice");
  }

  @Test
  void downAndFullSnsTakeNoNewBlocks() {
    FakeCluster cluster = new FakeCluster().add(1, true, 100).add(2, false, 0)
        .add(3, true, 960);
    BlockPlacement p = placement(cluster);
    assertArrayEquals(new int[] {1}, p.targets());
    for (BlockAddress a : p.take(randomBlocks(100, 2), all(100))) {
      assertEquals(1, a.snId());
    }
  }

  @Test
  void anSnThatRefusesIsLeftOutUntilTheNextRefresh() {
    FakeCluster cluster = new FakeCluster().add(1, true, 0).add(2, true, 0);
    BlockPlacement p = placement(cluster);
    cluster.refusing.add(2);
    for (BlockAddress a : p.take(randomBlocks(200, 3), all(200))) {
      assertEquals(1, a.snId());
    }
    assertArrayEquals(new int[] {1}, p.targets());
    cluster.refusing.clear();
    p.refresh();
    assertArrayEquals(new int[] {1, 2}, p.targets());

    // With every SN refusing (and no PAs left in hand) the writer hears NO_SPACE.
    FakeCluster full = new FakeCluster().add(1, true, 0).add(2, true, 0);
    full.refusing.addAll(List.of(1, 2, Wdacg.Alloc.ANY_SN));
    BlockPlacement none = placement(full);
    DvsException e = assertThrows(DvsException.class,
        () -> none.take(randomBlocks(10, 4), all(10)));
    assertEquals(ErrorCode.NO_SPACE, e.code());
  }

  @Test
  void withNoSnKnownTheMsPicks() {
    FakeCluster cluster = new FakeCluster();
    BlockPlacement p = placement(cluster);
    assertEquals(1, p.take(randomBlocks(4, 5), all(4))[0].snId());
    assertEquals(List.of(Wdacg.Alloc.ANY_SN), cluster.asked);
  }

  /** PAs of a take, in order. */
  private static long[] pas(BlockAddress[] taken) {
    return java.util.Arrays.stream(taken).mapToLong(BlockAddress::pa).toArray();
  }

  private static boolean consecutive(long[] pas) {
    for (int i = 1; i < pas.length; i++) {
      if (pas[i] != pas[i - 1] + 1) {
        return false;
      }
    }
    return true;
  }

  @Test
  void filesWrittenTogetherEachGetConsecutivePasFromTheirReserve() {
    BlockPlacement p = placement(new FakeCluster().add(1, true, 0));
    Reserve a = new Reserve();
    Reserve b = new Reserve();
    List<Long> aPas = new ArrayList<>();
    List<Long> bPas = new ArrayList<>();
    for (int round = 0; round < 8; round++) { // 32-block requests in turn, as 4 fio jobs send
      for (long pa : pas(p.take(randomBlocks(32, round), all(32), a))) {
        aPas.add(pa);
      }
      for (long pa : pas(p.take(randomBlocks(32, 100 + round), all(32), b))) {
        bPas.add(pa);
      }
    }
    assertTrue(consecutive(aPas.stream().mapToLong(Long::longValue).toArray()), "a: " + aPas);
    assertTrue(consecutive(bPas.stream().mapToLong(Long::longValue).toArray()), "b: " + bPas);
    Set<Long> all = new HashSet<>(aPas);
    bPas.forEach(pa -> assertTrue(all.add(pa), "PA " + pa + " given twice"));
  }

  @Test
  void whatAReserveHoldsGoesBackAndIsTakenFirst() {
    BlockPlacement p = placement(new FakeCluster().add(1, true, 0));
    Reserve r = new Reserve();
    long first = p.take(randomBlocks(1, 1), all(1), r)[0].pa();
    assertEquals(Reserve.BLOCKS - 1, r.run().count(), "the rest of the run is set aside");
    p.giveBack(r);
    assertEquals(null, r.run());
    BlockAddress next = p.take(randomBlocks(1, 2), all(1))[0];
    assertEquals(first + 1, next.pa(), "the returned PAs come first");
  }

  @Test
  void withSeveralSnsContentDecidesAndTheReserveIsNotUsed() {
    BlockPlacement p = placement(new FakeCluster().add(1, true, 0).add(2, true, 0));
    Reserve r = new Reserve();
    byte[] blocks = randomBlocks(200, 3);
    BlockAddress[] plain = placement(new FakeCluster().add(1, true, 0).add(2, true, 0))
        .take(blocks, all(200));
    BlockAddress[] viaReserve = p.take(blocks, all(200), r);
    for (int i = 0; i < 200; i++) {
      assertEquals(plain[i].snId(), viaReserve[i].snId(), "block " + i);
    }
    assertEquals(null, r.run());
  }

  @Test
  void aReserveThatCannotBeFilledFallsBackToThePlainTake() {
    FakeCluster cluster = new FakeCluster().add(1, true, 0);
    BlockPlacement p = placement(cluster);
    cluster.refusing.add(1); // SN 1 full: the plain take leaves it and asks the MS for any SN
    BlockAddress[] taken = p.take(randomBlocks(4, 4), all(4), new Reserve());
    assertEquals(4, taken.length);
    assertTrue(cluster.asked.contains(Wdacg.Alloc.ANY_SN), "asked: " + cluster.asked);
  }
}
