package io.dvs.meta.volume;

import io.dvs.meta.store.LeasedPaTable;
import io.dvs.meta.store.PaRanges;
import io.dvs.meta.store.LeasedPaTable.LeasedRun;
import io.dvs.meta.store.MetaStore;
import io.dvs.meta.store.PaTable;
import io.dvs.protocol.message.JournalRecord;
import io.dvs.protocol.message.LptExtent;
import io.dvs.protocol.message.Wdacg;
import java.util.List;

/**
 * Tracks which WDACG PAs a lease holds unmapped, and gives them back when the lease ends
 * (DESIGN.md: "PAs handed out in a WDACG that never reached the MS's LPT are reclaimed").
 *
 * <p>The three steps, each inside the request's own {@link MetaStore#write} transaction:
 * <ol>
 *   <li>ALLOC_WDACG: every run of the WDACG is recorded against the volume ({@link #leased});
 *   <li>APPLY_JOURNAL: every PA a MAP_BLOCKS record puts in the LPT leaves the record
 *       ({@link #mapped}); from then on the LPT row owns it, and unlink/truncate release it;
 *   <li>the lease ends (UNMOUNT, expiry, a new epoch taking over, DELETE_VOLUME): what is left
 *       was handed out and never mapped; it is queued for RELEASE_BLOCKS ({@link #endLease}),
 *       so the SN drops whatever the client wrote there, and then returns to free PA space.
 * </ol>
 * Releasing a PA the client never wrote is a no-op on the SN, so the MS need not know which.
 */
final class LeaseReclaimer {
  private final MetaStore store;

  LeaseReclaimer(MetaStore store) {
    this.store = store;
  }

  void leased(long volumeId, Wdacg wdacg) {
    LeasedPaTable table = store.leasedPas();
    for (int i = 0; i < wdacg.paStarts().length; i++) {
      if (wdacg.counts()[i] > 0) {
        table.add(volumeId, wdacg.snId(), wdacg.paStarts()[i], wdacg.counts()[i]);
      }
    }
  }

  /** The group's MAP_BLOCKS extents took their PAs out of the lease. */
  void mapped(long volumeId, List<JournalRecord> records) {
    LeasedPaTable table = store.leasedPas();
    PaRanges mapped = new PaRanges((snId, start, end) ->
        table.removeRange(volumeId, snId, start, end));
    for (JournalRecord record : records) {
      if (record instanceof JournalRecord.MapBlocks map) {
        for (LptExtent x : map.extents()) {
          mapped.add(x.snId(), x.firstPa(), x.count());
        }
      }
    }
    mapped.flush();
  }

  /** The lease ended: its unmapped PAs go to the release queue. Returns how many. */
  long endLease(long volumeId) {
    PaTable paSpace = store.paSpace();
    long released = 0;
    for (LeasedRun run : store.leasedPas().takeAll(volumeId)) {
      paSpace.queueRelease(run.snId(), run.start(), run.count());
      released += run.count();
    }
    return released;
  }
}
