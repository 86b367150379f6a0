package io.dvs.meta.store;

import com.google.common.base.Preconditions;
import com.google.common.base.Verify;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mapdb.DB;
import org.mapdb.Serializer;

/**
 * The PAs each volume's current lease holds in WDACGs but has not mapped yet, as runs (map
 * {@code paLeased}: key {@code volumeId u64 | snId u32 | runStart u64}, value runEnd i64,
 * exclusive). A run enters when ALLOC_WDACG hands it out and shrinks as MAP_BLOCKS records
 * map its PAs; whatever is left when the lease ends (unmount, expiry, takeover by a new epoch,
 * volume delete) was never referenced by the LPT and is released on its SN, so a client that
 * dies leaks nothing (DESIGN.md, durability contract).
 *
 * <p>Persisted with the WDACG in the same transaction, so an MS restart forgets nothing. Runs of
 * one (volume, SN) never overlap: the PA space hands every PA out once. Call inside
 * {@link MetaStore#read} or {@link MetaStore#write}.
 */
public final class LeasedPaTable {
  /** A leased run {@code [start, end)} of one SN. */
  public record LeasedRun(int snId, long start, long end) {
    public long count() {
      return end - start;
    }
  }

  private final RunMap runs;

  LeasedPaTable(DB db) {
    this.runs = new RunMap(
        db.treeMap("paLeased", Serializer.BYTE_ARRAY, Serializer.LONG).createOrOpen());
  }

  /** Re-reads the runs from the store (a rollback discarded changes). */
  void reload() {
    runs.reload();
  }

  /** A WDACG run {@code [start, start + count)} of {@code snId} went to the volume's lease. */
  public void add(long volumeId, int snId, long start, long count) {
    Preconditions.checkArgument(count > 0 && start >= 0, "run [%s, +%s)", start, count);
    Verify.verify(runs.add(prefix(volumeId, snId), start, start + count) == count,
        "PA %s of SN %s leased twice to volume %s", start, snId, volumeId);
  }

  /**
   * PAs {@code [start, end)} of {@code snId} reached the LPT: they leave the lease. PAs not
   * leased (an overwrite in place, a replayed group) are ignored.
   */
  public void removeRange(long volumeId, int snId, long start, long end) {
    runs.remove(prefix(volumeId, snId), start, end);
  }

  /** Every run the volume's lease holds, by SN then PA. */
  public List<LeasedRun> runs(long volumeId) {
    List<LeasedRun> leased = new ArrayList<>();
    for (Map.Entry<byte[], Long> e : volumeRuns(volumeId).entrySet()) {
      leased.add(new LeasedRun(Keys.intAt(e.getKey(), 8), Keys.longAt(e.getKey(), 12),
          e.getValue()));
    }
    return leased;
  }

  /** Removes and returns every run of the volume (the lease ended). */
  public List<LeasedRun> takeAll(long volumeId) {
    List<LeasedRun> taken = runs(volumeId);
    runs.clear(Keys.volume(volumeId), Keys.volume(volumeId + 1));
    return taken;
  }

  /** PAs the volume's lease holds unmapped. */
  public long count(long volumeId) {
    long total = 0;
    for (LeasedRun run : runs(volumeId)) {
      total += run.count();
    }
    return total;
  }

  private static byte[] prefix(long volumeId, int snId) {
    return java.nio.ByteBuffer.allocate(12).putLong(volumeId).putInt(snId).array();
  }

  private Map<byte[], Long> volumeRuns(long volumeId) {
    return runs.between(Keys.volume(volumeId), Keys.volume(volumeId + 1));
  }
}
