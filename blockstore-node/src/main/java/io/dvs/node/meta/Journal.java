package io.dvs.node.meta;

import com.google.common.base.Verify;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * One journal file of the SN's metadata (docs/format/sn-journal.md): a header, then group-commit
 * batches appended and fdatasync'ed one at a time.
 *
 * <pre>
 * header  magic 8 B "DVSSNJL\n" | version u8 | nodeUuid 16 B | digestBytes u8 | fileSeq u64
 *         | crc32c u32 (over the header bytes before it)
 * batch   magic u32 "SNJB" | batchSeq u64 | recordBytes u32
 *         | crc32c u32 (over batchSeq, recordBytes and the records) | records
 * </pre>
 *
 * A batch whose bytes run to the end of the file but do not check out is a torn last write (it
 * was never acknowledged: FLUSH returns after the fdatasync) and is cut off. A bad batch with
 * more bytes after it is corruption, and the node refuses to start.
 */
final class Journal implements AutoCloseable {
  static final byte[] MAGIC = "DVSSNJL\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  /** Version 2 added REWRITE and INDEX records; version 1 files (without them) still replay. */
  static final int VERSION = 2;
  static final int HEADER_BYTES = 8 + 1 + 16 + 1 + 8 + 4;
  static final int BATCH_MAGIC = 0x534E_4A42; // "SNJB"
  static final int BATCH_HEADER_BYTES = 4 + 8 + 4 + 4;

  /**
   * One batch's records: bounded so that a corrupt length is rejected before it is read into
   * memory; the engine commits inline long before a batch gets this big.
   */
  static final int BATCH_RECORD_BYTES_MAX = 64 << 20;

  static final String PREFIX = "journal.";

  private final Path file;
  private final FileChannel channel;
  private long sizeBytes;
  private long nextBatchSeq;

  private Journal(Path file, FileChannel channel, long sizeBytes, long nextBatchSeq) {
    this.file = file;
    this.channel = channel;
    this.sizeBytes = sizeBytes;
    this.nextBatchSeq = nextBatchSeq;
  }

  static Path fileFor(Path dir, long fileSeq) {
    return dir.resolve(PREFIX + String.format("%016d", fileSeq));
  }

