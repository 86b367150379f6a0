package io.dvs.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The frame layout drawn in {@link FrameDecoder}, fed to the decoder in fragments. */
class FrameCodecTest {

  // ---- helpers -------------------------------------------------------------------------------

  static ByteBuf encode(Frame... frames) {
    ByteBuf out = Unpooled.buffer();
    for (Frame f : frames) {
      FrameEncoder.encodeTo(f, out);
    }
    return out;
  }

  static byte[] bytes(ByteBuf buf) {
    byte[] b = ByteBufUtil.getBytes(buf);
    buf.release();
    return b;
  }

  static void assertFrameEquals(Frame expected, Object actual) {
    Frame f = assertInstanceOf(Frame.class, actual);
    assertEquals(expected.flags(), f.flags(), "flags");
    assertEquals(expected.opcode(), f.opcode(), "opcode");
    assertEquals(expected.requestId(), f.requestId(), "requestId");
    assertEquals(expected.status(), f.status(), "status");
    assertArrayEquals(expected.capability(), f.capability(), "capability");
    assertArrayEquals(expected.body(), f.body(), "body");
  }

  /** A frame header with any field value, even ones {@link FrameEncoder} would never write. */
  static ByteBuf rawFrame(int version, int flags, int opcodeCode, long requestId, int status,
      int capabilityLength, byte[] rest) {
    ByteBuf out = Unpooled.buffer();
    out.writeInt(ProtocolLimits.FRAME_HEADER_BYTES + rest.length);
    out.writeByte(version).writeByte(flags).writeShort(opcodeCode).writeLong(requestId);
    out.writeShort(status).writeShort(capabilityLength).writeBytes(rest);
    return out;
  }

  static Frame sampleFrame(Random random, long requestId) {
    Opcode[] opcodes = Opcode.values();
    byte[] capability = new byte[random.nextInt(3) == 0 ? random.nextInt(64) : 0];
    byte[] body = new byte[random.nextInt(3) == 0 ? 0 : random.nextInt(9000)];
    random.nextBytes(capability);
    random.nextBytes(body);
    int flags = random.nextInt(256);
    ErrorCode[] codes = ErrorCode.values();
    return new Frame(flags, opcodes[random.nextInt(opcodes.length)], requestId,
        codes[random.nextInt(codes.length)], capability, body);
  }

  /** Writes {@code stream} into {@code channel} in pieces of 1..maxPiece bytes. */
  static void feed(EmbeddedChannel channel, byte[] stream, Random random, int maxPiece) {
    int at = 0;
    while (at < stream.length) {
      int n = Math.min(stream.length - at, 1 + random.nextInt(maxPiece));
      channel.writeInbound(Unpooled.wrappedBuffer(stream, at, n));
      at += n;
    }
  }

  static List<Object> drain(EmbeddedChannel channel) {
    List<Object> out = new ArrayList<>();
    for (Object o; (o = channel.readInbound()) != null; ) {
      out.add(o);
    }
    return out;
  }

  // ---- the layout ----------------------------------------------------------------------------

  @Test
  void emptyFrameIsExactlyTheTwentyByteHeader() {
    Frame frame = Frame.request(Opcode.FLUSH, 7, new byte[0]);
    assertEquals(20, 4 + ProtocolLimits.FRAME_HEADER_BYTES);
    assertEquals(20, frame.encodedSizeBytes());
    byte[] wire = bytes(encode(frame));
    assertEquals(20, wire.length);
  }

  @Test
  void headerFieldsSitWhereTheJavadocDrawsThem() {
    Frame frame = new Frame(Frame.FLAG_RESPONSE, Opcode.READ_BLOCKS, 0x0102030405060708L,
        ErrorCode.NOT_FOUND, new byte[] {(byte) 0xAA, (byte) 0xBB}, new byte[] {1, 2, 3});
    byte[] wire = bytes(encode(frame));
    assertEquals(frame.encodedSizeBytes(), wire.length);
    assertEquals(
        "00000015" // length: 16 + 2 + 3
            + "01" // version
            + "01" // flags: response
            + "0102" // opcode READ_BLOCKS
            + "0102030405060708" // request id
            + "0003" // status NOT_FOUND
            + "0002" // capability length
            + "aabb" // capability
            + "010203", // body
        ByteBufUtil.hexDump(wire));
  }

