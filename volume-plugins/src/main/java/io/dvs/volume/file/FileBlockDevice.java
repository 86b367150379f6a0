package io.dvs.volume.file;

import io.dvs.volume.BlockDevice;
import io.dvs.volume.LinuxLibC;
import java.io.EOFException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.logging.Logger;

/**
 * A block device in a sparse file.
 *
 * <pre>
 * byte 0                                                  capacityBlocks x 4096
 * | block 0 | block 1 | ...                  | block capacityBlocks - 1 |
 * </pre>
 *
 * <p>The file carries no header: its length is {@code capacityBlocks x 4096} and block n lives at
 * byte {@code n x 4096}, so the image can be inspected with {@code dd}. Whoever creates it records
 * what it is (the SN names it in its superblock). The file is created with
 * {@code setLength} (ftruncate), so an unwritten block takes no space; {@link #discard} punches a
 * hole (fallocate) where the OS and file system allow, and is a no-op elsewhere. Writes go to the
 * page cache, and their writeback starts every few MiB ({@link Writeback}), so a {@link #sync}
 * waits for little.
 */
public final class FileBlockDevice implements BlockDevice {
  private static final Logger LOG = Logger.getLogger(FileBlockDevice.class.getName());

  /**
   * A capacity past this is almost certainly a unit mistake (bytes for blocks): 2^40 blocks is
   * 4 PiB, beyond any single file system we would put an image on.
   */
  public static final long CAPACITY_BLOCKS_MAX = 1L << 40;

  private final Path path;
  private final FileChannel channel;
  private final long capacityBlocks;
  /** A descriptor of our own for the calls the JDK lacks ({@link LinuxLibC}), or -1. */
  private final int nativeFd;
  /** fallocate(PUNCH_HOLE | KEEP_SIZE): gives discarded blocks' space back. */
  private final FdCall holePuncher;
  private final Writeback writeback;

  private FileBlockDevice(Path path, FileChannel channel, long capacityBlocks) {
    this.path = path;
    this.channel = channel;
    this.capacityBlocks = capacityBlocks;
    this.nativeFd = LinuxLibC.available() ? LinuxLibC.openReadWrite(path) : -1;
    if (LinuxLibC.available() && nativeFd < 0) {
      int errno = LinuxLibC.lastErrno();
      LOG.fine(() -> path + ": cannot open for hole punching and writeback (errno " + errno
          + "); both are no-ops");
    }
    this.holePuncher = new FdCall(path, nativeFd, "fallocate(PUNCH_HOLE)",
        "discard is a no-op from now on");
    this.writeback = new Writeback(path, nativeFd);
  }

  /** Creates a sparse file of {@code capacityBlocks} blocks; fails if {@code path} exists. */
  public static FileBlockDevice create(Path path, long capacityBlocks) throws IOException {
    if (capacityBlocks < 1 || capacityBlocks > CAPACITY_BLOCKS_MAX) {
      throw new IllegalArgumentException("capacityBlocks: " + capacityBlocks
          + " (expected: 1.." + CAPACITY_BLOCKS_MAX + ")");
    }
    if (Files.exists(path)) {
      throw new FileAlreadyExistsException(path.toString(), null, "device file already exists");
    }
    try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
      file.setLength(capacityBlocks * BLOCK_SIZE_BYTES);
      file.getFD().sync();
    }
    return open(path);
  }

  /** Opens a device file; its length must be a whole number of blocks. */
  public static FileBlockDevice open(Path path) throws IOException {
    FileChannel channel = FileChannel.open(path, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    try {
      long sizeBytes = channel.size();
      if (sizeBytes == 0 || sizeBytes % BLOCK_SIZE_BYTES != 0
          || sizeBytes / BLOCK_SIZE_BYTES > CAPACITY_BLOCKS_MAX) {
        throw new IOException(path + ": length " + sizeBytes + " bytes is not 1.."
            + CAPACITY_BLOCKS_MAX + " blocks of " + BLOCK_SIZE_BYTES + " bytes; not a device file");
      }
      return new FileBlockDevice(path, channel, sizeBytes / BLOCK_SIZE_BYTES);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  public Path path() {
    return path;
  }

  /** True if {@link #discard} really returns space (fallocate works here). */
  public boolean discardPunchesHoles() {
    return holePuncher.works();
  }

  @Override
  public long capacityBlocks() {
    return capacityBlocks;
  }

  @Override
  public void read(long blockNo, byte[] dst, int off) throws IOException {
    read(blockNo, 1, dst, off);
  }

  @Override
  public void write(long blockNo, byte[] src, int off) throws IOException {
    write(blockNo, 1, src, off);
  }

  @Override
  public void read(long first, int count, byte[] dst, int off) throws IOException {
    checkBlock(first, count);
    Objects.checkFromIndexSize(off, count * BLOCK_SIZE_BYTES, dst.length);
    ByteBuffer buffer = ByteBuffer.wrap(dst, off, count * BLOCK_SIZE_BYTES);
    long position = first * BLOCK_SIZE_BYTES;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, position + buffer.position() - off);
      if (n < 0) {
        throw new EOFException(path + ": block " + (first + (buffer.position() - off)
            / BLOCK_SIZE_BYTES) + " is past the end of the file");
      }
    }
  }

  @Override
  public void write(long first, int count, byte[] src, int off) throws IOException {
    checkBlock(first, count);
    Objects.checkFromIndexSize(off, count * BLOCK_SIZE_BYTES, src.length);
    ByteBuffer buffer = ByteBuffer.wrap(src, off, count * BLOCK_SIZE_BYTES);
    long position = first * BLOCK_SIZE_BYTES;
    while (buffer.hasRemaining()) {
      channel.write(buffer, position + buffer.position() - off);
    }
    writeback.written((long) count * BLOCK_SIZE_BYTES);
  }

  /** Writebacks started early so far (for tests). */
  long writebackKicks() {
    return writeback.kicks();
  }

  @Override
  public void discard(long blockNo, long count) throws IOException {
    checkBlock(blockNo, count);
    if (count > 0) {
      holePuncher.run(fd -> LinuxLibC.punchHole(fd, blockNo * BLOCK_SIZE_BYTES,
          count * BLOCK_SIZE_BYTES));
    }
  }

  @Override
  public void sync() throws IOException {
    // Data only: the length never changes after create, so fdatasync is enough.
    channel.force(false);
  }

  @Override
  public void close() throws IOException {
    try {
      writeback.close();
      holePuncher.stop();
      LinuxLibC.close(nativeFd);
    } finally {
      channel.close();
    }
  }

  private void checkBlock(long blockNo, long count) {
    if (blockNo < 0 || count < 0 || blockNo > capacityBlocks - count) {
      throw new IllegalArgumentException("blocks " + blockNo + "+" + count + " on " + path
          + " (expected: within 0.." + capacityBlocks + ")");
    }
  }

  @Override
  public String toString() {
    return "file device " + path + " (" + capacityBlocks + " blocks)";
  }
}