  /** Creates an empty journal file with its header, durably (file and directory entry). */
  static Journal create(Path dir, long fileSeq, UUID nodeUuid, int digestBytes)
      throws IOException {
    Path file = fileFor(dir, fileSeq);
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE, StandardOpenOption.READ);
    ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES);
    h.put(MAGIC).put((byte) VERSION).putLong(nodeUuid.getMostSignificantBits())
        .putLong(nodeUuid.getLeastSignificantBits()).put((byte) digestBytes).putLong(fileSeq);
    CRC32C crc = new CRC32C();
    crc.update(h.array(), 0, h.position());
    h.putInt((int) crc.getValue()).flip();
    while (h.hasRemaining()) {
      ch.write(h, h.position());
    }
    ch.force(true);
    Checkpoint.syncDirectory(dir);
    return new Journal(file, ch, HEADER_BYTES, 1);
  }

  /** Receives each record of a valid batch during replay. */
  interface RecordSink {
    void accept(ByteBuffer record);
  }

  /**
   * Replays every valid batch through {@code sink} (one call per record, the buffer positioned
   * at its type byte), cuts off a torn tail, and opens the file for appending.
   */
  static Journal replay(Path file, UUID nodeUuid, int digestBytes, long fileSeq,
      RecordSink sink) throws IOException {
    byte[] all = Files.readAllBytes(file);
    ByteBuffer b = ByteBuffer.wrap(all);
    checkHeader(file, b, nodeUuid, digestBytes, fileSeq);
    long batchSeq = 1;
    int validEnd = HEADER_BYTES;
    while (b.remaining() > 0) {
      int start = b.position();
      String problem = readBatch(b, batchSeq, digestBytes, sink);
      if (problem != null) {
        if (b.position() < all.length && problem.startsWith("crc") && !allZero(all, b.position())) {
          throw corrupt(file, "batch at byte " + start + ": " + problem + ", followed by more "
              + "data (not a torn last write)");
        }
        break; // torn last write: never acknowledged
      }
      validEnd = b.position();
      batchSeq++;
    }
    FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
    if (validEnd < all.length) {
      ch.truncate(validEnd);
      ch.force(true);
    }
    return new Journal(file, ch, validEnd, batchSeq);
  }

  private static boolean allZero(byte[] all, int from) {
    for (int i = from; i < all.length; i++) {
      if (all[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /** Null if a whole valid batch was consumed, else why not (position then at the bad end). */
  private static String readBatch(ByteBuffer b, long expectedSeq, int digestBytes,
      RecordSink sink) {
    int start = b.position();
    if (b.remaining() < BATCH_HEADER_BYTES) {
      return "short header";
    }
    if (b.getInt() != BATCH_MAGIC) {
      b.position(b.limit());
      return "no batch magic";
    }
    long seq = b.getLong();
    int recordBytes = b.getInt();
    int stored = b.getInt();
    if (recordBytes < 0 || recordBytes > BATCH_RECORD_BYTES_MAX || recordBytes > b.remaining()) {
      b.position(b.limit());
      return "length " + recordBytes + " (expected: <= " + Math.min(BATCH_RECORD_BYTES_MAX,
          b.remaining()) + ")";
    }
    CRC32C crc = new CRC32C();
    crc.update(b.array(), start + 4, 12);
    crc.update(b.array(), b.position(), recordBytes);
    int end = b.position() + recordBytes;
    if (stored != (int) crc.getValue()) {
      b.position(end);
      return "crc mismatch";
    }
    Verify.verify(seq == expectedSeq, "journal batch %s where %s was expected", seq, expectedSeq);
    ByteBuffer records = ByteBuffer.wrap(b.array(), b.position(), recordBytes).slice();
    while (records.hasRemaining()) {
      int at = records.position();
      sink.accept(records);
      Verify.verify(records.position() > at, "record sink consumed nothing");
    }
    b.position(end);
    return null;
  }

  private static void checkHeader(Path file, ByteBuffer b, UUID uuid, int digestBytes,
      long fileSeq) {
    if (b.remaining() < HEADER_BYTES
        || !Arrays.equals(b.array(), 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw corrupt(file, "no journal header");
    }
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, HEADER_BYTES - 4);
    if (ByteBuffer.wrap(b.array(), HEADER_BYTES - 4, 4).getInt() != (int) crc.getValue()) {
      throw corrupt(file, "header checksum mismatch");
    }
    b.position(MAGIC.length);
    int version = b.get() & 0xFF;
    UUID found = new UUID(b.getLong(), b.getLong());
    int digest = b.get() & 0xFF;
    long seq = b.getLong();
    b.getInt();
    if (version < 1 || version > VERSION || !found.equals(uuid) || digest != digestBytes || seq != fileSeq) {
      throw corrupt(file, "header says version " + version + ", node " + found + ", digest "
          + digest + " B, file " + seq + " (expected: 1.." + VERSION + ", " + uuid + ", "
          + digestBytes + " B, " + fileSeq + ")");
    }
  }

  /** Appends one batch and makes it durable. */
  void append(byte[] records, int length) throws IOException {
    ByteBuffer batch = ByteBuffer.allocate(BATCH_HEADER_BYTES + length);
    batch.putInt(BATCH_MAGIC).putLong(nextBatchSeq).putInt(length);
    CRC32C crc = new CRC32C();
    crc.update(batch.array(), 4, 12);
    crc.update(records, 0, length);
    batch.putInt((int) crc.getValue()).put(records, 0, length).flip();
    while (batch.hasRemaining()) {
      channel.write(batch, sizeBytes + batch.position());
    }
    channel.force(false);
    sizeBytes += batch.limit();
    nextBatchSeq++;
  }

  long sizeBytes() {
    return sizeBytes;
  }

  Path file() {
    return file;
  }

  static DvsException corrupt(Path file, String why) {
    return new DvsException(ErrorCode.IO_ERROR, "metadata journal " + file + " is corrupt: "
        + why + "; refusing to start (run 'dvs node fsck' on the data directory, or restore it "
        + "from backup)");
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