  @Test
  void encoderHandlerWritesTheSameBytesAsEncodeTo() {
    Frame frame = Frame.request(Opcode.GET_LPT, 99, new byte[] {9, 8, 7});
    EmbeddedChannel channel = new EmbeddedChannel(FrameEncoder.INSTANCE);
    assertTrue(channel.writeOutbound(frame));
    ByteBuf written = channel.readOutbound();
    assertArrayEquals(bytes(encode(frame)), bytes(written));
    assertFalse(channel.finish());
  }

  @Test
  void encoderRefusesAFrameAboveTheLimit() {
    byte[] body = new byte[ProtocolLimits.FRAME_BYTES_MAX - ProtocolLimits.FRAME_HEADER_BYTES + 1];
    Frame frame = Frame.request(Opcode.WRITE_BLOCKS, 1, body);
    DvsException e = assertThrows(DvsException.class, () -> encode(frame));
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains(String.valueOf(ProtocolLimits.FRAME_BYTES_MAX + 1)));
  }

  @Test
  void frameRefusesNullsAndLongCapabilities() {
    assertThrows(NullPointerException.class, () -> Frame.request(Opcode.FLUSH, 1, null));
    assertThrows(IllegalArgumentException.class, () -> new Frame(0, Opcode.FLUSH, 1,
        ErrorCode.OK, new byte[ProtocolLimits.CAPABILITY_BYTES_MAX + 1], new byte[0]));
  }

  // ---- fragmented input ----------------------------------------------------------------------

  @Test
  void frameSurvivesOneByteAtATime() {
    Frame frame = new Frame(0, Opcode.WRITE_BLOCKS, Long.MAX_VALUE, ErrorCode.OK,
        "cap".getBytes(StandardCharsets.UTF_8), new byte[] {0, -1, 42});
    byte[] wire = bytes(encode(frame));
    EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder());
    for (int i = 0; i < wire.length; i++) {
      channel.writeInbound(Unpooled.wrappedBuffer(wire, i, 1));
      if (i < wire.length - 1) {
        assertNull(channel.readInbound(), "frame out after " + (i + 1) + " bytes");
      }
    }
    assertFrameEquals(frame, channel.readInbound());
    assertFalse(channel.finish());
  }

  @Test
  void manyFramesSurviveRandomFragments() {
    for (long seed = 1; seed <= 20; seed++) {
      Random random = new Random(seed);
      List<Frame> frames = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        frames.add(sampleFrame(random, random.nextLong()));
      }
      byte[] wire = bytes(encode(frames.toArray(Frame[]::new)));
      EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder());
      feed(channel, wire, random, 1 + random.nextInt(3000));
      List<Object> out = drain(channel);
      assertEquals(frames.size(), out.size(), "seed " + seed);
      for (int i = 0; i < frames.size(); i++) {
        assertFrameEquals(frames.get(i), out.get(i));
      }
      assertFalse(channel.finish(), "seed " + seed);
    }
  }

  @Test
  void severalFramesInOneBuffer() {
    Frame a = Frame.request(Opcode.FLUSH, 1, new byte[0]);
    Frame b = Frame.request(Opcode.READ_BLOCKS, 2, new byte[] {1});
    Frame c = Frame.error(Opcode.GET_INODE, 3, ErrorCode.NOT_FOUND, "no inode 5");
    EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder());
    assertTrue(channel.writeInbound(encode(a, b, c)));
    assertFrameEquals(a, channel.readInbound());
    assertFrameEquals(b, channel.readInbound());
    Object third = channel.readInbound();
    assertFrameEquals(c, third);
    assertEquals("no inode 5", ((Frame) third).errorMessage());
    assertTrue(((Frame) third).isResponse());
    assertFalse(channel.finish());
  }

  @Test
  void largestFrameDecodes() {
    byte[] body = new byte[ProtocolLimits.FRAME_BYTES_MAX - ProtocolLimits.FRAME_HEADER_BYTES];
    new Random(3).nextBytes(body);
    Frame frame = Frame.response(Frame.request(Opcode.READ_BLOCKS, 5, new byte[0]), body);
    byte[] wire = bytes(encode(frame));
    EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder());
    feed(channel, wire, new Random(4), 256 * 1024);
    assertFrameEquals(frame, channel.readInbound());
    assertFalse(channel.finish());
  }

  @Test
  void truncatedStreamYieldsNothing() {
    byte[] wire = bytes(encode(Frame.request(Opcode.FLUSH, 1, new byte[10])));
    EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder());
    assertFalse(channel.writeInbound(Unpooled.wrappedBuffer(wire, 0, wire.length - 1)));
    assertFalse(channel.finish());
  }

  // ---- bad lengths: the connection cannot be trusted any more --------------------------------

  @Test
  void lengthAboveTheLimitIsTooLong() {
    long[] lengths = {ProtocolLimits.FRAME_BYTES_MAX + 1L, 0x7FFF_FFFFL, 0xFFFF_FFFFL};
    for (long length : lengths) {
      EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder());
      ByteBuf in = Unpooled.buffer().writeInt((int) length);
      TooLongFrameException e =
          assertThrows(TooLongFrameException.class, () -> channel.writeInbound(in));
      assertEquals("length: " + length + " (expected: <= " + ProtocolLimits.FRAME_BYTES_MAX
          + ")", e.getMessage());
      assertFalse(channel.finish());
    }
  }

  @Test
  void lengthBelowTheHeaderIsCorrupted() {
    for (int length : new int[] {0, 1, ProtocolLimits.FRAME_HEADER_BYTES - 1}) {
      EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder());
      ByteBuf in = Unpooled.buffer().writeInt(length).writeZero(40);
      CorruptedFrameException e =
          assertThrows(CorruptedFrameException.class, () -> channel.writeInbound(in));
      assertEquals("length: " + length + " (expected: >= " + ProtocolLimits.FRAME_HEADER_BYTES
          + ")", e.getMessage());
      assertFalse(channel.finish());
    }
  }

  @Test
  void afterABadLengthLaterBytesAreDroppedNotMisread() {
    EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder());
    ByteBuf bad = Unpooled.buffer().writeInt(3);
    bad.writeBytes(encode(Frame.request(Opcode.FLUSH, 1, new byte[0])));
    assertThrows(CorruptedFrameException.class, () -> channel.writeInbound(bad));
    // A frame that happens to follow must not be decoded from a stream that lost its framing,
    // and bytes that look like a huge length must not raise again.
    assertFalse(channel.writeInbound(encode(Frame.request(Opcode.FLUSH, 2, new byte[0]))));
    assertFalse(channel.writeInbound(Unpooled.buffer().writeInt(-1).writeZero(8)));
    assertFalse(channel.finish());
  }

  // ---- bad headers: skipped, reported, and the stream goes on --------------------------------

  @Test
  void unknownOpcodeIsMalformedAndTheNextFrameDecodes() {
    Frame next = Frame.request(Opcode.HEARTBEAT, 43, new byte[] {5});
    ByteBuf in = rawFrame(Frame.VERSION, 0, 0x0999, 42, 0, 0, new byte[] {1, 2, 3});
    in.writeBytes(encode(next));
    EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder());
    feed(channel, bytes(in), new Random(1), 7);
    MalformedFrame bad = assertInstanceOf(MalformedFrame.class, channel.readInbound());
    assertEquals(42, bad.requestId());
    assertEquals(0x0999, bad.opcodeCode());
    assertFalse(bad.isResponse());
    assertEquals(ErrorCode.UNKNOWN_OPCODE, bad.code());
    assertTrue(bad.reason().contains("0x999"), bad.reason());
    assertFrameEquals(next, channel.readInbound());
    assertFalse(channel.finish());
  }

  @Test
  void wrongVersionIsMalformedAndTheNextFrameDecodes() {
    Frame next = Frame.request(Opcode.FLUSH, 2, new byte[0]);
    ByteBuf in = rawFrame(2, Frame.FLAG_RESPONSE, Opcode.FLUSH.code(), 1, 0, 0, new byte[4]);
    in.writeBytes(encode(next));
    EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder());
    assertTrue(channel.writeInbound(in));
    MalformedFrame bad = assertInstanceOf(MalformedFrame.class, channel.readInbound());
    assertEquals(ErrorCode.BAD_REQUEST, bad.code());
    assertTrue(bad.isResponse());
    assertEquals("version: 2 (expected: 1)", bad.reason());
    assertFrameEquals(next, channel.readInbound());
    assertFalse(channel.finish());
  }

  @Test
  void capabilityTooLongIsMalformedAndTheNextFrameDecodes() {
    Frame next = Frame.request(Opcode.FLUSH, 9, new byte[] {1});
    int tooLong = ProtocolLimits.CAPABILITY_BYTES_MAX + 1;
    ByteBuf in = rawFrame(Frame.VERSION, 0, Opcode.READ_BLOCKS.code(), 7, 0, tooLong,
        new byte[tooLong]);
    // A capability longer than what is left of its frame: the frame's length wins.
    in.writeBytes(rawFrame(Frame.VERSION, 0, Opcode.READ_BLOCKS.code(), 8, 0, 10, new byte[4]));
    in.writeBytes(encode(next));
    EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder());
    feed(channel, bytes(in), new Random(2), 100);
    MalformedFrame first = assertInstanceOf(MalformedFrame.class, channel.readInbound());
    assertEquals(7, first.requestId());
    assertEquals(ErrorCode.BAD_REQUEST, first.code());
    assertTrue(first.reason().contains(tooLong + " (expected: <= 1024)"), first.reason());
    MalformedFrame second = assertInstanceOf(MalformedFrame.class, channel.readInbound());
    assertEquals(8, second.requestId());
    assertTrue(second.reason().contains("10 (expected: <= 4)"), second.reason());
    assertFrameEquals(next, channel.readInbound());
    assertFalse(channel.finish());
  }

  @Test
  void unknownStatusFromANewerPeerReadsAsInternal() {
    ByteBuf in = rawFrame(Frame.VERSION, 1, Opcode.FLUSH.code(), 3, 31, 0, new byte[0]);
    EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder());
    assertTrue(channel.writeInbound(in));
    Frame f = assertInstanceOf(Frame.class, channel.readInbound());
    assertEquals(ErrorCode.INTERNAL, f.status());
    assertFalse(channel.finish());
  }

  // ---- error responses -----------------------------------------------------------------------

  @Test
  void errorMessageIsCutToTheLimitOnACharacterBoundary() {
    String euros = "\u20ac".repeat(2000); // 3 UTF-8 bytes each: 6000 bytes
    Frame f = Frame.error(Opcode.FLUSH, 1, ErrorCode.IO_ERROR, euros);
    assertEquals(ProtocolLimits.TEXT_BYTES_MAX / 3 * 3, f.body().length);
    assertEquals("\u20ac".repeat(ProtocolLimits.TEXT_BYTES_MAX / 3), f.errorMessage());
    assertEquals("null", Frame.error(Opcode.FLUSH, 1, ErrorCode.IO_ERROR, null).errorMessage());
  }

  @Test
  void rawErrorEchoesAnOpcodeNoEnumHas() {
    ByteBuf raw = FrameEncoder.encodeError(
        io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, 0x0999, 5, ErrorCode.UNKNOWN_OPCODE,
        "opcode: 0x999 (unknown)");
    ByteBuf known = FrameEncoder.encodeError(
        io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, Opcode.FLUSH.code(), 6,
        ErrorCode.BAD_REQUEST, "version: 2 (expected: 1)");
    EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder());
    assertTrue(channel.writeInbound(raw, known));
    MalformedFrame bad = assertInstanceOf(MalformedFrame.class, channel.readInbound());
    assertEquals(0x0999, bad.opcodeCode());
    assertEquals(5, bad.requestId());
    assertTrue(bad.isResponse());
    assertFrameEquals(Frame.error(Opcode.FLUSH, 6, ErrorCode.BAD_REQUEST,
        "version: 2 (expected: 1)"), channel.readInbound());
    assertFalse(channel.finish());
  }
}
