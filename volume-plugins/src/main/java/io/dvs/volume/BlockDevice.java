package io.dvs.volume;

import java.io.IOException;

/**
 * A device of fixed-size blocks that a {@link VolumePlugin} provides: the "physical" space of a
 * storage node (paper 2's LBA_L lives here). Block numbers run from 0 to
 * {@code capacityBlocks() - 1}; every transfer is exactly {@link #BLOCK_SIZE_BYTES}.
 *
 * <p>Implementations are safe for concurrent {@code read}/{@code write} of different blocks;
 * the caller (the SN's space allocator) guarantees no two threads write one block at once.
 * A {@code write} is durable only after a later {@link #sync()} returns.
 */
public interface BlockDevice extends AutoCloseable {
  /** The block size of the whole system (papers 1 and 2: 4 KiB blocks). */
  int BLOCK_SIZE_BYTES = 4096;

  long capacityBlocks();

  /** Reads block {@code blockNo} into {@code dst[off .. off + BLOCK_SIZE_BYTES)}. */
  void read(long blockNo, byte[] dst, int off) throws IOException;

  /** Writes {@code src[off .. off + BLOCK_SIZE_BYTES)} to block {@code blockNo}. */
  void write(long blockNo, byte[] src, int off) throws IOException;

  /**
   * Reads the {@code count} consecutive blocks from {@code first} into {@code dst} from
   * {@code off}. A device that can do it in one call (one pread of a sequential run instead of
   * one a block) overrides this.
   */
  default void read(long first, int count, byte[] dst, int off) throws IOException {
    for (int i = 0; i < count; i++) {
      read(first + i, dst, off + i * BLOCK_SIZE_BYTES);
    }
  }

  /** Writes {@code count} consecutive blocks from {@code src[off ..)} from block {@code first}. */
  default void write(long first, int count, byte[] src, int off) throws IOException {
    for (int i = 0; i < count; i++) {
      write(first + i, src, off + i * BLOCK_SIZE_BYTES);
    }
  }

  /**
   * Tells the device that {@code count} blocks from {@code blockNo} hold nothing of value, so it
   * may give the space back (punch a hole, TRIM). Their content afterwards is unspecified
   * (zeros or old data): callers must not read a discarded block before writing it again.
   */
  void discard(long blockNo, long count) throws IOException;

  /** Makes every completed {@code write} durable. */
  void sync() throws IOException;

  @Override
  void close() throws IOException;
}
