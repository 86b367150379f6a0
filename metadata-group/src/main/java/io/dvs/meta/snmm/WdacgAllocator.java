package io.dvs.meta.snmm;

import io.dvs.meta.store.MetaStore;
import io.dvs.meta.store.PaTable.PaRun;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.message.Wdacg;
import java.util.List;

/**
 * Algorithm 2's "apply once, write many", server side: a WDACG is {@code count} free PAs from
 * the up SN with the lowest UR (section 3.4), marked used at once.
 *
 * <p>PAs handed out here are used until an LPT row maps them and is later removed; the caller
 * records them against the lease ({@code LeaseReclaimer}), so those of a client that dies
 * before mapping them come back when its lease ends (DESIGN.md, durability contract).
 */
public final class WdacgAllocator {
  private final MetaStore store;
  private final Snmm snmm;

  public WdacgAllocator(MetaStore store, Snmm snmm) {
    this.store = store;
    this.snmm = snmm;
  }

  /**
   * {@code count} PAs of SN {@code snId}, for a client that places blocks by content: NODE_DOWN
   * if that SN is down or unknown, NO_SPACE if its PA space is used up; {@link Wdacg.Alloc#ANY_SN}
   * picks by UR. Call inside {@link MetaStore#write}; may return fewer PAs than asked.
   */
  public Wdacg allocate(int count, int snId) {
    if (snId == Wdacg.Alloc.ANY_SN) {
      return allocate(count);
    }
    if (!snmm.isUp(snId)) {
      throw new DvsException(ErrorCode.NODE_DOWN, "storage node " + snId + " is "
          + (snmm.isKnown(snId) ? "down" : "not registered") + "; ask for another");
    }
    if (!store.paSpace().hasFree(snId)) {
      throw new DvsException(ErrorCode.NO_SPACE, "storage node " + snId
          + " has used its whole PA space; ask for another");
    }
    return take(snId, count);
  }

  /** Call inside {@link MetaStore#write}; may return fewer PAs than asked if space is short. */
  public Wdacg allocate(int count) {
    List<Integer> candidates = snmm.upNodesByUtilization();
    if (candidates.isEmpty()) {
      throw new DvsException(ErrorCode.NODE_DOWN, "no storage node is up to take writes"
          + " (start an SN, or check that SNs can reach this MS and send heartbeats)");
    }
    for (int snId : candidates) {
      if (store.paSpace().hasFree(snId)) {
        return take(snId, count);
      }
    }
    throw new DvsException(ErrorCode.NO_SPACE, "every up storage node has used its whole PA"
        + " space (" + candidates.size() + " up); add a storage node");
  }

  private Wdacg take(int snId, int count) {
    List<PaRun> runs = store.paSpace().allocate(snId, count, Wdacg.RUNS_MAX);
    long[] starts = runs.stream().mapToLong(PaRun::start).toArray();
    int[] counts = runs.stream().mapToInt(PaRun::count).toArray();
    return new Wdacg(snId, starts, counts);
  }
}
