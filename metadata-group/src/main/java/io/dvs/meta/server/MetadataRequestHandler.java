package io.dvs.meta.server;

import io.dvs.meta.snmm.Snmm;
import io.dvs.meta.volume.VolumeService;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Frame;
import io.dvs.protocol.WireReader;
import io.dvs.protocol.message.JournalGroup;
import io.dvs.protocol.message.MetadataOps;
import io.dvs.protocol.message.NodeOps;
import io.dvs.protocol.message.VolumeOps;
import io.dvs.protocol.message.Wdacg;
import io.dvs.protocol.rpc.RequestHandler;

/**
 * The MS's side of the wire: decodes each MS opcode's body, calls the SNMM or the volume
 * service, encodes the answer. Decoding errors are BAD_REQUEST (from {@link WireReader});
 * storage-node opcodes are UNKNOWN_OPCODE here.
 */
public final class MetadataRequestHandler implements RequestHandler {
  private static final byte[] EMPTY = new byte[0];

  private final Snmm snmm;
  private final VolumeService volumes;

  public MetadataRequestHandler(Snmm snmm, VolumeService volumes) {
    this.snmm = snmm;
    this.volumes = volumes;
  }

  @Override
  public byte[] handle(Frame request) {
    byte[] body = request.body();
    switch (request.opcode()) {
      case REGISTER_NODE:
        return NodeOps.encodeSnId(snmm.register(NodeOps.RegisterNode.decode(body)));
      case HEARTBEAT:
        snmm.heartbeat(NodeOps.Heartbeat.decode(body));
        return EMPTY;
      case LIST_NODES:
        expectEmpty(body, "LIST_NODES");
        return NodeOps.encodeNodeList(snmm.list());
      case CREATE_VOLUME:
        return volumes.create(VolumeOps.CreateVolume.decode(body)).encode();
      case LIST_VOLUMES:
        expectEmpty(body, "LIST_VOLUMES");
        return VolumeOps.encodeVolumeList(volumes.list());
      case DELETE_VOLUME:
        volumes.delete(VolumeOps.decodeName(body));
        return EMPTY;
      case MOUNT_VOLUME:
        return volumes.mount(VolumeOps.MountVolume.decode(body)).encode();
      case UNMOUNT_VOLUME:
        volumes.unmount(VolumeOps.LeaseRef.decode(body));
        return EMPTY;
      case RENEW_LEASE:
        volumes.renew(VolumeOps.LeaseRef.decode(body));
        return EMPTY;
      case VOLUME_STAT:
        return volumes.stat(VolumeOps.decodeName(body)).encode();
      case GET_INODE:
        return volumes.getInode(MetadataOps.GetInode.decode(body)).encode();
      case LIST_DIR:
        return volumes.listDir(MetadataOps.ListDir.decode(body)).encode();
      case GET_XATTRS:
        return volumes.getXattrs(MetadataOps.GetInode.decode(body)).encode();
      case GET_LPT:
        return volumes.getLpt(MetadataOps.GetLpt.decode(body)).encode();
      case ALLOC_WDACG:
        return volumes.allocWdacg(Wdacg.Alloc.decode(body)).encode();
      case APPLY_JOURNAL:
        volumes.applyJournal(JournalGroup.decode(body));
        return EMPTY;
      default:
        throw new DvsException(ErrorCode.UNKNOWN_OPCODE,
            request.opcode() + " is a storage-node request; this is a metadata server");
    }
  }

  private static void expectEmpty(byte[] body, String what) {
    new WireReader(body).expectEnd(what);
  }
}
