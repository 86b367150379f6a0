package io.dvs.protocol.message;

import static io.dvs.protocol.ProtocolLimits.BATCH_BLOCKS_MAX;
import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;

import com.google.common.base.Preconditions;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.WireReader;
import io.dvs.protocol.WireWriter;
import java.nio.ByteBuffer;

/** Storage-node messages: block data by PA. The SN never sees inodes or names. */
public final class BlockOps {
  /** PAs in one RELEASE_BLOCKS request: 512 KiB of addresses. */
  public static final int RELEASE_PAS_MAX = 65_536;

  private BlockOps() {}

  /**
   * WRITE_BLOCKS: {@code u32 count | count x u64 pa | count x 4096 B data}. Response: the SN's
   * {@link BootId}. Writing the same data to the same PA twice is harmless (idempotent retry).
   *
   * @param data the blocks back to back, starting at {@code dataOffset}
   */
  public record WriteBlocks(long[] pas, byte[] data, int dataOffset) {
    public WriteBlocks {
      Preconditions.checkArgument(pas.length >= 1 && pas.length <= BATCH_BLOCKS_MAX,
          "pas: %s (expected: 1..%s)", pas.length, BATCH_BLOCKS_MAX);
      Preconditions.checkArgument(data.length - dataOffset >= pas.length * BLOCK_SIZE_BYTES,
          "data: %s bytes for %s blocks", data.length - dataOffset, pas.length);
    }

    public int count() {
      return pas.length;
    }

    /** Offset of block {@code i} in {@link #data()}. */
    public int blockOffset(int i) {
      return dataOffset + i * BLOCK_SIZE_BYTES;
    }

    /**
     * A request whose {@link #data()} is already its encoding: the header is written into a new
     * array of exactly the encoded size and the caller copies block {@code i} to
     * {@link #blockOffset blockOffset(i)}. {@link #encode} then returns that array as it is, so
     * a 1 MiB batch is not copied once more into a frame.
     */
    public static WriteBlocks framed(long[] pas) {
      byte[] header = header(pas);
      byte[] frame = new byte[header.length + pas.length * BLOCK_SIZE_BYTES];
      System.arraycopy(header, 0, frame, 0, header.length);
      return new WriteBlocks(pas, frame, header.length);
    }

    public byte[] encode() {
      if (isOwnEncoding()) {
        return data; // built by framed()
      }
      byte[] header = header(pas);
      WireWriter w = new WireWriter(header.length + pas.length * BLOCK_SIZE_BYTES);
      return w.raw(header, 0, header.length)
          .raw(data, dataOffset, pas.length * BLOCK_SIZE_BYTES).toByteArray();
    }

    /**
     * True if {@link #data()} is exactly this request's encoding, as {@link #framed} makes it:
     * read in place (big-endian, as WireWriter writes), so a framed batch is not encoded twice.
     */
    private boolean isOwnEncoding() {
      int headerBytes = 4 + pas.length * 8;
      if (dataOffset != headerBytes || data.length != headerBytes + pas.length * BLOCK_SIZE_BYTES) {
        return false;
      }
      ByteBuffer frame = ByteBuffer.wrap(data);
      if (frame.getInt(0) != pas.length) {
        return false;
      }
      for (int i = 0; i < pas.length; i++) {
        if (frame.getLong(4 + i * 8) != pas[i]) {
          return false;
        }
      }
      return true;
    }

    private static byte[] header(long[] pas) {
      WireWriter w = new WireWriter(4 + pas.length * 8);
      w.i32(pas.length);
      for (long pa : pas) {
        w.i64(pa);
      }
      return w.toByteArray();
    }

    public static WriteBlocks decode(byte[] body) {
      WireReader r = new WireReader(body);
      long[] pas = readPas(r, BATCH_BLOCKS_MAX);
      if (pas.length == 0) {
        throw DvsException.badRequest("WRITE_BLOCKS count: 0 (expected: >= 1)");
      }
      int offset = r.skip(pas.length * BLOCK_SIZE_BYTES, "WRITE_BLOCKS data");
      r.expectEnd("WRITE_BLOCKS");
      return new WriteBlocks(pas, body, offset);
    }
  }

  /**
   * READ_BLOCKS: {@code u32 count | count x u64 pa}. Response: {@code count x 4096 B}, in
   * request order; a PA never written reads as zeros, like a thin disk.
   */
  public record ReadBlocks(long[] pas) {
    public ReadBlocks {
      Preconditions.checkArgument(pas.length >= 1 && pas.length <= BATCH_BLOCKS_MAX,
          "pas: %s (expected: 1..%s)", pas.length, BATCH_BLOCKS_MAX);
    }

    public byte[] encode() {
      return writePas(pas);
    }

    public static ReadBlocks decode(byte[] body) {
      WireReader r = new WireReader(body);
      long[] pas = readPas(r, BATCH_BLOCKS_MAX);
      r.expectEnd("READ_BLOCKS");
      if (pas.length == 0) {
        throw DvsException.badRequest("READ_BLOCKS count: 0 (expected: >= 1)");
      }
      return new ReadBlocks(pas);
    }
  }

  /**
   * RELEASE_BLOCKS: {@code u32 count | count x u64 pa}. The SN drops each PA's mapping
   * (reference count -1 on its physical block). Releasing an unmapped PA is a no-op, so
   * retries are harmless. Response: the SN's {@link BootId}.
   */
  public record ReleaseBlocks(long[] pas) {
    public ReleaseBlocks {
      Preconditions.checkArgument(pas.length <= RELEASE_PAS_MAX,
          "pas: %s (expected: <= %s)", pas.length, RELEASE_PAS_MAX);
    }

    public byte[] encode() {
      return writePas(pas);
    }

    public static ReleaseBlocks decode(byte[] body) {
      WireReader r = new WireReader(body);
      long[] pas = readPas(r, RELEASE_PAS_MAX);
      r.expectEnd("RELEASE_BLOCKS");
      return new ReleaseBlocks(pas);
    }
  }

  private static byte[] writePas(long[] pas) {
    WireWriter w = new WireWriter(4 + pas.length * 8);
    w.i32(pas.length);
    for (long pa : pas) {
      w.i64(pa);
    }
    return w.toByteArray();
  }

  private static long[] readPas(WireReader r, int max) {
    int count = r.count("count", max);
    long[] pas = new long[count];
    for (int i = 0; i < count; i++) {
      pas[i] = r.nonNegative("pa");
    }
    return pas;
  }

  /**
   * The answer to WRITE_BLOCKS, RELEASE_BLOCKS and FLUSH: {@code u64 bootId}, drawn at random
   * each time an SN opens its store. An SN acknowledges a write or release while it is only in
   * memory, and a FLUSH makes durable what the same boot acknowledged. So a caller that sees a
   * FLUSH answered by another boot than a write knows the SN restarted in between and may have
   * lost that write, and sends it again (the write verifier of NFSv3, RFC 1813 section 3.3.7).
   */
  public static final class BootId {
    public static final int BYTES = 8;

    private BootId() {}

    public static byte[] encode(long bootId) {
      return new WireWriter(BYTES).i64(bootId).toByteArray();
    }

    /** The boot id in {@code op}'s answer; BAD_REQUEST naming {@code op} if it is not one. */
    public static long decode(byte[] answer, String op) {
      WireReader r = new WireReader(answer);
      long bootId = r.i64(op + " answer bootId");
      r.expectEnd(op + " answer");
      return bootId;
    }
  }
}
