package io.dvs.protocol.message;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.ProtocolLimits;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the message codecs: any value round-trips, and no byte string, however
 * damaged, makes a decoder fail with anything but BAD_REQUEST.
 */
class MessageProperties {

  // ---- round trips ---------------------------------------------------------------------------

  @Property
  void journalGroupsRoundTrip(@ForAll("groups") JournalGroup group) {
    MessageCodecTest.assertJournalEquals(group, JournalGroup.decode(group.encode()));
  }

  @Property(tries = 50)
  void writeBlocksRoundTrip(@ForAll @Size(min = 1, max = 8) List<@IntRange(min = 0) Integer> pas,
      @ForAll @IntRange(min = 0, max = 100) int dataOffset, @ForAll long seed) {
    long[] pa = pas.stream().mapToLong(Integer::longValue).toArray();
    byte[] data = new byte[dataOffset + pa.length * BLOCK_SIZE_BYTES];
    new java.util.Random(seed).nextBytes(data);
    BlockOps.WriteBlocks got = BlockOps.WriteBlocks.decode(
        new BlockOps.WriteBlocks(pa, data, dataOffset).encode());
    assertArrayEquals(pa, got.pas());
    assertArrayEquals(Arrays.copyOfRange(data, dataOffset, data.length),
        Arrays.copyOfRange(got.data(), got.dataOffset(), got.data().length));
  }

  @Property
  void inodeAttrsRoundTrip(@ForAll("attrs") InodeAttrs attrs) {
    assertEquals(attrs, InodeAttrs.decode(attrs.encode()));
  }

  // ---- damaged bytes -------------------------------------------------------------------------

  /** Sound encodings with bytes overwritten, cut off or appended: a hostile peer's view. */
  @Property(tries = 2000)
  void damagedBodiesOnlyEverRaiseBadRequest(
      @ForAll @IntRange(min = 0, max = 23) int sampleIndex,
      @ForAll @Size(max = 6) List<@IntRange(min = 0, max = 1 << 20) Integer> positions,
      @ForAll @Size(max = 6) List<Byte> values,
      @ForAll @IntRange(min = -8, max = 8) int lengthChange) {
    List<MessageCodecTest.Sample> samples = MessageCodecTest.samples();
    MessageCodecTest.Sample sample = samples.get(sampleIndex % samples.size());
    byte[] body = sample.body().clone();
    for (int i = 0; i < Math.min(positions.size(), values.size()) && body.length > 0; i++) {
      body[positions.get(i) % body.length] = values.get(i);
    }
    byte[] damaged = Arrays.copyOf(body, Math.max(0, body.length + lengthChange));
    assertDecodesOrBadRequest(sample, damaged);
  }

  @Property(tries = 1000)
  void randomBytesOnlyEverRaiseBadRequest(
      @ForAll @IntRange(min = 0, max = 23) int sampleIndex,
      @ForAll @Size(max = 64) byte[] bytes) {
    List<MessageCodecTest.Sample> samples = MessageCodecTest.samples();
    assertDecodesOrBadRequest(samples.get(sampleIndex % samples.size()), bytes);
  }

  private static void assertDecodesOrBadRequest(MessageCodecTest.Sample sample, byte[] bytes) {
    try {
      sample.decoder().apply(bytes);
    } catch (DvsException e) {
      assertEquals(ErrorCode.BAD_REQUEST, e.code(), sample.name() + ": " + e.getMessage());
    }
    // Anything else (IndexOutOfBounds, IllegalArgument, OutOfMemory) fails the property.
  }

  // ---- generators ----------------------------------------------------------------------------

  @Provide
  Arbitrary<JournalGroup> groups() {
    Arbitrary<Long> nonNegative = Arbitraries.longs().greaterOrEqual(0);
    return Combinators.combine(nonNegative, nonNegative, nonNegative,
            records().list().ofMaxSize(20))
        .as(JournalGroup::new);
  }

  Arbitrary<JournalRecord> records() {
    Arbitrary<Long> ino = Arbitraries.longs().greaterOrEqual(0);
    Arbitrary<String> name = Arbitraries.strings().ofMinLength(1).ofMaxLength(60)
        .filter(s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
            <= ProtocolLimits.NAME_BYTES_MAX);
    Arbitrary<Long> below = Arbitraries.longs().between(0, Long.MAX_VALUE - Integer.MAX_VALUE);
    Arbitrary<LptExtent> entry = Combinators.combine(below, Arbitraries.integers().greaterOrEqual(0),
        below, Arbitraries.integers().greaterOrEqual(1)).as(LptExtent::new);
    Arbitrary<long[]> indexes = ino.list().ofMaxSize(30)
        .map(l -> l.stream().mapToLong(Long::longValue).toArray());
    return Arbitraries.oneOf(
        attrs().map(JournalRecord.PutInode::new),
        ino.map(JournalRecord.DeleteInode::new),
        Combinators.combine(ino, name, ino).as(JournalRecord.PutDirent::new),
        Combinators.combine(ino, name).as(JournalRecord.DeleteDirent::new),
        Combinators.combine(ino, entry.list().ofMaxSize(30)).as(
            (i, l) -> new JournalRecord.MapBlocks(i, new ArrayList<>(l))),
        Combinators.combine(ino, indexes).as(JournalRecord.UnmapBlocks::new),
        Combinators.combine(ino, ino).as(JournalRecord.TruncateBlocks::new));
  }

  @Provide
  Arbitrary<InodeAttrs> attrs() {
    Arbitrary<Long> nonNegative = Arbitraries.longs().greaterOrEqual(0);
    Arbitrary<Integer> anyInt = Arbitraries.integers();
    Arbitrary<Long> anyLong = Arbitraries.longs();
    Arbitrary<String> target = Arbitraries.strings().ofMaxLength(100);
    return Combinators.combine(
            nonNegative, anyInt, anyInt, anyInt, anyInt, anyLong, nonNegative, anyLong)
        .flatAs((ino, mode, nlink, uid, gid, rdev, size, atime) ->
            Combinators.combine(anyLong, anyLong, target).as((mtime, ctime, link) ->
                new InodeAttrs(ino, mode, nlink, uid, gid, rdev, size, atime, mtime, ctime,
                    link)));
  }
}
