package io.dvs.protocol.message;

import io.dvs.protocol.WireReader;
import io.dvs.protocol.WireWriter;

/**
 * What an SN reports about itself (NODE_STATS response, and inside REGISTER_NODE and
 * HEARTBEAT): space and the thesis's dedup counters.
 *
 * <pre>
 * capacityBlocks u64 | usedBlocks u64 | mappedPas u64 | uniqueWrites u64 | duplicateWrites u64
 * | filterLookups u64 | filterNegatives u64 | falsePositives u64 | failedDevices u64
 * </pre>
 *
 * @param capacityBlocks physical blocks the SN's devices hold
 * @param usedBlocks physical blocks holding data (distinct content)
 * @param mappedPas PAs that map to a physical block (logical blocks referenced)
 * @param uniqueWrites block writes that stored new content
 * @param duplicateWrites block writes whose content was already stored
 * @param filterLookups fingerprint lookups that went through the Bloom filter
 * @param filterNegatives lookups the filter answered "definitely new"
 * @param falsePositives lookups the filter answered "maybe" and the index answered "no"
 * @param failedDevices devices that failed since the SN started (it stopped using them; its
 *     log names them)
 */
public record NodeStats(
    long capacityBlocks,
    long usedBlocks,
    long mappedPas,
    long uniqueWrites,
    long duplicateWrites,
    long filterLookups,
    long filterNegatives,
    long falsePositives,
    long failedDevices) {

  public static final NodeStats EMPTY = new NodeStats(0, 0, 0, 0, 0, 0, 0, 0, 0);

  /** UR of paper 1: physical blocks used / physical capacity. */
  public double utilization() {
    return capacityBlocks == 0 ? 1.0 : (double) usedBlocks / capacityBlocks;
  }

  /** Logical blocks referenced per physical block stored (1.0 when nothing is shared). */
  public double dedupRatio() {
    return usedBlocks == 0 ? 1.0 : (double) mappedPas / usedBlocks;
  }

  public void writeTo(WireWriter w) {
    w.i64(capacityBlocks).i64(usedBlocks).i64(mappedPas).i64(uniqueWrites).i64(duplicateWrites)
        .i64(filterLookups).i64(filterNegatives).i64(falsePositives).i64(failedDevices);
  }

  public static NodeStats readFrom(WireReader r) {
    return new NodeStats(
        r.nonNegative("capacityBlocks"), r.nonNegative("usedBlocks"), r.nonNegative("mappedPas"),
        r.nonNegative("uniqueWrites"), r.nonNegative("duplicateWrites"),
        r.nonNegative("filterLookups"), r.nonNegative("filterNegatives"),
        r.nonNegative("falsePositives"), r.nonNegative("failedDevices"));
  }

  public byte[] encode() {
    WireWriter w = new WireWriter(72);
    writeTo(w);
    return w.toByteArray();
  }

  public static NodeStats decode(byte[] body) {
    WireReader r = new WireReader(body);
    NodeStats stats = readFrom(r);
    r.expectEnd("NODE_STATS");
    return stats;
  }
}
