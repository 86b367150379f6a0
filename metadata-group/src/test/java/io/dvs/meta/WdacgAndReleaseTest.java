package io.dvs.meta;

import static io.dvs.meta.Ms.expectError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Opcode;
import io.dvs.protocol.message.BlockOps;
import io.dvs.protocol.message.JournalRecord.MapBlocks;
import io.dvs.protocol.message.JournalRecord.PutInode;
import io.dvs.protocol.message.JournalRecord.UnmapBlocks;
import io.dvs.protocol.message.LptExtent;
import io.dvs.protocol.message.NodeOps;
import io.dvs.protocol.message.VolumeOps;
import io.dvs.protocol.message.Wdacg;
import io.dvs.protocol.rpc.RpcServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SNMM, WDACG placement by min UR (paper 1, 3.4) and space reclaim through a fake SN. */
class WdacgAndReleaseTest {
  /**
   * A storage node that only records RELEASE_BLOCKS, and can be told to fail them, or to restart
   * (a new boot id) just before the next FLUSH.
   */
  static final class FakeSn implements AutoCloseable {
    final List<long[]> released = new CopyOnWriteArrayList<>();
    volatile boolean failing;
    volatile boolean restartBeforeFlush;
    volatile long boot = 1;
    final RpcServer server = RpcServer.start("fake-sn", new InetSocketAddress("127.0.0.1", 0),
        frame -> {
          if (frame.opcode() == Opcode.FLUSH) {
            if (restartBeforeFlush) {
              restartBeforeFlush = false;
              boot++;
            }
            // The releaser makes each release durable before reuse.
            return BlockOps.BootId.encode(boot);
          }
          if (frame.opcode() != Opcode.RELEASE_BLOCKS) {
            throw new DvsException(ErrorCode.UNKNOWN_OPCODE, "fake SN");
          }
          if (failing) {
            throw new DvsException(ErrorCode.IO_ERROR, "fake SN failing");
          }
          released.add(BlockOps.ReleaseBlocks.decode(frame.body()).pas());
          return BlockOps.BootId.encode(boot);
        }, 1);

    int port() {
      return server.address().getPort();
    }

    @Override
    public void close() {
      server.close();
    }
  }

  @TempDir Path dir;
  Ms ms;
  FakeSn sn;

  @BeforeEach
  void start() {
    ms = new Ms(dir);
    sn = new FakeSn();
  }

  @AfterEach
  void stop() {
    ms.close();
    sn.close();
  }

  @Test
  void wdacgComesFromTheUpNodeWithLowestUtilization() {
    VolumeOps.Mounted m = ms.mount("vol", "client-a");
    expectError(ErrorCode.NODE_DOWN, () -> ms.wdacg(m, 8));
    int busy = ms.register("sn-busy", 7001, Ms.stats(1000, 900));
    int idle = ms.register("sn-idle", 7002, Ms.stats(1000, 100));
    int mid = ms.register("sn-mid", 7003, Ms.stats(1000, 500));
    assertEquals(idle, ms.wdacg(m, 8).snId());

    // The idle SN stops heartbeating: it is down and gets nothing; the next lowest UR does.
    ms.clock.advanceMs(Ms.NODE_DOWN_AFTER_MS - 1000);
    ms.heartbeat(busy, Ms.stats(1000, 900));
    ms.heartbeat(mid, Ms.stats(1000, 500));
    ms.clock.advanceMs(1001);
    assertEquals(mid, ms.wdacg(m, 8).snId());
    List<NodeOps.NodeInfo> nodes = NodeOps.decodeNodeList(ms.call(Opcode.LIST_NODES, new byte[0]));
    assertEquals(List.of(true, false, true), nodes.stream().map(NodeOps.NodeInfo::up).toList());

    // It heartbeats again: up, and now UR ordering changes with the stats it reports.
    ms.heartbeat(idle, Ms.stats(1000, 10));
    ms.heartbeat(mid, Ms.stats(1000, 950));
    assertEquals(idle, ms.wdacg(m, 8).snId());

    // A client placing blocks by content asks for one SN: it gets that SN, whatever its UR,
    // and a clear NODE_DOWN for an SN that is down or unknown.
    assertEquals(busy, ms.wdacg(m, 8, busy).snId());
    ms.clock.advanceMs(Ms.NODE_DOWN_AFTER_MS + 1);
    ms.heartbeat(idle, Ms.stats(1000, 10));
    expectError(ErrorCode.NODE_DOWN, () -> ms.wdacg(m, 8, busy));
    expectError(ErrorCode.NODE_DOWN, () -> ms.wdacg(m, 8, 99));
    assertEquals(idle, ms.wdacg(m, 8, idle).snId());

    // Re-registration keeps the id; an unknown id in HEARTBEAT is NOT_FOUND.
    assertEquals(busy, ms.register("sn-busy", 7009, Ms.stats(1000, 0)));
    expectError(ErrorCode.NOT_FOUND, () -> ms.heartbeat(99, Ms.stats(1, 0)));
    ms.restart();
    assertEquals(mid, ms.register("sn-mid", 7003, Ms.stats(1000, 500)));
    assertEquals(4, ms.register("sn-new", 7004, Ms.stats(1000, 500)));
  }

