package io.dvs.client.data;

import static io.dvs.protocol.ProtocolLimits.BATCH_BLOCKS_MAX;
import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;

import io.dvs.client.fs.Errno;
import io.dvs.client.fs.FsException;
import io.dvs.client.net.Futures;
import io.dvs.client.net.StorageClients;
import io.dvs.protocol.message.BlockOps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Block reads and writes against the SNs, through the {@link BlockCache}. Blocks for one SN go
 * in batches of up to {@link io.dvs.protocol.ProtocolLimits#BATCH_BLOCKS_MAX}, and every batch
 * of a call is in flight at once (one connection per SN carries many requests).
 */
final class BlockIo {
  private final StorageClients storage;
  private final BlockCache cache;

  BlockIo(StorageClients storage, BlockCache cache) {
    this.storage = storage;
    this.cache = cache;
  }

  BlockCache cache() {
    return cache;
  }

  /** Reads {@code count} logical blocks of {@code lpt} from {@code first}; holes are zeros. */
  byte[] read(Lpt lpt, long first, int count) {
    byte[] out = new byte[count * BLOCK_SIZE_BYTES];
    Map<Integer, List<long[]>> bySn = new LinkedHashMap<>(); // snId -> [pa, slot]
    for (int i = 0; i < count; i++) {
      BlockAddress a = lpt.lookup(first + i);
      if (a == null) {
        continue;
      }
      byte[] cached = cache.get(a);
      if (cached != null) {
        System.arraycopy(cached, 0, out, i * BLOCK_SIZE_BYTES, BLOCK_SIZE_BYTES);
      } else {
        bySn.computeIfAbsent(a.snId(), k -> new ArrayList<>()).add(new long[] {a.pa(), i});
      }
    }
    List<CompletableFuture<Void>> reads = new ArrayList<>();
    for (Map.Entry<Integer, List<long[]>> sn : bySn.entrySet()) {
      int snId = sn.getKey();
      List<long[]> rows = sn.getValue();
      for (int from = 0; from < rows.size(); from += BATCH_BLOCKS_MAX) {
        List<long[]> batch = rows.subList(from, Math.min(rows.size(), from + BATCH_BLOCKS_MAX));
        long[] pas = batch.stream().mapToLong(r -> r[0]).toArray();
        reads.add(storage.read(snId, new BlockOps.ReadBlocks(pas)).thenAccept(data -> {
          checkLength(data, pas.length);
          for (int j = 0; j < batch.size(); j++) {
            System.arraycopy(data, j * BLOCK_SIZE_BYTES, out,
                (int) batch.get(j)[1] * BLOCK_SIZE_BYTES, BLOCK_SIZE_BYTES);
            cache.put(new BlockAddress(snId, pas[j]), data, j * BLOCK_SIZE_BYTES);
          }
        }));
      }
    }
    join(reads);
    return out;
  }

  /**
   * Writes block {@code i} of {@code blocks} to {@code targets[i]} (null: skip) and waits for
   * every SN's acknowledgement. Cached copies are dropped first and refreshed only on success,
   * so a failed write never leaves the cache claiming data the SN may not have.
   */
  void write(byte[] blocks, BlockAddress[] targets) {
    Map<Integer, List<Integer>> bySn = new LinkedHashMap<>();
    for (int i = 0; i < targets.length; i++) {
      if (targets[i] != null) {
        cache.invalidate(targets[i]);
        bySn.computeIfAbsent(targets[i].snId(), k -> new ArrayList<>()).add(i);
      }
    }
    List<CompletableFuture<?>> writes = new ArrayList<>();
    for (Map.Entry<Integer, List<Integer>> sn : bySn.entrySet()) {
      List<Integer> slots = sn.getValue();
      for (int from = 0; from < slots.size(); from += BATCH_BLOCKS_MAX) {
        List<Integer> batch = slots.subList(from, Math.min(slots.size(), from + BATCH_BLOCKS_MAX));
        long[] pas = new long[batch.size()];
        byte[] data = new byte[batch.size() * BLOCK_SIZE_BYTES];
        for (int j = 0; j < batch.size(); j++) {
          int slot = batch.get(j);
          pas[j] = targets[slot].pa();
          System.arraycopy(blocks, slot * BLOCK_SIZE_BYTES, data, j * BLOCK_SIZE_BYTES,
              BLOCK_SIZE_BYTES);
        }
        writes.add(storage.write(sn.getKey(), new BlockOps.WriteBlocks(pas, data, 0)));
      }
    }
    join(writes);
    for (int i = 0; i < targets.length; i++) {
      if (targets[i] != null) {
        cache.put(targets[i], blocks, i * BLOCK_SIZE_BYTES);
      }
    }
  }

  private static void checkLength(byte[] data, int blocks) {
    if (data.length != blocks * BLOCK_SIZE_BYTES) {
      throw new FsException(Errno.EIO, "storage node returned " + data.length + " bytes for "
          + blocks + " blocks");
    }
  }

  private static void join(List<? extends CompletableFuture<?>> futures) {
    try {
      CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).join();
    } catch (RuntimeException e) {
      throw Futures.unwrap(e);
    }
  }
}
