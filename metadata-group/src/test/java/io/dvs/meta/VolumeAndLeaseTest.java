package io.dvs.meta;

import static io.dvs.meta.Ms.expectError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Opcode;
import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.VolumeOps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Volumes (SSRDS) and leases through the real server on loopback. */
class VolumeAndLeaseTest {
  @TempDir Path dir;
  Ms ms;

  @BeforeEach
  void start() {
    ms = new Ms(dir);
  }

  @AfterEach
  void stop() {
    if (ms != null) {
      ms.close();
    }
  }

  private VolumeOps.VolumeInfo create(String name, long size) {
    return VolumeOps.VolumeInfo.decode(
        ms.call(Opcode.CREATE_VOLUME, new VolumeOps.CreateVolume(name, size).encode()));
  }

  @Test
  void createListDeleteAndNameRules() {
    VolumeOps.VolumeInfo info = create("vol", 0);
    assertEquals(1L << 50, info.sizeBytes(), "size 0 means 1 PiB");
    assertEquals(1, info.inodes(), "a new volume holds its root");
    expectError(ErrorCode.ALREADY_EXISTS, () -> create("vol", 0));
    for (String bad : List.of("", ".", "..", "a/b", "a\0b", "x".repeat(65))) {
      expectError(ErrorCode.INVALID_ARGUMENT, () -> create(bad, 0));
    }
    expectError(ErrorCode.INVALID_ARGUMENT, () -> create("odd", 4097));
    create("x".repeat(64), 8192);
    List<VolumeOps.VolumeInfo> all =
        VolumeOps.decodeVolumeList(ms.call(Opcode.LIST_VOLUMES, new byte[0]));
    assertEquals(List.of("vol", "x".repeat(64)), all.stream().map(v -> v.name()).toList());
    ms.call(Opcode.DELETE_VOLUME, VolumeOps.encodeName("vol"));
    expectError(ErrorCode.NOT_FOUND,
        () -> ms.call(Opcode.DELETE_VOLUME, VolumeOps.encodeName("vol")));
    assertEquals(1, VolumeOps.decodeVolumeList(ms.call(Opcode.LIST_VOLUMES, new byte[0])).size());
  }

  @Test
  void newVolumeHasRootDirectory() {
    VolumeOps.Mounted m = ms.mount("vol", "client-a");
    assertEquals(1, m.epoch());
    assertEquals(2, m.nextIno());
    assertEquals(0, m.lastAppliedSeq());
    assertEquals(Ms.LEASE_TIMEOUT_MS, m.leaseTimeoutMs());
    InodeAttrs root = ms.inode(m, InodeAttrs.ROOT_INO);
    assertEquals(040755, root.mode());
    assertEquals(2, root.nlink());
    assertEquals(0, root.uid());
    assertEquals(0, root.gid());
    assertEquals(ms.clock.wallNanos(), root.mtimeNs());
    expectError(ErrorCode.NOT_FOUND, () -> ms.inode(m, 99));
  }

  @Test
  void secondClientIsRefusedUntilTheLeaseExpires() {
    VolumeOps.Mounted a = ms.mount("vol", "client-a");
    DvsException held = expectError(ErrorCode.LEASE_HELD, () -> ms.mount("vol", "client-b"));
    assertTrue(held.getMessage().contains("client-a"), held.getMessage());
    expectError(ErrorCode.LEASE_HELD,
        () -> ms.call(Opcode.DELETE_VOLUME, VolumeOps.encodeName("vol")));

    // Any accepted request renews: the holder keeps the lease past one timeout.
    ms.clock.advanceMs(Ms.LEASE_TIMEOUT_MS - 1);
    ms.call(Opcode.RENEW_LEASE, new VolumeOps.LeaseRef(a.volume().volumeId(), a.epoch()).encode());
    ms.clock.advanceMs(Ms.LEASE_TIMEOUT_MS - 1);
    expectError(ErrorCode.LEASE_HELD, () -> ms.mount("vol", "client-b"));

    ms.clock.advanceMs(Ms.LEASE_TIMEOUT_MS + 1);
    VolumeOps.Mounted b = ms.mount("vol", "client-b");
    assertEquals(a.epoch() + 1, b.epoch());
    expectError(ErrorCode.STALE_EPOCH, () -> ms.inode(a, InodeAttrs.ROOT_INO));
    expectError(ErrorCode.STALE_EPOCH, () -> ms.call(Opcode.RENEW_LEASE,
        new VolumeOps.LeaseRef(a.volume().volumeId(), a.epoch()).encode()));
    ms.inode(b, InodeAttrs.ROOT_INO);
  }

