package io.dvs.meta;

import static io.dvs.meta.Ms.expectError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.meta.WdacgAndReleaseTest.FakeSn;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Opcode;
import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.JournalRecord.MapBlocks;
import io.dvs.protocol.message.JournalRecord.PutInode;
import io.dvs.protocol.message.LptExtent;
import io.dvs.protocol.message.VolumeOps;
import io.dvs.protocol.message.VolumeStat;
import io.dvs.protocol.message.Wdacg;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WDACG PAs a lease holds but never maps come back when the lease ends — by expiry, by a new
 * epoch taking over, by unmount — and only those: mapped PAs stay with their LPT rows.
 */
class LeaseReclaimTest {
  /** Real time for the reaper (1 s scans) and the releaser (100 ms ticks) to act. */
  static final long WAIT_MS = 10_000;

  @TempDir Path dir;
  Ms ms;
  FakeSn sn;
  int snId;

  @BeforeEach
  void start() {
    ms = new Ms(dir);
    sn = new FakeSn();
    snId = ms.register("sn", sn.port(), Ms.stats(1000, 0));
  }

  @AfterEach
  void stop() {
    ms.close();
    sn.close();
  }

  /** Takes a WDACG of 10 PAs and maps the first 4 of them to inode 2. */
  private Wdacg takeAndMapFour(VolumeOps.Mounted m) {
    Wdacg w = ms.wdacg(m, 10);
    long first = w.paStarts()[0];
    List<LptExtent> rows = List.of(new LptExtent(0, snId, first), new LptExtent(1, snId, first + 1),
        new LptExtent(2, snId, first + 2), new LptExtent(3, snId, first + 3));
    ms.apply(m, m.lastAppliedSeq() + 1, List.of(new PutInode(Ms.file(2)), new MapBlocks(2, rows)));
    return w;
  }

  private VolumeStat stat() {
    return VolumeStat.decode(ms.call(Opcode.VOLUME_STAT, VolumeOps.encodeName("vol")));
  }

  private Set<Long> released() {
    Set<Long> all = new HashSet<>();
    sn.released.forEach(batch -> {
      for (long pa : batch) {
        all.add(pa);
      }
    });
    return all;
  }

  private static void await(String what, BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + WAIT_MS * 1_000_000;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  @Test
  void anExpiredLeaseGivesBackItsUnmappedPasAndOnlyThose() throws Exception {
    VolumeOps.Mounted m = ms.mount("vol", "client-a");
    long before = stat().msPasInUse();
    Wdacg w = takeAndMapFour(m);
    VolumeStat held = stat();
    assertEquals(6, held.leasedPas(), "10 handed out, 4 mapped");
    assertEquals(10, held.pasInUse());
    assertEquals(before + 10, held.msPasInUse());

    // The client dies: no unmount, no renewal. The SN keeps heartbeating.
    ms.clock.advanceMs(Ms.LEASE_TIMEOUT_MS + 1);
    ms.heartbeat(snId, Ms.stats(1000, 0));
    await("the reaper and the releaser", () -> released().size() == 6
        && stat().msPasInUse() == before + 4);
    long first = w.paStarts()[0];
    assertEquals(Set.of(first + 4, first + 5, first + 6, first + 7, first + 8, first + 9),
        released());
    VolumeStat after = stat();
    assertEquals("", after.leaseHolder(), "the expired lease ended");
    assertEquals(0, after.leasedPas());
    assertEquals(4, after.volume().mappedBlocks(), "mapped PAs stay with the LPT");
    expectError(ErrorCode.STALE_EPOCH, () -> ms.inode(m, InodeAttrs.ROOT_INO));
  }

  @Test
  void aNewEpochTakingOverReclaimsTheOldLeasesPas() throws Exception {
    VolumeOps.Mounted a = ms.mount("vol", "client-a");
    takeAndMapFour(a);
    // The same client comes back (crashed and restarted) before the reaper noticed anything.
    VolumeOps.Mounted again = ms.mount("vol", "client-a");
    assertEquals(a.epoch() + 1, again.epoch());
    assertEquals(0, stat().leasedPas());
    await("release of 6 PAs", () -> released().size() == 6);
  }

  @Test
  void unmountReturnsTheUnusedPas() throws Exception {
    VolumeOps.Mounted m = ms.mount("vol", "client-a");
    long before = stat().msPasInUse();
    takeAndMapFour(m);
    ms.call(Opcode.UNMOUNT_VOLUME, new VolumeOps.LeaseRef(m.volume().volumeId(), m.epoch())
        .encode());
    await("PA use back to mapped only", () -> stat().msPasInUse() == before + 4);
    assertEquals(6, released().size());
  }

  @Test
  void theLeaseRecordSurvivesAnMsRestart() throws Exception {
    VolumeOps.Mounted m = ms.mount("vol", "client-a");
    takeAndMapFour(m);
    ms.restart();
    ms.heartbeat(snId, Ms.stats(1000, 0));
    assertEquals(6, stat().leasedPas());
    // The holder keeps its epoch across the restart...
    ms.inode(m, InodeAttrs.ROOT_INO);
    // ...and when it goes silent, its lease ends and its unmapped PAs come back.
    ms.clock.advanceMs(Ms.LEASE_TIMEOUT_MS + 1);
    ms.heartbeat(snId, Ms.stats(1000, 0));
    await("release after restart", () -> released().size() == 6);
    assertTrue(stat().leaseHolder().isEmpty());
  }

  @Test
  void anMsPrivateToOneProcessEndsTheLeasesOfItsEarlierRunAtOnce() throws Exception {
    VolumeOps.Mounted m = ms.mount("vol", "client-a");
    takeAndMapFour(m);
    ms.restart(); // the embedded cluster's process died with its client
    ms.heartbeat(snId, Ms.stats(1000, 0));
    expectError(ErrorCode.LEASE_HELD, () -> ms.mount("vol", "client-b"));
    assertEquals(1, ms.server.endLeasesOfEarlierRuns());
    assertEquals(0, ms.server.endLeasesOfEarlierRuns(), "none left");
    VolumeOps.Mounted b = ms.mount("vol", "client-b");
    assertEquals(m.epoch() + 1, b.epoch());
    await("release of the 6 unmapped PAs", () -> released().size() == 6);
    assertEquals(4, stat().volume().mappedBlocks(), "mapped PAs stay with the LPT");
  }

  @Test
  void deletingAVolumeReleasesItsLeasedPasToo() throws Exception {
    VolumeOps.Mounted m = ms.mount("vol", "client-a");
    takeAndMapFour(m);
    ms.clock.advanceMs(Ms.LEASE_TIMEOUT_MS + 1);
    ms.heartbeat(snId, Ms.stats(1000, 0));
    ms.call(Opcode.DELETE_VOLUME, VolumeOps.encodeName("vol"));
    await("release of all 10 PAs", () -> released().size() == 10);
  }
}
