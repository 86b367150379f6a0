package io.dvs.meta.store;

import java.nio.ByteBuffer;

/**
 * Key encodings of the store's sorted maps. Every key is a big-endian byte string compared as
 * unsigned bytes, shorter first on a common prefix (MapDB's {@code Serializer.BYTE_ARRAY}
 * comparator; pinned by {@code KeysOrderTest}). All numbers in keys are non-negative, so
 * big-endian bytes sort like the numbers, and a (prefix, next prefix) pair bounds a scan:
 *
 * <pre>
 * inode   = volumeId u64 | ino u64
 * dirent  = volumeId u64 | parentIno u64 | name UTF-8 bytes   (names sort by their bytes)
 * lpt     = volumeId u64 | ino u64 | chunkIndex u64   (LptChunk: block / 256)
 * paRun   = snId u32 | paStart u64
 * release = snId u32 | pa u64
 * leased  = volumeId u64 | snId u32 | paStart u64
 * </pre>
 */
public final class Keys {
  private Keys() {}

  public static byte[] volume(long volumeId) {
    return ByteBuffer.allocate(8).putLong(volumeId).array();
  }

  public static byte[] inode(long volumeId, long ino) {
    return ByteBuffer.allocate(16).putLong(volumeId).putLong(ino).array();
  }

  public static byte[] dirent(long volumeId, long parentIno, byte[] name) {
    return ByteBuffer.allocate(16 + name.length).putLong(volumeId).putLong(parentIno).put(name)
        .array();
  }

  public static byte[] lpt(long volumeId, long ino, long chunkIndex) {
    return ByteBuffer.allocate(24).putLong(volumeId).putLong(ino).putLong(chunkIndex).array();
  }

  /** A key with {@code snId} then {@code pa}: free PA runs and the release queue. */
  public static byte[] snPa(int snId, long pa) {
    return ByteBuffer.allocate(12).putInt(snId).putLong(pa).array();
  }

  /** A run of PAs leased to a volume: {@link LeasedPaTable}. */
  public static byte[] leasedPa(long volumeId, int snId, long pa) {
    return ByteBuffer.allocate(20).putLong(volumeId).putInt(snId).putLong(pa).array();
  }

  public static long longAt(byte[] key, int offset) {
    return ByteBuffer.wrap(key, offset, 8).getLong();
  }

  public static int intAt(byte[] key, int offset) {
    return ByteBuffer.wrap(key, offset, 4).getInt();
  }

  /** The name part of a dirent key. */
  public static byte[] direntName(byte[] key) {
    byte[] name = new byte[key.length - 16];
    System.arraycopy(key, 16, name, 0, name.length);
    return name;
  }
}