  @Test
  void unmountReleasesTheLease() {
    VolumeOps.Mounted a = ms.mount("vol", "client-a");
    ms.call(Opcode.UNMOUNT_VOLUME, new VolumeOps.LeaseRef(a.volume().volumeId(), a.epoch())
        .encode());
    expectError(ErrorCode.STALE_EPOCH, () -> ms.inode(a, InodeAttrs.ROOT_INO));
    VolumeOps.Mounted b = ms.mount("vol", "client-b");
    assertEquals(2, b.epoch());
    expectError(ErrorCode.NOT_FOUND, () -> ms.call(Opcode.RENEW_LEASE,
        new VolumeOps.LeaseRef(999, 1).encode()));
    expectError(ErrorCode.NOT_FOUND, () -> ms.call(Opcode.MOUNT_VOLUME,
        new VolumeOps.MountVolume("nope", "c", false).encode()));
  }

  @Test
  void malformedRequestsGetBadRequestAndTheServerKeepsServing() {
    expectError(ErrorCode.BAD_REQUEST, () -> ms.call(Opcode.APPLY_JOURNAL, new byte[] {1, 2, 3}));
    expectError(ErrorCode.BAD_REQUEST, () -> ms.call(Opcode.MOUNT_VOLUME, new byte[0]));
    expectError(ErrorCode.BAD_REQUEST, () -> ms.call(Opcode.LIST_VOLUMES, new byte[] {7}));
    byte[] hugeCount = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
        0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
    expectError(ErrorCode.BAD_REQUEST, () -> ms.call(Opcode.APPLY_JOURNAL, hugeCount));
    expectError(ErrorCode.UNKNOWN_OPCODE, () -> ms.call(Opcode.READ_BLOCKS, new byte[0]));
    create("still-serving", 0);
  }

  @Test
  void restartKeepsVolumesLeasesAndEpochs() {
    VolumeOps.Mounted a = ms.mount("vol", "client-a");
    ms.apply(a, 1, List.of(new io.dvs.protocol.message.JournalRecord.PutInode(Ms.file(7))));
    ms.restart();
    // The holder is still the holder after a restart, with the same epoch.
    ms.inode(a, 7);
    expectError(ErrorCode.LEASE_HELD, () -> ms.mount("vol", "client-b"));
    VolumeOps.Mounted again = ms.mount("vol", "client-a");
    assertEquals(a.epoch() + 1, again.epoch());
    assertEquals(8, again.nextIno());
    assertEquals(1, again.lastAppliedSeq());
    assertEquals(2, again.volume().inodes());
  }

  @Test
  void corruptStoreRefusesToStart() throws Exception {
    ms.mount("vol", "client-a");
    ms.close();
    Path file = dir.resolve("ms.db");
    byte[] garbage = new byte[4096];
    new java.util.Random(42).nextBytes(garbage);
    Files.write(file, garbage);
    DvsException e = org.junit.jupiter.api.Assertions.assertThrows(DvsException.class,
        () -> new Ms(dir));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertEquals(garbage.length, Files.size(file), "never silently reformatted");
    ms = null;
  }

  @Test
  void unwritableDataDirRefusesToStart() throws Exception {
    Path notADir = dir.resolve("file");
    Files.writeString(notADir, "x");
    DvsException e = org.junit.jupiter.api.Assertions.assertThrows(DvsException.class,
        () -> MetadataServer.start(MetadataServerConfig.of(notADir)));
    assertTrue(e.getMessage().contains(notADir.toString()), e.getMessage());
  }
}
