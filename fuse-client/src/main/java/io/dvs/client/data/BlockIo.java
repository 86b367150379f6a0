package io.dvs.client.data;

import static io.dvs.protocol.ProtocolLimits.BATCH_BLOCKS_MAX;
import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;

import io.dvs.client.fs.Errno;
import io.dvs.client.fs.FsException;
import io.dvs.client.net.StorageClients;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.message.BlockOps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Block reads and writes against the SNs. Blocks for one SN go in batches of up to
 * {@link io.dvs.protocol.ProtocolLimits#BATCH_BLOCKS_MAX}, and every batch of a call is in
 * flight at once (one connection per SN carries many requests).
 *
 * <p>Writes are write-behind: {@link #write} returns once its batches are sent, so one writer
 * keeps several requests in flight instead of waiting a round trip per FUSE request. What keeps
 * that safe: reads see writes not yet durable ({@link #inFlight}); a second write to a PA waits
 * for the first to be answered (an SN may run two requests in either order); the journal ships
 * LPT rows only after {@link StorageClients#flushWritten} has made every write durable, sending
 * again what a restarted SN lost; and a write an SN refuses for good is reported at the next
 * fsync. The window is bounded by {@link StorageClients#WRITE_BEHIND_BLOCKS_MAX}, well inside
 * the ~1 s of work DESIGN.md lets a client lose without fsync.
 */
final class BlockIo {
  private final StorageClients storage;

  /**
   * A block sent but not yet durable (at {@code offset} of its request's data); {@code ended}
   * completes when the SN has answered.
   */
  private record InFlight(byte[] data, int offset, CompletableFuture<Void> ended) {}

  /** A batch's [pa, offset in out] rows and the read of them sent to their SN. */
  private record SentRead(List<long[]> batch, StorageClients.PendingRead read) {}

  /**
   * By address; an entry leaves when its write is durable ({@link StorageClients.Write#settled}):
   * until then an SN that restarted may have lost it, and reads must not see older data.
   */
  private final Map<BlockAddress, InFlight> inFlight = new ConcurrentHashMap<>();

  BlockIo(StorageClients storage) {
    this.storage = storage;
  }

  /** Throws the first block write an SN refused for good since the last call, if any. */
  void reportLostWrite() {
    DvsException lost = storage.takeLostWrite();
    if (lost != null) {
      throw lost;
    }
  }

  /** Reads {@code count} logical blocks of {@code lpt} from {@code first}; holes are zeros. */
  byte[] read(Lpt lpt, long first, int count) {
    byte[] out = new byte[count * BLOCK_SIZE_BYTES];
    readInto(lpt, first, count, out, 0);
    return out;
  }

  /**
   * As {@link #read}, into {@code out} from {@code at}: every byte of the {@code count} blocks
   * there is written (holes as zeros), so {@code out} may hold anything before.
   */
  void readInto(Lpt lpt, long first, int count, byte[] out, int at) {
    Objects.checkFromIndexSize(at, count * BLOCK_SIZE_BYTES, out.length);
    Map<Integer, List<long[]>> bySn = new LinkedHashMap<>(); // snId -> [pa, slot's offset]
    for (int i = 0; i < count; i++) {
      int slot = at + i * BLOCK_SIZE_BYTES;
      BlockAddress a = lpt.lookup(first + i);
      InFlight unsettled = a == null ? null : inFlight.get(a);
      if (a == null) {
        Arrays.fill(out, slot, slot + BLOCK_SIZE_BYTES, (byte) 0);
      } else if (unsettled != null) {
        System.arraycopy(unsettled.data(), unsettled.offset(), out, slot, BLOCK_SIZE_BYTES);
      } else {
        bySn.computeIfAbsent(a.snId(), k -> new ArrayList<>()).add(new long[] {a.pa(), slot});
      }
    }
    // Every request goes out before any answer is awaited, so the SNs work in parallel; the
    // answers come back on this thread (StorageClients#startRead).
    List<SentRead> sent = new ArrayList<>();
    int answered = 0;
    try {
      for (Map.Entry<Integer, List<long[]>> sn : bySn.entrySet()) {
        List<long[]> rows = sn.getValue();
        for (int from = 0; from < rows.size(); from += BATCH_BLOCKS_MAX) {
          List<long[]> batch = rows.subList(from, Math.min(rows.size(), from + BATCH_BLOCKS_MAX));
          sent.add(new SentRead(batch,
              storage.startRead(sn.getKey(), new BlockOps.ReadBlocks(pas(batch)))));
        }
      }
      for (; answered < sent.size(); answered++) {
        place(sent.get(answered).batch(), sent.get(answered).read().answer(), out);
      }
    } finally {
      for (int i = answered; i < sent.size(); i++) {
        sent.get(i).read().abandon(); // a failure left these unanswered: free their connections
      }
    }
  }

  private static long[] pas(List<long[]> batch) {
    return batch.stream().mapToLong(r -> r[0]).toArray();
  }

  /**
   * Copies the blocks an SN returned for {@code batch} ([pa, byte offset in out] rows) into
   * place.
   */
  private static void place(List<long[]> batch, byte[] data, byte[] out) {
    checkLength(data, batch.size());
    for (int j = 0; j < batch.size(); j++) {
      System.arraycopy(data, j * BLOCK_SIZE_BYTES, out, (int) batch.get(j)[1], BLOCK_SIZE_BYTES);
    }
  }

  /**
   * Sends block {@code i} of {@code blocks} to {@code targets[i]} (null: skip) and returns once
   * every batch is on its way; the SNs' acknowledgements arrive later (see the class comment).
   */
  void write(byte[] blocks, BlockAddress[] targets) {
    Map<Integer, List<Integer>> bySn = new LinkedHashMap<>();
    for (int i = 0; i < targets.length; i++) {
      if (targets[i] != null) {
        InFlight earlier = inFlight.get(targets[i]);
        if (earlier != null) {
          earlier.ended().join(); // Keep writes to one PA in order.
        }
        bySn.computeIfAbsent(targets[i].snId(), k -> new ArrayList<>()).add(i);
      }
    }
    for (Map.Entry<Integer, List<Integer>> sn : bySn.entrySet()) {
      List<Integer> slots = sn.getValue();
      for (int from = 0; from < slots.size(); from += BATCH_BLOCKS_MAX) {
        sendBatch(sn.getKey(), blocks, targets,
            slots.subList(from, Math.min(slots.size(), from + BATCH_BLOCKS_MAX)));
      }
    }
  }

  private void sendBatch(int snId, byte[] blocks, BlockAddress[] targets, List<Integer> batch) {
    long[] pas = new long[batch.size()];
    for (int j = 0; j < batch.size(); j++) {
      pas[j] = targets[batch.get(j)].pa();
    }
    // The blocks go straight into the request's frame: no separate batch array to copy again.
    BlockOps.WriteBlocks request = BlockOps.WriteBlocks.framed(pas);
    byte[] data = request.data();
    StorageClients.Write write = new StorageClients.Write(snId, request);
    List<BlockAddress> addresses = new ArrayList<>(batch.size());
    for (int j = 0; j < batch.size(); j++) {
      BlockAddress address = targets[batch.get(j)];
      addresses.add(address);
      System.arraycopy(blocks, batch.get(j) * BLOCK_SIZE_BYTES, data, request.blockOffset(j),
          BLOCK_SIZE_BYTES);
      // Registered before sending, so an acknowledgement can never come before the entry. The
      // request's data is never changed after sending, so reads may copy from it meanwhile.
      inFlight.put(address, new InFlight(data, request.blockOffset(j), write.ended()));
    }
    storage.write(write);
    write.settled().whenComplete((ok, error) -> settle(addresses, write.ended()));
  }

  /** The write of {@code addresses} is durable (or given up): they leave the table. */
  private void settle(List<BlockAddress> addresses, CompletableFuture<Void> ended) {
    for (BlockAddress a : addresses) {
      InFlight entry = inFlight.get(a);
      if (entry != null && entry.ended() == ended) {
        inFlight.remove(a, entry);
      }
    }
  }

  private static void checkLength(byte[] data, int blocks) {
    if (data.length != blocks * BLOCK_SIZE_BYTES) {
      throw new FsException(Errno.EIO, "storage node returned " + data.length + " bytes for "
          + blocks + " blocks");
    }
  }
}
