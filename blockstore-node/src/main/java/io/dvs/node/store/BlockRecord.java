package io.dvs.node.store;

import com.google.common.base.Preconditions;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * What the SN knows about one physical block L that holds data: how many PAs map to it and the
 * fingerprint of its content (needed to drop the index entry when the count reaches 0).
 *
 * <pre>
 * refCount u64 | fingerprint (the rest: 20 B SHA-1, 32 B SHA-256 or BLAKE3)
 * </pre>
 */
public record BlockRecord(long refCount, byte[] fingerprint) {
  public BlockRecord {
    Preconditions.checkArgument(refCount >= 1, "refCount: %s (expected: >= 1)", refCount);
  }

  public BlockRecord withRefCount(long newRefCount) {
    return new BlockRecord(newRefCount, fingerprint);
  }

  byte[] encode() {
    return ByteBuffer.allocate(8 + fingerprint.length).putLong(refCount).put(fingerprint).array();
  }

  static BlockRecord decode(byte[] bytes) {
    if (bytes.length <= 8) {
      throw new IllegalStateException("block record of " + bytes.length + " bytes (expected: > 8)");
    }
    return new BlockRecord(ByteBuffer.wrap(bytes).getLong(), Arrays.copyOfRange(bytes, 8,
        bytes.length));
  }
}
