package io.dvs.node.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.Frame;
import io.dvs.protocol.Opcode;
import io.dvs.protocol.message.BlockOps;
import org.junit.jupiter.api.Test;

/** Which requests the SN answers on its I/O thread; what they answer is StorageNodeServerTest's. */
class BlockRequestHandlerTest {
  private final BlockRequestHandler handler = new BlockRequestHandler(null, null);

  private static Frame read(int blocks) {
    return Frame.request(Opcode.READ_BLOCKS, 1, new BlockOps.ReadBlocks(new long[blocks]).encode());
  }

  @Test
  void onlySmallReadsAreAnsweredInline() {
    assertTrue(handler.answersInline(read(1)));
    assertTrue(handler.answersInline(read(BlockRequestHandler.INLINE_READ_BLOCKS_MAX)));
    assertFalse(handler.answersInline(read(BlockRequestHandler.INLINE_READ_BLOCKS_MAX + 1)));
    assertTrue(handler.answersInline(Frame.request(Opcode.READ_BLOCKS, 1, new byte[3])),
        "a malformed small read is refused inline too");
    assertFalse(handler.answersInline(Frame.request(Opcode.WRITE_BLOCKS, 1,
        new BlockOps.WriteBlocks(new long[] {1}, new byte[4096], 0).encode())));
    assertFalse(handler.answersInline(Frame.request(Opcode.FLUSH, 1, new byte[0])));
  }
}
