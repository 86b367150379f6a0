package io.dvs.volume.disk;

import com.sun.nio.file.ExtendedOpenOption;
import io.dvs.volume.BlockDevice;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * A block device that is a whole raw device (a disk or partition such as {@code /dev/sdb},
 * {@code /dev/loop3}), bypassing the page cache with {@code O_DIRECT}.
 *
 * <pre>
 * byte 0                                                  capacityBlocks x 4096
 * | block 0 | block 1 | ...                  | block capacityBlocks - 1 | (tail &lt; 4096, unused)
 * </pre>
 *
 * <p>Like the {@code file} plugin there is no header: block n lives at byte {@code n x 4096}.
 * The device is never created or resized here; an administrator hands it over whole.
 * {@code O_DIRECT} needs the buffer, the position and the length aligned to the device's logical
 * block size (512 or 4096), so every transfer goes through a 4096-aligned direct buffer, one per
 * thread. {@link #discard} is a no-op: a spinning disk has no TRIM and gains nothing from the
 * hint (the {@code ssd} plugin passes it on).
 */
public class DiskBlockDevice implements BlockDevice {
  /** Alignment of every O_DIRECT transfer: the largest logical block size devices use. */
  static final int DIRECT_ALIGNMENT_BYTES = 4096;

  /** From sys/stat.h: the file-type bits of st_mode, and the type of a block device. */
  private static final int S_IFMT = 0170000;

  private static final int S_IFBLK = 0060000;

  /** One aligned block per thread: allocateDirect is slow and the buffers are never freed early. */
  private static final ThreadLocal<ByteBuffer> BUFFER = ThreadLocal.withInitial(
      () -> ByteBuffer.allocateDirect(BLOCK_SIZE_BYTES + DIRECT_ALIGNMENT_BYTES)
          .alignedSlice(DIRECT_ALIGNMENT_BYTES).slice(0, BLOCK_SIZE_BYTES));

  private final Path path;
  private final FileChannel channel;
  private final long capacityBlocks;

  protected DiskBlockDevice(DiskBlockDevice device) {
    this(device.path, device.channel, device.capacityBlocks);
  }

  private DiskBlockDevice(Path path, FileChannel channel, long capacityBlocks) {
    this.path = path;
    this.channel = channel;
    this.capacityBlocks = capacityBlocks;
  }

  /**
   * Opens the block device at {@code path}; its capacity is its size in whole 4 KiB blocks.
   * A missing path, or one that is not a block device, is refused with its name in the message.
   */
  public static DiskBlockDevice open(Path path) throws IOException {
    checkIsBlockDevice(path);
    FileChannel channel = FileChannel.open(path, StandardOpenOption.READ,
        StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
    try {
      long sizeBytes = channel.size();
      if (sizeBytes <= 0) { // some JDKs report st_size, which is 0 for a block device
        sizeBytes = sysfsSizeBytes(path);
      }
      long capacityBlocks = sizeBytes / BLOCK_SIZE_BYTES;
      if (capacityBlocks < 1) {
        throw new IOException(path + ": device size " + sizeBytes + " bytes is less than one "
            + BLOCK_SIZE_BYTES + "-byte block");
      }
      return new DiskBlockDevice(path, channel, capacityBlocks);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * Takes over an existing device: the plugin cannot make one, so {@code capacityBlocks} must be
   * the device's own capacity (proof the caller meant this device, not a unit mistake).
   */
  public static DiskBlockDevice create(Path path, long capacityBlocks) throws IOException {
    DiskBlockDevice device = open(path);
    if (device.capacityBlocks != capacityBlocks) {
      device.close();
      throw new IllegalArgumentException("capacityBlocks: " + capacityBlocks + " (expected: "
          + device.capacityBlocks + ", the size of " + path + "; a raw device is never resized)");
    }
    return device;
  }

  public Path path() {
    return path;
  }

  @Override
  public long capacityBlocks() {
    return capacityBlocks;
  }

  @Override
  public void read(long blockNo, byte[] dst, int off) throws IOException {
    checkBlocks(blockNo, 1);
    Objects.checkFromIndexSize(off, BLOCK_SIZE_BYTES, dst.length);
    ByteBuffer buffer = BUFFER.get().clear();
    long position = blockNo * BLOCK_SIZE_BYTES;
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, position + buffer.position()) < 0) {
        throw new EOFException(path + ": block " + blockNo + " is past the end of the device");
      }
    }
    buffer.flip().get(dst, off, BLOCK_SIZE_BYTES);
  }

  @Override
  public void write(long blockNo, byte[] src, int off) throws IOException {
    checkBlocks(blockNo, 1);
    Objects.checkFromIndexSize(off, BLOCK_SIZE_BYTES, src.length);
    ByteBuffer buffer = BUFFER.get().clear();
    buffer.put(src, off, BLOCK_SIZE_BYTES).flip();
    long position = blockNo * BLOCK_SIZE_BYTES;
    while (buffer.hasRemaining()) {
      channel.write(buffer, position + buffer.position());
    }
  }

  /** Checks the range and does nothing else: a hard disk has no TRIM. */
  @Override
  public void discard(long blockNo, long count) throws IOException {
    checkBlocks(blockNo, count);
  }

  /** fsync: O_DIRECT skips the page cache, not the drive's volatile write cache. */
  @Override
  public void sync() throws IOException {
    channel.force(true);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  private void checkBlocks(long blockNo, long count) {
    if (blockNo < 0 || count < 0 || blockNo > capacityBlocks - count) {
      throw new IllegalArgumentException("blocks " + blockNo + "+" + count + " on " + path
          + " (expected: within 0.." + capacityBlocks + ")");
    }
  }

  private static void checkIsBlockDevice(Path path) throws IOException {
    if (!Files.exists(path)) {
      throw new NoSuchFileException(path.toString(), null, "no such block device");
    }
    int mode;
    try {
      mode = (Integer) Files.getAttribute(path, "unix:mode");
    } catch (UnsupportedOperationException e) {
      throw new IOException(path + ": cannot tell whether it is a block device on this OS", e);
    }
    if ((mode & S_IFMT) != S_IFBLK) {
      throw new IllegalArgumentException(path + " is not a block device (mode "
          + Integer.toOctalString(mode) + "); the disk and ssd plugins take a raw device such as"
          + " /dev/sdb, the file plugin takes an image file");
    }
  }

  /** /sys/class/block/NAME/size counts 512-byte sectors whatever the device's sector size. */
  private static long sysfsSizeBytes(Path path) throws IOException {
    String name = path.toRealPath(new LinkOption[0]).getFileName().toString();
    Path size = Path.of("/sys/class/block", name, "size");
    try {
      return Long.parseLong(Files.readString(size).trim()) * 512;
    } catch (IOException | NumberFormatException e) {
      throw new IOException(path + ": cannot read the device size from " + size, e);
    }
  }

  @Override
  public String toString() {
    return "disk device " + path + " (" + capacityBlocks + " blocks)";
  }
}
