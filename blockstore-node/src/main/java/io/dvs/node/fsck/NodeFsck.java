package io.dvs.node.fsck;

import com.google.common.base.Preconditions;
import io.dvs.node.meta.Consistency;
import io.dvs.node.meta.NodeMetadata;
import io.dvs.node.store.DataDirectory;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Offline check of a stopped SN's data directory ({@code dvs node fsck DATA_DIR}): loads the
 * checkpoint and replays the journal exactly as a start would, then checks that every PA maps
 * to an L holding data and every L's reference count equals the number of PAs mapping it
 * ({@link Consistency}). With repair, leaked blocks are freed and counts corrected, and the
 * result is written as a new checkpoint; dangling PAs (lost data) are reported, never "fixed".
 *
 * <p>Must not run while the node runs: both would write the journal.
 */
public final class NodeFsck {
  /** What one run found and did. */
  public record Result(Consistency.Report report, boolean repaired, int freedBlocks) {
    /** 0 clean (or fully repaired), 1 problems left. */
    public int exitCode() {
      return report.clean() || (repaired && report.repairable()) ? 0 : 1;
    }
  }

  private NodeFsck() {}

  public static Result run(Path dataDir, boolean repair) {
    Preconditions.checkNotNull(dataDir, "dataDir");
    try (DataDirectory dir = DataDirectory.open(dataDir, true)) {
      NodeMetadata meta = dir.meta();
      Consistency.Report report = meta.check();
      if (!repair || report.clean() || !report.repairable()) {
        return new Result(report, false, 0);
      }
      long[] freed = meta.repairReferences();
      try {
        meta.checkpoint();
      } catch (IOException e) {
        throw new DvsException(ErrorCode.IO_ERROR, "cannot write the repaired checkpoint in "
            + dataDir + ": " + e, e);
      }
      return new Result(report, true, freed.length);
    }
  }
}
