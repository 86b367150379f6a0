package io.dvs.node.store;

import com.google.common.base.Preconditions;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The SN superblock: who this node is and what its data directory holds. Written once when the
 * directory is formatted (and, later, when a device is added), read and checked at every start.
 * Full description: {@code docs/format/sn-superblock.md}.
 *
 * <pre>
 * magic        8 B   "DVSSNSB\n"   (a foreign file fails here, before anything else is read)
 * version      u8    2             (a newer format refuses to start rather than guess)
 * nodeUuid     16 B  msb, lsb      (identity towards the MS: REGISTER_NODE gives back the same snId)
 * blockSize    u32   4096          (PAs and Ls are block numbers; a change would corrupt all data)
 * algorithm    u8 n, n B ASCII     (fingerprints in the index were made with it; never mixed)
 * flags        u8                  bit 0: verify-on-match (byte compare before sharing a block)
 * devices      u8 count, then per device:
 *   plugin     u8 n, n B ASCII     (the VolumePlugin that opens it, e.g. "file")
 *   path       u16 n, n B UTF-8    (relative to the data directory, so the directory can move)
 *   capacity   u64 blocks          (a device that shrank or was swapped is refused at open)
 * crc32c       u32                 over every byte before it
 * </pre>
 *
 * All integers big-endian. The file is small and replaced atomically (write a temp file, fsync,
 * rename, fsync the directory), so it is never torn: either the old or the new one is there.
 */
public final class Superblock {
  public static final String FILE_NAME = "superblock";

  static final byte[] MAGIC = "DVSSNSB\n".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 2;

  /** Flag bit: compare bytes before sharing a block (guards against hash collisions). */
  static final int FLAG_VERIFY_ON_MATCH = 1;

  /** Devices one SN may list; algorithm 4 adds devices one by one, so this is plenty. */
  public static final int DEVICES_MAX = 64;

  /** ASCII names (algorithm, plugin) fit in one byte of length. */
  static final int NAME_BYTES_MAX = 64;

  /** A device path relative to the data directory. */
  static final int PATH_BYTES_MAX = 1024;

  /** Bigger than any valid superblock: a larger file is not ours and is not read into memory. */
  static final int FILE_BYTES_MAX = 128 * 1024;

  /** One device of the SN, in the order of its L ranges. */
  public record Device(String plugin, String relativePath, long capacityBlocks) {
    public Device {
      Preconditions.checkArgument(!plugin.isEmpty() && plugin.length() <= NAME_BYTES_MAX,
          "plugin: '%s'", plugin);
      Preconditions.checkArgument(relativePath.getBytes(StandardCharsets.UTF_8).length
          <= PATH_BYTES_MAX, "path too long: %s", relativePath);
      Preconditions.checkArgument(capacityBlocks > 0, "capacityBlocks: %s", capacityBlocks);
    }
  }

  private final UUID nodeUuid;
  private final int blockSizeBytes;
  private final String fingerprintAlgorithm;
  private final boolean verifyOnMatch;
  private final List<Device> devices;

  public Superblock(UUID nodeUuid, int blockSizeBytes, String fingerprintAlgorithm,
      boolean verifyOnMatch, List<Device> devices) {
    Preconditions.checkArgument(!fingerprintAlgorithm.isEmpty()
        && fingerprintAlgorithm.length() <= NAME_BYTES_MAX
        && StandardCharsets.US_ASCII.newEncoder().canEncode(fingerprintAlgorithm),
        "fingerprint algorithm: '%s'", fingerprintAlgorithm);
    Preconditions.checkArgument(devices.size() <= DEVICES_MAX, "devices: %s", devices.size());
    this.nodeUuid = nodeUuid;
    this.blockSizeBytes = blockSizeBytes;
    this.fingerprintAlgorithm = fingerprintAlgorithm;
    this.verifyOnMatch = verifyOnMatch;
    this.devices = List.copyOf(devices);
  }

  public UUID nodeUuid() {
    return nodeUuid;
  }

  public int blockSizeBytes() {
    return blockSizeBytes;
  }

  public String fingerprintAlgorithm() {
    return fingerprintAlgorithm;
  }

  public List<Device> devices() {
    return devices;
  }

  public boolean verifyOnMatch() {
    return verifyOnMatch;
  }

  /** This superblock with one more device at the end (algorithm 4). */
  public Superblock withDevice(Device device) {
    List<Device> more = new ArrayList<>(devices);
    more.add(device);
    return new Superblock(nodeUuid, blockSizeBytes, fingerprintAlgorithm, verifyOnMatch, more);
  }

  byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(FILE_BYTES_MAX);
    b.put(MAGIC).put((byte) VERSION);
    b.putLong(nodeUuid.getMostSignificantBits()).putLong(nodeUuid.getLeastSignificantBits());
    b.putInt(blockSizeBytes);
    putName(b, fingerprintAlgorithm);
    b.put((byte) (verifyOnMatch ? FLAG_VERIFY_ON_MATCH : 0));
    b.put((byte) devices.size());
    for (Device d : devices) {
      putName(b, d.plugin());
      byte[] path = d.relativePath().getBytes(StandardCharsets.UTF_8);
      b.putShort((short) path.length).put(path);
      b.putLong(d.capacityBlocks());
    }
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue());
    return Arrays.copyOf(b.array(), b.position());
  }

  private static void putName(ByteBuffer b, String name) {
    byte[] ascii = name.getBytes(StandardCharsets.US_ASCII);
    b.put((byte) ascii.length).put(ascii);
  }

  /** Writes {@code dir/superblock} atomically (temp file, fsync, rename, fsync directory). */
  public void writeTo(Path dir) throws IOException {
    Path tmp = dir.resolve(FILE_NAME + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ByteBuffer bytes = ByteBuffer.wrap(encode());
      while (bytes.hasRemaining()) {
        ch.write(bytes);
      }
      ch.force(true);
    }
    Files.move(tmp, dir.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    syncDirectory(dir);
  }

  /** Makes a rename or create in {@code dir} durable (Linux: fsync on the directory). */
  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /** Reads and checks {@code file}; anything wrong is an IO_ERROR naming the file. */
  public static Superblock read(Path file) {
    byte[] bytes;
    try {
      long size = Files.size(file);
      if (size > FILE_BYTES_MAX) {
        throw corrupt(file, "size " + size + " bytes (expected: <= " + FILE_BYTES_MAX + ")");
      }
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new DvsException(ErrorCode.IO_ERROR, "cannot read superblock " + file + ": " + e, e);
    }
    try {
      return decode(file, bytes);
    } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
      throw corrupt(file, "truncated or malformed (" + e + ")");
    }
  }

  private static Superblock decode(Path file, byte[] bytes) {
    if (bytes.length < MAGIC.length + 4
        || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw corrupt(file, "no dvs SN superblock magic: not a dvs storage node directory");
    }
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    int stored = ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt();
    if (stored != (int) crc.getValue()) {
      throw corrupt(file, "checksum mismatch (stored " + Integer.toHexString(stored)
          + ", computed " + Long.toHexString(crc.getValue()) + ")");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes, MAGIC.length, bytes.length - 4 - MAGIC.length);
    int version = b.get() & 0xFF;
    if (version != VERSION) {
      throw corrupt(file, "format version " + version + " (this build reads " + VERSION
          + "); use the dvs release that wrote it");
    }
    UUID uuid = new UUID(b.getLong(), b.getLong());
    int blockSize = b.getInt();
    String algorithm = getName(b);
    int flags = b.get() & 0xFF;
    if ((flags & ~FLAG_VERIFY_ON_MATCH) != 0) {
      throw corrupt(file, "unknown flags " + Integer.toHexString(flags));
    }
    int count = b.get() & 0xFF;
    if (count > DEVICES_MAX) {
      throw corrupt(file, "devices: " + count + " (expected: <= " + DEVICES_MAX + ")");
    }
    List<Device> devices = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String plugin = getName(b);
      byte[] path = new byte[b.getShort() & 0xFFFF];
      b.get(path);
      devices.add(new Device(plugin, new String(path, StandardCharsets.UTF_8), b.getLong()));
    }
    if (b.hasRemaining()) {
      throw corrupt(file, b.remaining() + " trailing bytes (expected: 0)");
    }
    return new Superblock(uuid, blockSize, algorithm, (flags & FLAG_VERIFY_ON_MATCH) != 0,
        devices);
  }

  private static String getName(ByteBuffer b) {
    byte[] ascii = new byte[b.get() & 0xFF];
    b.get(ascii);
    return new String(ascii, StandardCharsets.US_ASCII);
  }

  static DvsException corrupt(Path file, String why) {
    return new DvsException(ErrorCode.IO_ERROR, "superblock " + file + " is invalid: " + why
        + "; refusing to start (restore the data directory from backup, or point the node at "
        + "an empty directory to format a new one)");
  }
}
