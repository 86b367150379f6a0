package io.dvs.node.meta;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.UUID;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * A snapshot of the SN's metadata (docs/format/sn-journal.md), so the journal stays bounded and
 * a restart replays only what came after it.
 *
 * <pre>
 * magic 8 B "DVSSNCP\n" | version u8 | nodeUuid 16 B | digestBytes u8 | nextJournalSeq u64
 * | uniqueWrites u64 | duplicateWrites u64
 * | blockCount u64 | blockCount x (L u64 | refCount u32 | fingerprint)
 * | paCount u64    | paCount x (pa u64 | L u64)
 * | crc32c u32 over every byte before it
 * </pre>
 *
 * Replaced atomically (temp file, fsync, rename, fsync directory): a reader sees the old or the
 * new snapshot, never a torn one. {@code nextJournalSeq} names the first journal file that is
 * not in the snapshot; older journal files are deleted only after the rename is durable.
 */
public final class Checkpoint {
  public static final String FILE_NAME = "checkpoint";
  static final byte[] MAGIC = "DVSSNCP\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  static final int VERSION = 1;

  /** Streams are buffered in 1 MiB chunks: large sequential I/O, bounded memory. */
  static final int IO_BUFFER_BYTES = 1 << 20;

  private Checkpoint() {}

  /** Writes the snapshot of {@code state} atomically as {@code dir/checkpoint}. */
  static void write(Path dir, UUID uuid, long nextJournalSeq, NodeMetadata.State state)
      throws IOException {
    Path tmp = dir.resolve(FILE_NAME + ".tmp");
    CRC32C crc = new CRC32C();
    try (FileOutputStream file = new FileOutputStream(tmp.toFile());
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
            new CheckedOutputStream(file, crc), IO_BUFFER_BYTES))) {
      out.write(MAGIC);
      out.writeByte(VERSION);
      out.writeLong(uuid.getMostSignificantBits());
      out.writeLong(uuid.getLeastSignificantBits());
      out.writeByte(state.blocks.digestBytes());
      out.writeLong(nextJournalSeq);
      out.writeLong(state.uniqueWrites);
      out.writeLong(state.duplicateWrites);
      out.writeLong(state.blocks.usedBlocks());
      IOException[] failure = new IOException[1];
      state.blocks.forEach((location, refCount) -> {
        try {
          out.writeLong(location);
          out.writeInt(refCount);
          out.write(state.blocks.fingerprint(location));
        } catch (IOException e) {
          failure[0] = e;
        }
      });
      out.writeLong(state.lba.size());
      state.lba.forEach((pa, location) -> {
        try {
          out.writeLong(pa);
          out.writeLong(location);
        } catch (IOException e) {
          failure[0] = e;
        }
      });
      if (failure[0] != null) {
        throw failure[0];
      }
      out.flush();
      // The checksum covers everything written so far; it goes out unchecked, last.
      int sum = (int) crc.getValue();
      file.write(new byte[] {(byte) (sum >>> 24), (byte) (sum >>> 16), (byte) (sum >>> 8),
          (byte) sum});
      file.getFD().sync();
    }
    Files.move(tmp, dir.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    syncDirectory(dir);
  }

  /** Header fields read before the bulk of the file. */
  record Header(long nextJournalSeq) {}

  /**
   * Reads {@code dir/checkpoint} into {@code state} (empty on entry). Anything wrong is an
   * IO_ERROR naming the file; the state is then garbage and must be dropped.
   */
  static Header read(Path dir, UUID uuid, long capacityBlocks, NodeMetadata.State state) {
    Path file = dir.resolve(FILE_NAME);
    if (!Files.isRegularFile(file)) {
      throw corrupt(file, "it is missing");
    }
    CRC32C crc = new CRC32C();
    try (InputStream raw = Files.newInputStream(file);
        BufferedInputStream buffered = new BufferedInputStream(raw, IO_BUFFER_BYTES);
        CheckedInputStream checked = new CheckedInputStream(buffered, crc);
        DataInputStream in = new DataInputStream(checked)) {
      byte[] magic = in.readNBytes(MAGIC.length);
      if (!Arrays.equals(magic, MAGIC)) {
        throw corrupt(file, "no checkpoint magic: not an SN metadata checkpoint");
      }
      int version = in.readUnsignedByte();
      UUID found = new UUID(in.readLong(), in.readLong());
      int digest = in.readUnsignedByte();
      if (version != VERSION || !found.equals(uuid) || digest != state.blocks.digestBytes()) {
        throw corrupt(file, "version " + version + ", node " + found + ", digest " + digest
            + " B (expected: " + VERSION + ", " + uuid + ", " + state.blocks.digestBytes()
            + " B)");
      }
      long nextJournalSeq = in.readLong();
      state.uniqueWrites = in.readLong();
      state.duplicateWrites = in.readLong();
      long blockCount = in.readLong();
      if (blockCount < 0 || blockCount > capacityBlocks) {
        throw corrupt(file, "blockCount " + blockCount + " (expected: <= " + capacityBlocks
            + ")");
      }
      byte[] fp = new byte[digest];
      for (long i = 0; i < blockCount; i++) {
        long location = in.readLong();
        int refCount = in.readInt();
        in.readFully(fp);
        if (location < 0 || location >= capacityBlocks || refCount < 1
            || state.blocks.refCount(location) != 0) {
          throw corrupt(file, "block entry L " + location + " refCount " + refCount
              + " (expected: a distinct L < " + capacityBlocks + ", refCount >= 1)");
        }
        state.blocks.create(location, fp, refCount);
      }
      long paCount = in.readLong();
      if (paCount < 0 || paCount > LbaMap.SLOTS_MAX) {
        throw corrupt(file, "paCount " + paCount);
      }
      for (long i = 0; i < paCount; i++) {
        long pa = in.readLong();
        long location = in.readLong();
        if (pa < 0 || location < 0 || state.lba.put(pa, location) != LbaMap.NONE) {
          throw corrupt(file, "PA entry " + pa + " → L " + location + " (negative or repeated)");
        }
      }
      int computed = (int) crc.getValue();
      int stored = new DataInputStream(buffered).readInt(); // outside the checksum
      if (stored != computed || buffered.read() != -1) {
        throw corrupt(file, "checksum mismatch or trailing bytes (stored " + Integer.toHexString(
            stored) + ", computed " + Integer.toHexString(computed) + ")");
      }
      return new Header(nextJournalSeq);
    } catch (EOFException e) {
      throw corrupt(file, "truncated");
    } catch (IOException e) {
      throw new DvsException(ErrorCode.IO_ERROR, "cannot read " + file + ": " + e, e);
    }
  }

  static DvsException corrupt(Path file, String why) {
    return new DvsException(ErrorCode.IO_ERROR, "metadata checkpoint " + file + " is unusable: "
        + why + "; refusing to start (restore the data directory from backup)");
  }

  /** Makes a rename or create in {@code dir} durable (Linux: fsync on the directory). */
  public static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
