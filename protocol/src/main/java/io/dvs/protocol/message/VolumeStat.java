package io.dvs.protocol.message;

import static io.dvs.protocol.ProtocolLimits.TEXT_BYTES_MAX;

import io.dvs.protocol.WireReader;
import io.dvs.protocol.WireWriter;

/**
 * VOLUME_STAT response: one volume's thin-provisioning numbers, and the MS-wide PA use they are
 * part of. Request: {@code string name} (as DELETE_VOLUME, {@link VolumeOps#encodeName}).
 *
 * <pre>
 * VolumeInfo | string leaseHolder ("" = not mounted) | u64 epoch | u64 leasedPas
 * | u64 msPasInUse | u64 msPasReleasing
 * </pre>
 *
 * @param leasedPas PAs handed to the current lease in WDACGs and not (yet) in the LPT
 * @param msPasInUse PAs of every SN that are not free: mapped, leased or being released
 * @param msPasReleasing PAs queued for RELEASE_BLOCKS on their SN (space reclaim in progress)
 */
public record VolumeStat(VolumeOps.VolumeInfo volume, String leaseHolder, long epoch,
    long leasedPas, long msPasInUse, long msPasReleasing) {

  /** PAs this volume holds: one per LPT row plus the unused part of its lease's WDACGs. */
  public long pasInUse() {
    return volume.mappedBlocks() + leasedPas;
  }

  public byte[] encode() {
    WireWriter w = new WireWriter(128);
    volume.writeTo(w);
    return w.string(leaseHolder).i64(epoch).i64(leasedPas).i64(msPasInUse).i64(msPasReleasing)
        .toByteArray();
  }

  public static VolumeStat decode(byte[] body) {
    WireReader r = new WireReader(body);
    VolumeStat s = new VolumeStat(VolumeOps.VolumeInfo.readFrom(r),
        r.string("leaseHolder", TEXT_BYTES_MAX), r.nonNegative("epoch"),
        r.nonNegative("leasedPas"), r.nonNegative("msPasInUse"),
        r.nonNegative("msPasReleasing"));
    r.expectEnd("VOLUME_STAT response");
    return s;
  }
}
