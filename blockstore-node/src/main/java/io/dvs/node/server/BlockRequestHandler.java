package io.dvs.node.server;

import io.dvs.node.dedup.DedupEngine;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.Frame;
import io.dvs.protocol.Opcode;
import io.dvs.protocol.message.AddDevice;
import io.dvs.protocol.message.BlockOps;
import io.dvs.protocol.rpc.RequestHandler;

/**
 * The SN's side of the wire: decodes the block opcodes (see {@link BlockOps} for their bodies)
 * and runs them on the {@link DedupEngine}. Bytes from the network are checked here, before the
 * engine sees them: a bad body or PA is BAD_REQUEST and the connection keeps serving. Metadata
 * server opcodes are UNKNOWN_OPCODE. Called concurrently by the RPC handler pool.
 */
public final class BlockRequestHandler implements RequestHandler {

  private final DedupEngine engine;
  private final DeviceAdder deviceAdder;

  /** Runs ADD_DEVICE (algorithm 4) on the node; returns the new capacity in blocks. */
  @FunctionalInterface
  public interface DeviceAdder {
    long add(String plugin, String path, long capacityBlocks);
  }

  public BlockRequestHandler(DedupEngine engine, DeviceAdder deviceAdder) {
    this.engine = engine;
    this.deviceAdder = deviceAdder;
  }

  /**
   * Reads of up to this many blocks (one 128 KiB FUSE read, the largest the client sends) are
   * answered on the I/O thread: a lookup under the engine's lock (held for microseconds, see
   * DedupEngine) and a pread, mostly from the page cache (the kernel reads ahead of a sequential
   * reader). The pool hand-off they skip costs two thread wake-ups per request: on dvs-mp a
   * 1 GiB sequential read cost the two SNs 2.9-4.5 CPU-s with reads over 32 KiB handed to the
   * pool and 1.7-2.7 answered here (231-301 -> 323-457 MB/s; 4 jobs: same speed, SN CPU
   * 2.4 -> 2.0 s). The price: a read that must wait for the disk holds up the other connections
   * of its I/O thread for that long.
   */
  static final int INLINE_READ_BLOCKS_MAX = 32;

  @Override
  public boolean answersInline(Frame request) {
    return request.opcode() == Opcode.READ_BLOCKS
        && request.body().length <= 4 + INLINE_READ_BLOCKS_MAX * Long.BYTES;
  }

  @Override
  public byte[] handle(Frame request) {
    byte[] body = request.body();
    switch (request.opcode()) {
      case WRITE_BLOCKS -> {
        BlockOps.WriteBlocks write = BlockOps.WriteBlocks.decode(body);
        checkPas(write.pas(), "WRITE_BLOCKS");
        engine.write(write.pas(), write.data(), write.dataOffset());
        return BlockOps.BootId.encode(engine.bootId());
      }
      case READ_BLOCKS -> {
        BlockOps.ReadBlocks read = BlockOps.ReadBlocks.decode(body);
        checkPas(read.pas(), "READ_BLOCKS");
        return engine.read(read.pas());
      }
      case RELEASE_BLOCKS -> {
        BlockOps.ReleaseBlocks release = BlockOps.ReleaseBlocks.decode(body);
        checkPas(release.pas(), "RELEASE_BLOCKS");
        engine.release(release.pas());
        return BlockOps.BootId.encode(engine.bootId());
      }
      case FLUSH -> {
        expectEmpty(body, "FLUSH");
        engine.commit();
        return BlockOps.BootId.encode(engine.bootId());
      }
      case ADD_DEVICE -> {
        AddDevice add = AddDevice.decode(body);
        return AddDevice.encodeCapacity(deviceAdder.add(add.plugin(),
            add.path().isEmpty() ? null : add.path(), add.capacityBlocks()));
      }
      case NODE_STATS -> {
        expectEmpty(body, "NODE_STATS");
        return engine.stats().encode();
      }
      default -> throw new DvsException(ErrorCode.UNKNOWN_OPCODE, request.opcode()
          + " is a metadata server request; this is a storage node");
    }
  }

  private static void checkPas(long[] pas, String op) {
    for (long pa : pas) {
      if (pa >= DedupEngine.PA_COUNT_MAX) {
        throw DvsException.badRequest(op + " pa: " + pa + " (expected: < "
            + DedupEngine.PA_COUNT_MAX + ")");
      }
    }
  }

  private static void expectEmpty(byte[] body, String op) {
    if (body.length != 0) {
      throw DvsException.badRequest(op + ": " + body.length + " body bytes (expected: 0)");
    }
  }
}
