package io.dvs.meta.store;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.WireReader;
import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.LptExtent;
import java.nio.ByteBuffer;
import java.util.function.Function;

/**
 * Value encodings that are ours (not MapDB's). Every structured value starts with a version
 * byte so a later format can be told apart; bytes read back are checked like network bytes
 * (a failure is a corrupt store, never a bad request).
 */
public final class StoredValues {
  /** Version byte of every structured value written by this code. */
  public static final int VALUE_VERSION = 1;

  /**
   * Format 2's LPT extent value, {@code snId u32 | firstPa u64 | count u32} (the key has
   * firstBlock); read only to upgrade a store to {@link LptChunk} rows.
   */
  static final int LPT_VALUE_BYTES = 16;

  private StoredValues() {}

  public static byte[] inode(InodeAttrs attrs) {
    byte[] body = attrs.encode();
    byte[] value = new byte[1 + body.length];
    value[0] = (byte) VALUE_VERSION;
    System.arraycopy(body, 0, value, 1, body.length);
    return value;
  }

  public static InodeAttrs inode(byte[] value) {
    return decode("inode", value, r -> InodeAttrs.readFrom(r));
  }

  static LptExtent lpt(long firstBlock, byte[] value) {
    if (value.length != LPT_VALUE_BYTES) {
      throw corrupt("LPT value", value.length + " bytes (expected: " + LPT_VALUE_BYTES + ")");
    }
    ByteBuffer b = ByteBuffer.wrap(value);
    try {
      return new LptExtent(firstBlock, b.getInt(), b.getLong(), b.getInt());
    } catch (DvsException e) {
      throw corrupt("LPT value", e.getMessage());
    }
  }

  /** Reads a versioned value: checks the version byte, then the fields, then the end. */
  static <T> T decode(String what, byte[] value, Function<WireReader, T> fields) {
    if (value.length < 1 || (value[0] & 0xFF) != VALUE_VERSION) {
      throw corrupt(what, "version byte " + (value.length < 1 ? "missing" : value[0] & 0xFF)
          + " (expected: " + VALUE_VERSION + ")");
    }
    try {
      WireReader r = new WireReader(value, 1, value.length - 1);
      T result = fields.apply(r);
      r.expectEnd(what);
      return result;
    } catch (DvsException e) {
      throw corrupt(what, e.getMessage());
    }
  }

  static DvsException corrupt(String what, String why) {
    return new DvsException(ErrorCode.IO_ERROR, "metadata store holds a corrupt " + what + ": "
        + why + " (restore the MS data directory from a backup)");
  }
}
