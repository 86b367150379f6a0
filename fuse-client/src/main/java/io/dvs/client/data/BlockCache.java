package io.dvs.client.data;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;

/**
 * Hot blocks by physical address (DESIGN.md, "a block cache keeps hot blocks"): saves the SN
 * round trip of read-modify-write of partial blocks and of re-reads the kernel's page cache
 * dropped. Keyed by (SN, PA), which is safe because this mount holds the volume's only
 * read-write lease: every write to a PA goes through {@link #put} (write-through), and a PA
 * released by punch/truncate/delete is {@link #invalidate}d before it can be handed out again.
 *
 * <p>Bounded by bytes (LRU-like eviction); thread-safe.
 */
public final class BlockCache {
  /**
   * 64 MiB: sixteen thousand blocks, enough for the partial-block edges of many streams and a
   * hot working set, small next to the page cache that serves most re-reads.
   */
  public static final long CACHE_BYTES_MAX = 64L * 1024 * 1024;

  private final Cache<BlockAddress, byte[]> blocks;

  public BlockCache(long bytesMax) {
    this.blocks = CacheBuilder.newBuilder()
        .maximumWeight(bytesMax)
        .weigher((BlockAddress a, byte[] b) -> b.length)
        .concurrencyLevel(4)
        .build();
  }

  /** The cached block (do not modify it), or null. */
  public byte[] get(BlockAddress address) {
    return blocks.getIfPresent(address);
  }

  /** Caches a copy of the block at {@code offset} of {@code data}. */
  public void put(BlockAddress address, byte[] data, int offset) {
    byte[] copy = new byte[BLOCK_SIZE_BYTES];
    System.arraycopy(data, offset, copy, 0, BLOCK_SIZE_BYTES);
    blocks.put(address, copy);
  }

  public void invalidate(BlockAddress address) {
    blocks.invalidate(address);
  }

  public long size() {
    return blocks.size();
  }
}