  @Test
  void paRangesAreNeverHandedOutTwice() {
    int snId = ms.register("sn", sn.port(), Ms.stats(1000, 0));
    VolumeOps.Mounted m = ms.mount("vol", "client-a");
    Set<Long> seen = new HashSet<>();
    for (int count : new int[] {1, 7, 64, 1000, 3, 65_536}) {
      Wdacg w = ms.wdacg(m, count);
      assertEquals(count, w.blockCount());
      for (int r = 0; r < w.paStarts().length; r++) {
        for (long pa = w.paStarts()[r]; pa < w.paStarts()[r] + w.counts()[r]; pa++) {
          assertTrue(seen.add(pa), "PA " + pa + " handed out twice");
        }
      }
    }
    ms.restart();
    expectError(ErrorCode.NODE_DOWN, () -> ms.wdacg(ms.mount("vol", "client-a"), 5));
    ms.heartbeat(snId, Ms.stats(1000, 0)); // After an MS restart an SN is up once it speaks.
    m = ms.mount("vol", "client-a");
    Wdacg after = ms.wdacg(m, 5);
    assertFalse(seen.contains(after.paStarts()[0]), "restart forgot used PAs");
  }

  @Test
  void releasedPasComeBackOnlyAfterTheSnAcknowledged() throws Exception {
    int snId = ms.register("sn", sn.port(), Ms.stats(1000, 0));
    VolumeOps.Mounted m = mountWithFile2(snId, 10);

    sn.failing = true;
    ms.apply(m, 2, List.of(new UnmapBlocks(2, new long[] {0, 1, 2, 3, 4})));
    Thread.sleep(300); // Several releaser ticks against a failing SN.
    Wdacg meanwhile = ms.wdacg(m, 5);
    assertEquals(10, meanwhile.paStarts()[0], "PAs reused before the SN acknowledged release");

    sn.failing = false;
    ms.clock.advanceMs(60_000); // Past any backoff (the SN stays up: heartbeat).
    ms.heartbeat(snId, Ms.stats(1000, 0));
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (sn.released.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(1, sn.released.size());
    assertTrue(java.util.Arrays.equals(new long[] {0, 1, 2, 3, 4}, sn.released.get(0)));
    assertEquals(0, awaitPa0Reused(m, 5, deadline),
        "released PAs come back to the free PA space");
  }

  @Test
  void aReleaseTheSnMayHaveLostInARestartIsSentAgainBeforeItsPasComeBack() throws Exception {
    int snId = ms.register("sn", sn.port(), Ms.stats(1000, 0));
    VolumeOps.Mounted m = mountWithFile2(snId, 4);

    sn.restartBeforeFlush = true; // RELEASE_BLOCKS answered by one boot, FLUSH by the next
    ms.apply(m, 2, List.of(new UnmapBlocks(2, new long[] {0, 1, 2, 3})));
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (sn.released.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(4, ms.wdacg(m, 4).paStarts()[0], "PAs reused after a release the SN lost");

    ms.clock.advanceMs(60_000); // Past the backoff (the SN stays up: heartbeat).
    ms.heartbeat(snId, Ms.stats(1000, 0));
    assertEquals(0, awaitPa0Reused(m, 4, deadline),
        "released again, then back to the free PA space");
    assertEquals(2, sn.released.size(), "the release went to the SN once per boot");
  }

  @Test
  void deletingAVolumeReleasesAllItsPas() throws Exception {
    int snId = ms.register("sn", sn.port(), Ms.stats(1000, 0));
    VolumeOps.Mounted m = ms.mount("vol", "client-a");
    Wdacg w = ms.wdacg(m, 3);
    ms.apply(m, 1, List.of(new PutInode(Ms.file(2)), new MapBlocks(2, List.of(
        new LptExtent(0, snId, w.paStarts()[0]), new LptExtent(9, snId, w.paStarts()[0] + 2)))));
    ms.call(Opcode.UNMOUNT_VOLUME,
        new VolumeOps.LeaseRef(m.volume().volumeId(), m.epoch()).encode());
    ms.call(Opcode.DELETE_VOLUME, VolumeOps.encodeName("vol"));
    // Mapped PAs 0 and 2 go with the volume; PA 1, handed out but never mapped, went back when
    // the lease ended at unmount.
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (releasedPas().size() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(Set.of(0L, 1L, 2L), releasedPas());
  }

  /** Mounts "vol" and maps blocks 0..count-1 of file 2 to PAs 0..count-1 of {@code snId}. */
  private VolumeOps.Mounted mountWithFile2(int snId, int count) throws Exception {
    VolumeOps.Mounted m = ms.mount("vol", "client-a");
    assertEquals(0, ms.wdacg(m, count).paStarts()[0]);
    List<LptExtent> rows = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      rows.add(new LptExtent(i, snId, i));
    }
    ms.apply(m, 1, List.of(new PutInode(Ms.file(2)), new MapBlocks(2, rows)));
    return m;
  }

  /** Takes WDACGs of {@code count} until one starts at PA 0 (or the deadline); its start. */
  private long awaitPa0Reused(VolumeOps.Mounted m, int count, long deadlineNanos)
      throws Exception {
    Wdacg reused = ms.wdacg(m, count);
    while (reused.paStarts()[0] != 0 && System.nanoTime() < deadlineNanos) {
      Thread.sleep(20);
      reused = ms.wdacg(m, count);
    }
    return reused.paStarts()[0];
  }

  private Set<Long> releasedPas() {
    Set<Long> all = new HashSet<>();
    for (long[] batch : sn.released) {
      for (long pa : batch) {
        all.add(pa);
      }
    }
    return all;
  }
}
