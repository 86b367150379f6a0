package io.dvs.meta.store;

import com.google.common.base.Preconditions;
import io.dvs.protocol.WireWriter;
import io.dvs.protocol.message.VolumeOps.VolumeInfo;

/**
 * A volume's descriptor (the heart of paper 1's SSRDS): identity, size, lease and journal
 * position, and counters for {@code dvs volume list}.
 *
 * <pre>
 * version u8 | volumeId u64 | name string | sizeBytes u64 | epoch u64 | leaseHolder string
 * | nextIno u64 | lastAppliedSeq u64 | inodes u64 | mappedBlocks u64
 * </pre>
 *
 * @param epoch the last lease epoch granted; 0 before the first mount
 * @param leaseHolder the clientId holding the read-write lease, or "" when unmounted
 */
public record VolumeRecord(long volumeId, String name, long sizeBytes, long epoch,
    String leaseHolder, long nextIno, long lastAppliedSeq, long inodes, long mappedBlocks) {

  public static final String NO_HOLDER = "";

  public VolumeRecord {
    Preconditions.checkArgument(volumeId > 0, "volumeId: %s", volumeId);
    Preconditions.checkArgument(inodes >= 0 && mappedBlocks >= 0,
        "counters: inodes %s, mappedBlocks %s", inodes, mappedBlocks);
  }

  public boolean isMounted() {
    return !leaseHolder.isEmpty();
  }

  public VolumeInfo info() {
    return new VolumeInfo(volumeId, name, sizeBytes, inodes, mappedBlocks);
  }

  public VolumeRecord withLease(long newEpoch, String holder) {
    return new VolumeRecord(volumeId, name, sizeBytes, newEpoch, holder, nextIno, lastAppliedSeq,
        inodes, mappedBlocks);
  }

  public VolumeRecord withJournal(long newNextIno, long newLastAppliedSeq, long newInodes,
      long newMappedBlocks) {
    return new VolumeRecord(volumeId, name, sizeBytes, epoch, leaseHolder, newNextIno,
        newLastAppliedSeq, newInodes, newMappedBlocks);
  }

  byte[] encode() {
    return new WireWriter(96).u8(StoredValues.VALUE_VERSION).i64(volumeId).string(name)
        .i64(sizeBytes).i64(epoch).string(leaseHolder).i64(nextIno).i64(lastAppliedSeq)
        .i64(inodes).i64(mappedBlocks).toByteArray();
  }

  static VolumeRecord decode(byte[] value) {
    return StoredValues.decode("volume record", value, r -> new VolumeRecord(
        r.nonNegative("volumeId"), r.string("name", 0xFFFF), r.nonNegative("sizeBytes"),
        r.nonNegative("epoch"), r.string("leaseHolder", 0xFFFF), r.nonNegative("nextIno"),
        r.nonNegative("lastAppliedSeq"), r.nonNegative("inodes"), r.nonNegative("mappedBlocks")));
  }
}
