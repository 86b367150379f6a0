package io.dvs.client.net;

import io.dvs.protocol.Opcode;
import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.JournalGroup;
import io.dvs.protocol.message.MetadataOps;
import io.dvs.protocol.message.NodeOps;
import io.dvs.protocol.message.VolumeOps;
import io.dvs.protocol.message.Wdacg;
import io.dvs.protocol.rpc.RpcClient;
import java.net.InetSocketAddress;
import java.util.List;

/** Typed calls to the metadata server. One connection, many requests in flight. */
public final class MetaClient implements AutoCloseable {
  /** An MS answers from memory or after one commit; 30 s means it is gone. */
  public static final long TIMEOUT_MS = 30_000;

  private final RpcClient rpc;

  public MetaClient(InetSocketAddress address) {
    this.rpc = new RpcClient("metadata server", address, TIMEOUT_MS);
  }

  public InetSocketAddress address() {
    return rpc.address();
  }

  public VolumeOps.Mounted mount(String volume, String clientId, boolean createIfMissing) {
    return VolumeOps.Mounted.decode(rpc.call(Opcode.MOUNT_VOLUME,
        new VolumeOps.MountVolume(volume, clientId, createIfMissing).encode()));
  }

  public void unmount(long volumeId, long epoch) {
    rpc.call(Opcode.UNMOUNT_VOLUME, new VolumeOps.LeaseRef(volumeId, epoch).encode());
  }

  public void renewLease(long volumeId, long epoch) {
    rpc.call(Opcode.RENEW_LEASE, new VolumeOps.LeaseRef(volumeId, epoch).encode());
  }

  public VolumeOps.VolumeInfo createVolume(String name, long sizeBytes) {
    return VolumeOps.VolumeInfo.decode(
        rpc.call(Opcode.CREATE_VOLUME, new VolumeOps.CreateVolume(name, sizeBytes).encode()));
  }

  public List<VolumeOps.VolumeInfo> listVolumes() {
    return VolumeOps.decodeVolumeList(rpc.call(Opcode.LIST_VOLUMES, new byte[0]));
  }

  /** VOLUME_STAT: size, inodes, mapped blocks, PAs held, and the MS-wide PA use. */
  public io.dvs.protocol.message.VolumeStat volumeStat(String name) {
    return io.dvs.protocol.message.VolumeStat.decode(
        rpc.call(Opcode.VOLUME_STAT, VolumeOps.encodeName(name)));
  }

  public void deleteVolume(String name) {
    rpc.call(Opcode.DELETE_VOLUME, VolumeOps.encodeName(name));
  }

  public List<NodeOps.NodeInfo> listNodes() {
    return NodeOps.decodeNodeList(rpc.call(Opcode.LIST_NODES, new byte[0]));
  }

  public MetadataOps.StoredInode getInode(long volumeId, long epoch, long ino) {
    return MetadataOps.StoredInode.decode(
        rpc.call(Opcode.GET_INODE, new MetadataOps.GetInode(volumeId, epoch, ino).encode()));
  }

  public MetadataOps.DirPage listDir(long volumeId, long epoch, long dirIno, String afterName,
      int maxEntries) {
    return MetadataOps.DirPage.decode(rpc.call(Opcode.LIST_DIR,
        new MetadataOps.ListDir(volumeId, epoch, dirIno, afterName, maxEntries).encode()));
  }

  public MetadataOps.LptPage getLpt(long volumeId, long epoch, long ino, long fromBlock,
      int maxEntries) {
    return MetadataOps.LptPage.decode(rpc.call(Opcode.GET_LPT,
        new MetadataOps.GetLpt(volumeId, epoch, ino, fromBlock, maxEntries).encode()));
  }

  /** GET_XATTRS: the inode's extended attributes (request body as GET_INODE). */
  public io.dvs.protocol.message.Xattrs getXattrs(long volumeId, long epoch, long ino) {
    return io.dvs.protocol.message.Xattrs.decode(
        rpc.call(Opcode.GET_XATTRS, new MetadataOps.GetInode(volumeId, epoch, ino).encode()));
  }

  /** A WDACG on SN {@code snId}, or on the SN the MS picks for {@link Wdacg.Alloc#ANY_SN}. */
  public Wdacg allocWdacg(long volumeId, long epoch, int count, int snId) {
    return Wdacg.decode(
        rpc.call(Opcode.ALLOC_WDACG, new Wdacg.Alloc(volumeId, epoch, count, snId).encode()));
  }

  public void applyJournal(JournalGroup group) {
    rpc.call(Opcode.APPLY_JOURNAL, group.encode());
  }

  @Override
  public void close() {
    rpc.close();
  }
}
