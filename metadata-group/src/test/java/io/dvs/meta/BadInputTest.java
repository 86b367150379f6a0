package io.dvs.meta;

import static io.dvs.meta.Ms.expectError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Opcode;
import io.dvs.protocol.message.JournalRecord.MapBlocks;
import io.dvs.protocol.message.JournalRecord.PutDirent;
import io.dvs.protocol.message.JournalRecord.PutInode;
import io.dvs.protocol.message.JournalRecord.UnmapBlocks;
import io.dvs.protocol.message.LptExtent;
import io.dvs.protocol.message.VolumeOps;
import io.dvs.protocol.message.VolumeStat;
import io.dvs.protocol.message.Wdacg;
import io.dvs.protocol.rpc.RpcServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad inputs, each answered with a clear typed error while the MS keeps serving and
 * never applies part of a group: unknown volume, bad volume names, a lease held elsewhere, a
 * journal gap, a stale epoch, and an SN that answers the releaser with garbage.
 */
class BadInputTest {
  @TempDir Path dir;
  Ms ms;

  @BeforeEach
  void start() {
    ms = new Ms(dir);
  }

  @AfterEach
  void stop() {
    ms.close();
  }

  private void stillServing() {
    assertTrue(VolumeOps.decodeVolumeList(ms.call(Opcode.LIST_VOLUMES, new byte[0])).size() >= 0);
  }

  @Test
  void volumeNamesAndUnknownVolumes() {
    DvsException unknown = expectError(ErrorCode.NOT_FOUND,
        () -> ms.call(Opcode.VOLUME_STAT, VolumeOps.encodeName("nope")));
    assertTrue(unknown.getMessage().contains("'nope' does not exist"), unknown.getMessage());
    expectError(ErrorCode.NOT_FOUND, () -> ms.call(Opcode.MOUNT_VOLUME,
        new VolumeOps.MountVolume("nope", "c", false).encode()));
    DvsException slash = expectError(ErrorCode.INVALID_ARGUMENT, () -> ms.call(
        Opcode.CREATE_VOLUME, new VolumeOps.CreateVolume("a/b", 0).encode()));
    assertTrue(slash.getMessage().contains("'/'"), slash.getMessage());
    String longName = "x".repeat(300);
    for (Opcode op : List.of(Opcode.CREATE_VOLUME, Opcode.VOLUME_STAT, Opcode.DELETE_VOLUME)) {
      byte[] body = op == Opcode.CREATE_VOLUME
          ? new VolumeOps.CreateVolume(longName, 0).encode() : VolumeOps.encodeName(longName);
      DvsException e = assertThrowsTyped(() -> ms.call(op, body));
      assertTrue(e.getMessage().contains("300"), op + ": " + e.getMessage());
    }
    stillServing();
  }

  /** A 300-byte name is refused by the decoder (BAD_REQUEST) or the name rule (INVALID_ARGUMENT). */
  private static DvsException assertThrowsTyped(org.junit.jupiter.api.function.Executable call) {
    DvsException e = org.junit.jupiter.api.Assertions.assertThrows(DvsException.class, call);
    assertTrue(e.code() == ErrorCode.BAD_REQUEST || e.code() == ErrorCode.INVALID_ARGUMENT,
        e.code() + ": " + e.getMessage());
    return e;
  }

  @Test
  void leaseGapAndEpochErrorsLeaveTheVolumeUntouched() {
    int snId = ms.register("sn", 9, Ms.stats(1000, 0));
    VolumeOps.Mounted a = ms.mount("vol", "client-a");
    DvsException held = expectError(ErrorCode.LEASE_HELD, () -> ms.mount("vol", "client-b"));
    assertTrue(held.getMessage().contains("client-a"), held.getMessage());

    Wdacg w = ms.wdacg(a, 4);
    List<LptExtent> rows = List.of(new LptExtent(0, snId, w.paStarts()[0]));
    ms.apply(a, 1, List.of(new PutInode(Ms.file(2)), new MapBlocks(2, rows)));
    expectError(ErrorCode.JOURNAL_GAP, () -> ms.apply(a, 3, List.of(new PutInode(Ms.file(3)))));
    // A group whose last record is bad is refused whole: inode 3 and the dirent never appear.
    expectError(ErrorCode.BAD_REQUEST, () -> ms.apply(a, 2, List.of(new PutInode(Ms.file(3)),
        new PutDirent(1, "f", 3), new PutDirent(99, "g", 3))));
    expectError(ErrorCode.NOT_FOUND, () -> ms.inode(a, 3));
    assertTrue(ms.listDir(a, 1, "", 10).entries().isEmpty());

    VolumeOps.Mounted again = ms.mount("vol", "client-a"); // a new epoch
    DvsException stale = expectError(ErrorCode.STALE_EPOCH,
        () -> ms.apply(a, 2, List.of(new PutInode(Ms.file(3)))));
    assertTrue(stale.getMessage().contains("epoch " + a.epoch()), stale.getMessage());
    VolumeStat stat = VolumeStat.decode(ms.call(Opcode.VOLUME_STAT, VolumeOps.encodeName("vol")));
    assertEquals(1, stat.volume().mappedBlocks());
    assertEquals(2, stat.volume().inodes());
    ms.apply(again, 2, List.of(new PutInode(Ms.file(3))));
    stillServing();
  }

  @Test
  void anSnAnsweringGarbageKeepsItsPasQueuedAndTheMsServing() throws Exception {
    AtomicInteger releases = new AtomicInteger();
    RpcServer garbage = RpcServer.start("garbage-sn", new InetSocketAddress("127.0.0.1", 0),
        frame -> {
          releases.incrementAndGet();
          return new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef};
        }, 1);
    try {
      int snId = ms.register("sn", garbage.address().getPort(), Ms.stats(1000, 0));
      VolumeOps.Mounted m = ms.mount("vol", "client-a");
      Wdacg w = ms.wdacg(m, 2);
      ms.apply(m, 1, List.of(new PutInode(Ms.file(2)),
          new MapBlocks(2, List.of(new LptExtent(0, snId, w.paStarts()[0])))));
      ms.apply(m, 2, List.of(new UnmapBlocks(2, new long[] {0})));
      // A second attempt proves the releaser saw the garbage, kept the PA and came back for it,
      // rather than that too little time had passed for it to try again. Its backoff runs on
      // the MS's manual clock, so move that clock on (the SN heartbeating, so it stays up)
      // until the retry comes: the backoff is set only after the first answer arrives.
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (releases.get() < 2 && System.nanoTime() < deadline) {
        ms.heartbeat(snId, Ms.stats(1000, 0));
        ms.clock.advanceMs(100);
        Thread.sleep(20);
      }
      assertTrue(releases.get() >= 2, "release attempts: " + releases.get() + " (expected: 2)");
      VolumeStat stat = VolumeStat.decode(ms.call(Opcode.VOLUME_STAT,
          VolumeOps.encodeName("vol")));
      assertEquals(1, stat.msPasReleasing(), "not trusted: the PA stays queued");
      assertEquals(2, stat.msPasInUse(), "and is not handed out again");
      assertEquals(1, stat.leasedPas());
      Wdacg next = ms.wdacg(m, 1);
      assertTrue(next.paStarts()[0] != w.paStarts()[0], "the released PA is not reused");
      stillServing();
    } finally {
      garbage.close();
    }
  }
}
