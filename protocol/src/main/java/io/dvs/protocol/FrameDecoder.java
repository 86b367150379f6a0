package io.dvs.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.util.List;

/**
 * Decodes frames. Every frame, request or response, is laid out as (big-endian):
 *
 * <pre>
 *  0        4         5        6         8                 16        18         20
 *  +--------+---------+--------+---------+-----------------+---------+----------+-----------+------+
 *  | length | version | flags  | opcode  | request id      | status  | cap len  | capability| body |
 *  | u32    | u8      | u8     | u16     | u64             | u16     | u16      | cap len B | ...  |
 *  +--------+---------+--------+---------+-----------------+---------+----------+-----------+------+
 *  length counts every byte after the length field: 16 + cap len + body length.
 * </pre>
 *
 * <p>A length outside [16, {@link ProtocolLimits#FRAME_BYTES_MAX}] means the stream cannot be
 * trusted to resynchronise: the decoder raises once, drops every later byte, and the connection
 * closes. A sound length with a bad header (unknown opcode, other version, capability too long)
 * is skipped and surfaces as a {@link MalformedFrame}, so one bad request costs its sender an
 * error reply, nothing more.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

  private enum State {
    READ_LENGTH,
    READ_FRAME,
    /** A bad length was seen: nothing after it can be framed, so every later byte is dropped. */
    CORRUPTED
  }

  private State state = State.READ_LENGTH;
  private int frameLength;

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    while (true) {
      switch (state) {
        case READ_LENGTH:
          if (!readLength(in)) {
            return;
          }
          break;
        case READ_FRAME:
          if (in.readableBytes() < frameLength) {
            return;
          }
          out.add(readFrame(in.readSlice(frameLength)));
          state = State.READ_LENGTH;
          break;
        case CORRUPTED:
          in.skipBytes(in.readableBytes());
          return;
        default:
          throw new IllegalStateException("state: " + state);
      }
    }
  }

  private boolean readLength(ByteBuf in) {
    if (in.readableBytes() < 4) {
      return false;
    }
    long length = in.readUnsignedInt();
    if (length > ProtocolLimits.FRAME_BYTES_MAX) {
      state = State.CORRUPTED;
      throw new TooLongFrameException(
          "length: " + length + " (expected: <= " + ProtocolLimits.FRAME_BYTES_MAX + ")");
    }
    if (length < ProtocolLimits.FRAME_HEADER_BYTES) {
      state = State.CORRUPTED;
      throw new CorruptedFrameException(
          "length: " + length + " (expected: >= " + ProtocolLimits.FRAME_HEADER_BYTES + ")");
    }
    frameLength = (int) length;
    state = State.READ_FRAME;
    return true;
  }

  /**
   * Decodes one frame's bytes after its length field: a {@link Frame}, or a
   * {@link MalformedFrame} saying what is wrong. Also used by blocking readers of the stream.
   */
  public static Object readFrame(ByteBuf frame) {
    return readFrame(frame, null);
  }

  /**
   * As {@link #readFrame(ByteBuf)}, for a reader that took the body into an array of its own:
   * {@code frame} then ends with the capability, and the body is not copied again.
   */
  public static Object readFrame(ByteBuf frame, byte[] body) {
    int version = frame.readUnsignedByte();
    int flags = frame.readUnsignedByte();
    int opcodeCode = frame.readUnsignedShort();
    long requestId = frame.readLong();
    int statusCode = frame.readUnsignedShort();
    int capabilityLength = frame.readUnsignedShort();
    boolean isResponse = (flags & Frame.FLAG_RESPONSE) != 0;
    if (version != Frame.VERSION) {
      return new MalformedFrame(requestId, opcodeCode, isResponse, ErrorCode.BAD_REQUEST,
          "version: " + version + " (expected: " + Frame.VERSION + ")");
    }
    Opcode opcode = Opcode.fromCode(opcodeCode);
    if (opcode == null) {
      return new MalformedFrame(requestId, opcodeCode, isResponse, ErrorCode.UNKNOWN_OPCODE,
          "opcode: 0x" + Integer.toHexString(opcodeCode) + " (unknown)");
    }
    if (capabilityLength > ProtocolLimits.CAPABILITY_BYTES_MAX
        || capabilityLength > frame.readableBytes()) {
      return new MalformedFrame(requestId, opcodeCode, isResponse, ErrorCode.BAD_REQUEST,
          "capability length: " + capabilityLength + " (expected: <= "
              + Math.min(ProtocolLimits.CAPABILITY_BYTES_MAX, frame.readableBytes()) + ")");
    }
    byte[] capability = new byte[capabilityLength];
    frame.readBytes(capability);
    if (body == null) {
      body = new byte[frame.readableBytes()];
      frame.readBytes(body);
    }
    return new Frame(flags, opcode, requestId, ErrorCode.fromCode(statusCode), capability, body);
  }
}
