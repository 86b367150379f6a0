package io.dvs.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Opcode;
import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.JournalGroup;
import io.dvs.protocol.message.JournalRecord;
import io.dvs.protocol.message.MetadataOps;
import io.dvs.protocol.message.NodeOps;
import io.dvs.protocol.message.NodeStats;
import io.dvs.protocol.message.VolumeOps;
import io.dvs.protocol.message.Wdacg;
import io.dvs.protocol.rpc.RpcClient;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.function.Executable;

/** A real MS on loopback with a manual clock, driven through RpcClient like a client would. */
final class Ms implements AutoCloseable {
  static final long LEASE_TIMEOUT_MS = 15_000;
  static final long NODE_DOWN_AFTER_MS = 5_000;

  final Path dir;
  final ManualClock clock;
  MetadataServer server;
  RpcClient rpc;

  Ms(Path dir) {
    this(dir, new ManualClock());
  }

  Ms(Path dir, ManualClock clock) {
    this.dir = dir;
    this.clock = clock;
    start();
  }

  void start() {
    server = MetadataServer.start(MetadataServerConfig.of(dir)
        .withLeaseTimeoutMs(LEASE_TIMEOUT_MS).withNodeDownAfterMs(NODE_DOWN_AFTER_MS), clock);
    rpc = new RpcClient("test MS", server.address(), 10_000);
  }

  void restart() {
    close();
    start();
  }

  byte[] call(Opcode op, byte[] body) {
    return rpc.call(op, body);
  }

  VolumeOps.Mounted mount(String name, String clientId) {
    return VolumeOps.Mounted.decode(call(Opcode.MOUNT_VOLUME,
        new VolumeOps.MountVolume(name, clientId, true).encode()));
  }

  int register(String uuid, int port, NodeStats stats) {
    return NodeOps.decodeSnId(call(Opcode.REGISTER_NODE,
        new NodeOps.RegisterNode(uuid, "127.0.0.1", port, stats).encode()));
  }

  void heartbeat(int snId, NodeStats stats) {
    call(Opcode.HEARTBEAT, new NodeOps.Heartbeat(snId, stats).encode());
  }

  Wdacg wdacg(VolumeOps.Mounted m, int count) {
    return wdacg(m, count, Wdacg.Alloc.ANY_SN);
  }

  Wdacg wdacg(VolumeOps.Mounted m, int count, int snId) {
    return Wdacg.decode(call(Opcode.ALLOC_WDACG,
        new Wdacg.Alloc(m.volume().volumeId(), m.epoch(), count, snId).encode()));
  }

  void apply(VolumeOps.Mounted m, long seq, List<JournalRecord> records) {
    call(Opcode.APPLY_JOURNAL,
        new JournalGroup(m.volume().volumeId(), m.epoch(), seq, records).encode());
  }

  InodeAttrs inode(VolumeOps.Mounted m, long ino) {
    return storedInode(m, ino).attrs();
  }

  MetadataOps.StoredInode storedInode(VolumeOps.Mounted m, long ino) {
    return MetadataOps.StoredInode.decode(call(Opcode.GET_INODE,
        new MetadataOps.GetInode(m.volume().volumeId(), m.epoch(), ino).encode()));
  }

  MetadataOps.LptPage lpt(VolumeOps.Mounted m, long ino, long from, int max) {
    return MetadataOps.LptPage.decode(call(Opcode.GET_LPT,
        new MetadataOps.GetLpt(m.volume().volumeId(), m.epoch(), ino, from, max).encode()));
  }

  MetadataOps.DirPage listDir(VolumeOps.Mounted m, long dir, String after, int max) {
    return MetadataOps.DirPage.decode(call(Opcode.LIST_DIR,
        new MetadataOps.ListDir(m.volume().volumeId(), m.epoch(), dir, after, max).encode()));
  }

  static NodeStats stats(long capacity, long used) {
    return new NodeStats(capacity, used, 0, 0, 0, 0, 0, 0, 0);
  }

  /** The extents as one single-block extent per mapped block: equal however they merge. */
  static java.util.List<io.dvs.protocol.message.LptExtent> blocks(
      java.util.List<io.dvs.protocol.message.LptExtent> extents) {
    java.util.List<io.dvs.protocol.message.LptExtent> blocks = new java.util.ArrayList<>();
    for (io.dvs.protocol.message.LptExtent x : extents) {
      for (long b = x.firstBlock(); b < x.endBlock(); b++) {
        blocks.add(new io.dvs.protocol.message.LptExtent(b, x.snId(), x.paOf(b)));
      }
    }
    return blocks;
  }

  static InodeAttrs file(long ino) {
    return new InodeAttrs(ino, InodeAttrs.S_IFREG | 0644, 1, 0, 0, 0, 0, 1, 1, 1, "");
  }

  static InodeAttrs directory(long ino) {
    return new InodeAttrs(ino, InodeAttrs.S_IFDIR | 0755, 2, 0, 0, 0, 0, 1, 1, 1, "");
  }

  static DvsException expectError(ErrorCode code, Executable call) {
    DvsException e = assertThrows(DvsException.class, call);
    assertEquals(code, e.code(), e.getMessage());
    return e;
  }

  @Override
  public void close() {
    if (rpc != null) {
      rpc.close();
    }
    if (server != null) {
      server.close();
    }
  }
}
