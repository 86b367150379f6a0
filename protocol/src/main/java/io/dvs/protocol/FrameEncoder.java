package io.dvs.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** Encodes a {@link Frame} in the layout drawn in {@link FrameDecoder}. Stateless, shared. */
@ChannelHandler.Sharable
public final class FrameEncoder extends MessageToByteEncoder<Frame> {
  public static final FrameEncoder INSTANCE = new FrameEncoder();

  @Override
  protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Frame frame, boolean preferDirect) {
    return ctx.alloc().ioBuffer(frame.encodedSizeBytes());
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, Frame frame, ByteBuf out) {
    encodeTo(frame, out);
  }

  /** Writes {@code frame} to {@code out}; also used by tests to build raw streams. */
  public static void encodeTo(Frame frame, ByteBuf out) {
    int length = frame.encodedSizeBytes() - 4;
    if (length > ProtocolLimits.FRAME_BYTES_MAX) {
      throw new DvsException(ErrorCode.INVALID_ARGUMENT,
          "frame length: " + length + " (expected: <= " + ProtocolLimits.FRAME_BYTES_MAX + ")");
    }
    writeHeader(out, length, frame.flags(), frame.opcode().code(), frame.requestId(),
        frame.status(), frame.capability().length);
    out.writeBytes(frame.capability());
    out.writeBytes(frame.body());
  }

  /**
   * An error response to a {@link MalformedFrame} request, echoing its raw opcode code, which
   * may be one no {@link Opcode} has (a {@link Frame} cannot carry such a code). Written as
   * bytes, so it passes this encoder untouched.
   */
  public static ByteBuf encodeError(ByteBufAllocator alloc, int opcodeCode, long requestId,
      ErrorCode status, String message) {
    byte[] body = WireWriter.utf8Truncated(message, ProtocolLimits.TEXT_BYTES_MAX);
    int length = ProtocolLimits.FRAME_HEADER_BYTES + body.length;
    ByteBuf out = alloc.buffer(4 + length);
    writeHeader(out, length, Frame.FLAG_RESPONSE, opcodeCode, requestId, status, 0);
    return out.writeBytes(body);
  }

  private static void writeHeader(ByteBuf out, int length, int flags, int opcodeCode,
      long requestId, ErrorCode status, int capabilityLength) {
    out.writeInt(length);
    out.writeByte(Frame.VERSION);
    out.writeByte(flags);
    out.writeShort(opcodeCode);
    out.writeLong(requestId);
    out.writeShort(status.code());
    out.writeShort(capabilityLength);
  }
}
