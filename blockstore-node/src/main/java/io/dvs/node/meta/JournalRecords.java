package io.dvs.node.meta;

import com.google.common.base.Preconditions;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The records of the open journal batch, appended under the engine's metadata lock as each
 * change is made, plus the Ls those changes freed (they may be reused only after this batch is
 * durable). Record layout (big-endian; see docs/format/sn-journal.md):
 *
 * <pre>
 * 0x01 NEW      pa u64 | L u64 | fingerprint (digestBytes)   new content stored at L, PA → L
 * 0x02 DUP      pa u64 | L u64                               PA → existing L (reference + 1)
 * 0x03 RELEASE  pa u64                                       PA unmapped
 * 0x04 REWRITE  pa u64 | L u64                               PA's L (its only reference) is
 *                                                            about to be overwritten in place:
 *                                                            its content is unknown from here
 * 0x05 INDEX    L u64 | fingerprint (digestBytes)            L's content is known again
 * </pre>
 *
 * NEW, DUP and RELEASE also drop the reference of the PA's previous L (after the increment),
 * exactly as {@link NodeMetadata} does live, so replay repeats the same state changes in the
 * same order. REWRITE and INDEX change no reference.
 */
final class JournalRecords {
  static final byte NEW = 0x01;
  static final byte DUP = 0x02;
  static final byte RELEASE = 0x03;
  static final byte REWRITE = 0x04;
  static final byte INDEX = 0x05;

  static final int INITIAL_BYTES = 64 * 1024;

  private final int digestBytes;
  private byte[] bytes = new byte[INITIAL_BYTES];
  private int length;
  private long[] freed = new long[64];
  private int freedCount;

  JournalRecords(int digestBytes) {
    this.digestBytes = digestBytes;
  }

  static int newRecordBytes(int digestBytes) {
    return 1 + 16 + digestBytes;
  }

  void putNew(long pa, long location, byte[] fingerprint) {
    Preconditions.checkArgument(fingerprint.length == digestBytes, "fingerprint length");
    ByteBuffer b = reserve(newRecordBytes(digestBytes));
    b.put(NEW).putLong(pa).putLong(location).put(fingerprint);
  }

  void putDup(long pa, long location) {
    reserve(17).put(DUP).putLong(pa).putLong(location);
  }

  void putRelease(long pa) {
    reserve(9).put(RELEASE).putLong(pa);
  }

  void putRewrite(long pa, long location) {
    reserve(17).put(REWRITE).putLong(pa).putLong(location);
  }

  void putIndex(long location, byte[] fingerprint) {
    Preconditions.checkArgument(fingerprint.length == digestBytes, "fingerprint length");
    reserve(9 + digestBytes).put(INDEX).putLong(location).put(fingerprint);
  }

  void addFreed(long location) {
    if (freedCount == freed.length) {
      freed = Arrays.copyOf(freed, freed.length * 2);
    }
    freed[freedCount++] = location;
  }

  private ByteBuffer reserve(int n) {
    if (length + n > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + n));
    }
    ByteBuffer b = ByteBuffer.wrap(bytes, length, n);
    length += n;
    return b;
  }

  int length() {
    return length;
  }

  boolean isEmpty() {
    return length == 0 && freedCount == 0;
  }

  byte[] bytes() {
    return bytes;
  }

  long[] freed() {
    return Arrays.copyOf(freed, freedCount);
  }
}
