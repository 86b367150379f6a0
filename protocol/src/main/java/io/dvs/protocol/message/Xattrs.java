package io.dvs.protocol.message;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.WireReader;
import io.dvs.protocol.WireWriter;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An inode's extended attributes (setxattr(2) and friends; rsync -X), as one immutable value:
 * the journal ships the whole set after each change, so replaying a record is idempotent, and
 * GET_XATTRS returns it in one answer.
 *
 * <pre>
 * u32 count | count x (string name | bytes value)        (names in sorted order)
 * </pre>
 */
public final class Xattrs {
  /** XATTR_NAME_MAX of Linux: longer names are ERANGE in the kernel already. */
  public static final int NAME_BYTES_MAX = 255;
  /** XATTR_SIZE_MAX of Linux: the largest value the VFS passes down. */
  public static final int VALUE_BYTES_MAX = 64 * 1024;
  /**
   * Names plus values of one inode. Bounds one journal record and one GET_XATTRS answer; ext4
   * allows one 4 KiB block, so 128 KiB holds what rsync -X brings from any local filesystem.
   */
  public static final int SET_BYTES_MAX = 128 * 1024;
  /** Attributes per inode: at most this many fit under SET_BYTES_MAX with one-byte names. */
  public static final int COUNT_MAX = SET_BYTES_MAX / 2;

  public static final Xattrs EMPTY = new Xattrs(new TreeMap<>());

  private final SortedMap<String, byte[]> byName;

  private Xattrs(SortedMap<String, byte[]> byName) {
    this.byName = byName;
  }

  /** Copies {@code values}; throws INVALID_ARGUMENT past the limits above. */
  public static Xattrs of(Map<String, byte[]> values) {
    TreeMap<String, byte[]> copy = new TreeMap<>();
    long bytes = 0;
    for (Map.Entry<String, byte[]> e : values.entrySet()) {
      int nameBytes = e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      if (nameBytes == 0 || nameBytes > NAME_BYTES_MAX || e.getValue().length > VALUE_BYTES_MAX) {
        throw DvsException.badRequest("xattr '" + e.getKey() + "': name " + nameBytes
            + " bytes, value " + e.getValue().length + " bytes (expected: name 1.."
            + NAME_BYTES_MAX + ", value <= " + VALUE_BYTES_MAX + ")");
      }
      bytes += nameBytes + e.getValue().length;
      copy.put(e.getKey(), e.getValue().clone());
    }
    if (bytes > SET_BYTES_MAX) {
      throw DvsException.badRequest("xattrs: " + bytes + " bytes (expected: <= "
          + SET_BYTES_MAX + ")");
    }
    return new Xattrs(copy);
  }

  /** Bytes of names and values, the quantity {@link #SET_BYTES_MAX} bounds. */
  public static long sizeBytes(Map<String, byte[]> values) {
    long bytes = 0;
    for (Map.Entry<String, byte[]> e : values.entrySet()) {
      bytes += e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
          + e.getValue().length;
    }
    return bytes;
  }

  /** The attributes by name, sorted; values must not be modified. */
  public SortedMap<String, byte[]> asMap() {
    return Collections.unmodifiableSortedMap(byName);
  }

  public boolean isEmpty() {
    return byName.isEmpty();
  }

  public void writeTo(WireWriter w) {
    w.i32(byName.size());
    byName.forEach((name, value) -> w.string(name).bytes(value));
  }

  public static Xattrs readFrom(WireReader r) {
    int count = r.count("xattr count", COUNT_MAX);
    TreeMap<String, byte[]> values = new TreeMap<>();
    for (int i = 0; i < count; i++) {
      values.put(r.string("xattr name", NAME_BYTES_MAX), r.bytes("xattr value", VALUE_BYTES_MAX));
    }
    return of(values);
  }

  public byte[] encode() {
    WireWriter w = new WireWriter(64);
    writeTo(w);
    return w.toByteArray();
  }

  public static Xattrs decode(byte[] body) {
    WireReader r = new WireReader(body);
    Xattrs x = readFrom(r);
    r.expectEnd("xattrs");
    return x;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Xattrs other) || other.byName.size() != byName.size()) {
      return false;
    }
    for (Map.Entry<String, byte[]> e : byName.entrySet()) {
      if (!Arrays.equals(e.getValue(), other.byName.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return byName.keySet().hashCode();
  }

  @Override
  public String toString() {
    return "Xattrs" + byName.keySet();
  }
}
