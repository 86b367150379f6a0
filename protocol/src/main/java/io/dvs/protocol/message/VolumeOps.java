package io.dvs.protocol.message;

import static io.dvs.protocol.ProtocolLimits.TEXT_BYTES_MAX;
import static io.dvs.protocol.ProtocolLimits.VOLUME_NAME_BYTES_MAX;

import io.dvs.protocol.WireReader;
import io.dvs.protocol.WireWriter;
import java.util.ArrayList;
import java.util.List;

/** Volume (SSRDS) messages: create, list, delete, mount with a lease, unmount. */
public final class VolumeOps {
  /** Volumes in one LIST_VOLUMES response. */
  public static final int VOLUMES_MAX = 65_536;

  private VolumeOps() {}

  /** CREATE_VOLUME: {@code string name | u64 sizeBytes}. Response: VolumeInfo. */
  public record CreateVolume(String name, long sizeBytes) {
    public byte[] encode() {
      return new WireWriter(32).string(name).i64(sizeBytes).toByteArray();
    }

    public static CreateVolume decode(byte[] body) {
      WireReader r = new WireReader(body);
      CreateVolume m = new CreateVolume(r.string("name", VOLUME_NAME_BYTES_MAX * 4),
          r.nonNegative("sizeBytes"));
      r.expectEnd("CREATE_VOLUME");
      return m;
    }
  }

  /**
   * {@code u64 volumeId | string name | u64 sizeBytes | u64 inodes | u64 mappedBlocks}.
   *
   * @param mappedBlocks LPT entries: logical blocks that hold data
   */
  public record VolumeInfo(long volumeId, String name, long sizeBytes, long inodes,
      long mappedBlocks) {
    public void writeTo(WireWriter w) {
      w.i64(volumeId).string(name).i64(sizeBytes).i64(inodes).i64(mappedBlocks);
    }

    public static VolumeInfo readFrom(WireReader r) {
      return new VolumeInfo(r.nonNegative("volumeId"), r.string("name", VOLUME_NAME_BYTES_MAX * 4),
          r.nonNegative("sizeBytes"), r.nonNegative("inodes"), r.nonNegative("mappedBlocks"));
    }

    public byte[] encode() {
      WireWriter w = new WireWriter(64);
      writeTo(w);
      return w.toByteArray();
    }

    public static VolumeInfo decode(byte[] body) {
      WireReader r = new WireReader(body);
      VolumeInfo info = readFrom(r);
      r.expectEnd("VolumeInfo");
      return info;
    }
  }

  /** LIST_VOLUMES request: empty. Response: {@code u32 count | count x VolumeInfo}. */
  public static byte[] encodeVolumeList(List<VolumeInfo> volumes) {
    WireWriter w = new WireWriter(16 + volumes.size() * 64);
    w.i32(volumes.size());
    volumes.forEach(v -> v.writeTo(w));
    return w.toByteArray();
  }

  public static List<VolumeInfo> decodeVolumeList(byte[] body) {
    WireReader r = new WireReader(body);
    int count = r.count("volumes", VOLUMES_MAX);
    List<VolumeInfo> volumes = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      volumes.add(VolumeInfo.readFrom(r));
    }
    r.expectEnd("LIST_VOLUMES response");
    return volumes;
  }

  /** DELETE_VOLUME: {@code string name}. Response: empty. */
  public static byte[] encodeName(String name) {
    return new WireWriter(32).string(name).toByteArray();
  }

  public static String decodeName(byte[] body) {
    WireReader r = new WireReader(body);
    String name = r.string("name", VOLUME_NAME_BYTES_MAX * 4);
    r.expectEnd("volume name");
    return name;
  }

  /**
   * MOUNT_VOLUME: {@code string name | string clientId | bool createIfMissing}. Takes the
   * volume's read-write lease. Response: Mounted.
   */
  public record MountVolume(String name, String clientId, boolean createIfMissing) {
    public byte[] encode() {
      return new WireWriter(64).string(name).string(clientId).bool(createIfMissing).toByteArray();
    }

    public static MountVolume decode(byte[] body) {
      WireReader r = new WireReader(body);
      MountVolume m = new MountVolume(r.string("name", VOLUME_NAME_BYTES_MAX * 4),
          r.string("clientId", TEXT_BYTES_MAX), r.bool("createIfMissing"));
      r.expectEnd("MOUNT_VOLUME");
      return m;
    }
  }

  /**
   * MOUNT_VOLUME response: {@code VolumeInfo | u64 epoch | u64 nextIno | u64 lastAppliedSeq |
   * u32 leaseTimeoutMs}.
   *
   * @param epoch the lease epoch; every later request of this mount carries it
   * @param nextIno the lowest inode number never used; the client allocates from here
   * @param lastAppliedSeq the journal group sequence number the MS applied last
   * @param leaseTimeoutMs renew (RENEW_LEASE) well within this or lose the lease
   */
  public record Mounted(VolumeInfo volume, long epoch, long nextIno, long lastAppliedSeq,
      int leaseTimeoutMs) {
    public byte[] encode() {
      WireWriter w = new WireWriter(96);
      volume.writeTo(w);
      return w.i64(epoch).i64(nextIno).i64(lastAppliedSeq).i32(leaseTimeoutMs).toByteArray();
    }

    public static Mounted decode(byte[] body) {
      WireReader r = new WireReader(body);
      Mounted m = new Mounted(VolumeInfo.readFrom(r), r.nonNegative("epoch"),
          r.nonNegative("nextIno"), r.nonNegative("lastAppliedSeq"),
          r.count("leaseTimeoutMs", Integer.MAX_VALUE));
      r.expectEnd("MOUNT_VOLUME response");
      return m;
    }
  }

  /**
   * UNMOUNT_VOLUME and RENEW_LEASE: {@code u64 volumeId | u64 epoch}. Response: empty; a stale
   * epoch gets STALE_EPOCH.
   */
  public record LeaseRef(long volumeId, long epoch) {
    public byte[] encode() {
      return new WireWriter(16).i64(volumeId).i64(epoch).toByteArray();
    }

    public static LeaseRef decode(byte[] body) {
      WireReader r = new WireReader(body);
      LeaseRef m = new LeaseRef(r.nonNegative("volumeId"), r.nonNegative("epoch"));
      r.expectEnd("lease");
      return m;
    }
  }
}
