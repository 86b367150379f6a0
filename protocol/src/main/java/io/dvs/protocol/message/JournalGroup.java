package io.dvs.protocol.message;

import static io.dvs.protocol.ProtocolLimits.JOURNAL_RECORDS_MAX;

import io.dvs.protocol.WireReader;
import io.dvs.protocol.WireWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * APPLY_JOURNAL: one group of the volume's metadata journal.
 *
 * <pre>u64 volumeId | u64 epoch | u64 seq | u32 count | count x JournalRecord</pre>
 *
 * <p>Groups carry consecutive sequence numbers from 1. The MS applies a group atomically,
 * together with its sequence number; a group at or below the last applied one is acknowledged
 * without effect (a retry), a group past the next one is refused with JOURNAL_GAP.
 */
public record JournalGroup(long volumeId, long epoch, long seq, List<JournalRecord> records) {

  public byte[] encode() {
    WireWriter w = new WireWriter(64 + records.size() * 64);
    w.i64(volumeId).i64(epoch).i64(seq).i32(records.size());
    records.forEach(rec -> JournalRecord.write(rec, w));
    return w.toByteArray();
  }

  public static JournalGroup decode(byte[] body) {
    WireReader r = new WireReader(body);
    long volumeId = r.nonNegative("volumeId");
    long epoch = r.nonNegative("epoch");
    long seq = r.nonNegative("seq");
    int count = r.count("records", JOURNAL_RECORDS_MAX);
    List<JournalRecord> records = new ArrayList<>(Math.min(count, 1024));
    for (int i = 0; i < count; i++) {
      records.add(JournalRecord.read(r));
    }
    r.expectEnd("APPLY_JOURNAL");
    return new JournalGroup(volumeId, epoch, seq, records);
  }
}
