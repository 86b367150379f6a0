package io.dvs.protocol.message;

import static io.dvs.protocol.ProtocolLimits.BATCH_BLOCKS_MAX;
import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.ProtocolLimits;
import io.dvs.protocol.WireReader;
import io.dvs.protocol.WireWriter;
import io.dvs.protocol.message.BlockOps.ReadBlocks;
import io.dvs.protocol.message.BlockOps.ReleaseBlocks;
import io.dvs.protocol.message.BlockOps.WriteBlocks;
import io.dvs.protocol.message.MetadataOps.DirEntry;
import io.dvs.protocol.message.MetadataOps.DirPage;
import io.dvs.protocol.message.MetadataOps.GetInode;
import io.dvs.protocol.message.MetadataOps.GetLpt;
import io.dvs.protocol.message.MetadataOps.ListDir;
import io.dvs.protocol.message.MetadataOps.LptPage;
import io.dvs.protocol.message.MetadataOps.StoredInode;
import io.dvs.protocol.message.NodeOps.Heartbeat;
import io.dvs.protocol.message.NodeOps.NodeInfo;
import io.dvs.protocol.message.NodeOps.RegisterNode;
import io.dvs.protocol.message.VolumeOps.CreateVolume;
import io.dvs.protocol.message.VolumeOps.LeaseRef;
import io.dvs.protocol.message.VolumeOps.MountVolume;
import io.dvs.protocol.message.VolumeOps.Mounted;
import io.dvs.protocol.message.VolumeOps.VolumeInfo;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * Every message in {@code message/}: encode then decode gives the same value; a body cut short
 * or with bytes left over is BAD_REQUEST; counts past their limits are refused before anything
 * is allocated for them.
 */
class MessageCodecTest {

  // ---- sample values -------------------------------------------------------------------------

  static final NodeStats STATS = new NodeStats(1L << 40, 12345, 23456, 3, 4, 5, 6, 7, 1);

  static final InodeAttrs FILE = new InodeAttrs(42, InodeAttrs.S_IFREG | 0644, 1, 1000, 1000, 0,
      123_456_789L, -1L, Long.MIN_VALUE, Long.MAX_VALUE, "");

  static final InodeAttrs LINK = new InodeAttrs(43, InodeAttrs.S_IFLNK | 0777, 1, 0, 0, 0, 11,
      1, 2, 3, "t\u00e4rget/\u20ac");

  static final VolumeInfo VOLUME = new VolumeInfo(5, "vol-\u00e9", 1L << 40, 17, 99);

  static final JournalGroup GROUP = new JournalGroup(5, 9, 77, List.of(
      new JournalRecord.PutInode(FILE),
      new JournalRecord.PutInode(LINK),
      new JournalRecord.DeleteInode(44),
      new JournalRecord.PutDirent(InodeAttrs.ROOT_INO, "a file.txt", 42),
      new JournalRecord.DeleteDirent(InodeAttrs.ROOT_INO, "x".repeat(255)),
      new JournalRecord.MapBlocks(42, List.of(new LptExtent(0, 1, 100), new LptExtent(7, 2, 0))),
      new JournalRecord.MapBlocks(42, List.of()),
      new JournalRecord.UnmapBlocks(42, new long[] {3, 4, Long.MAX_VALUE}),
      new JournalRecord.TruncateBlocks(42, 8)));

  /** One message: its encoding and its decoder, to check truncation and trailing bytes. */
  record Sample(String name, byte[] body, Function<byte[], ?> decoder) {}

  static List<Sample> samples() {
    byte[] data = new byte[3 * BLOCK_SIZE_BYTES];
    new Random(1).nextBytes(data);
    return List.of(
        new Sample("WRITE_BLOCKS", new WriteBlocks(new long[] {1, 2}, data, 5).encode(),
            WriteBlocks::decode),
        new Sample("READ_BLOCKS", new ReadBlocks(new long[] {0, Long.MAX_VALUE}).encode(),
            ReadBlocks::decode),
        new Sample("RELEASE_BLOCKS", new ReleaseBlocks(new long[] {9}).encode(),
            ReleaseBlocks::decode),
        new Sample("WDACG", new Wdacg(3, new long[] {10, 500}, new int[] {4, 60}).encode(),
            Wdacg::decode),
        new Sample("ALLOC_WDACG", new Wdacg.Alloc(5, 9, 64).encode(), Wdacg.Alloc::decode),
        new Sample("APPLY_JOURNAL", GROUP.encode(), JournalGroup::decode),
        new Sample("InodeAttrs", LINK.encode(), InodeAttrs::decode),
        new Sample("GET_INODE", new GetInode(5, 9, 42).encode(), GetInode::decode),
        new Sample("LIST_DIR", new ListDir(5, 9, 1, "after", 100).encode(), ListDir::decode),
        new Sample("DirPage", new DirPage(List.of(new DirEntry("f", new StoredInode(FILE, 3)),
            new DirEntry("l", new StoredInode(LINK, 0))), true).encode(), DirPage::decode),
        new Sample("StoredInode", new StoredInode(FILE, 7).encode(), StoredInode::decode),
        new Sample("GET_LPT", new GetLpt(5, 9, 42, 1000, 4096).encode(), GetLpt::decode),
        new Sample("LptPage", new LptPage(List.of(new LptExtent(1, 2, 3)), false).encode(),
            LptPage::decode),
        new Sample("REGISTER_NODE", new RegisterNode("uuid-1", "sn1.local", 7001, STATS)
            .encode(), RegisterNode::decode),
        new Sample("snId", NodeOps.encodeSnId(17), NodeOps::decodeSnId),
        new Sample("HEARTBEAT", new Heartbeat(17, STATS).encode(), Heartbeat::decode),
        new Sample("LIST_NODES response", NodeOps.encodeNodeList(List.of(
            new NodeInfo(1, "u", "h", 1, true, STATS))), NodeOps::decodeNodeList),
        new Sample("NODE_STATS", STATS.encode(), NodeStats::decode),
        new Sample("CREATE_VOLUME", new CreateVolume("v", 1 << 30).encode(),
            CreateVolume::decode),
        new Sample("VolumeInfo", VOLUME.encode(), VolumeInfo::decode),
        new Sample("LIST_VOLUMES response", VolumeOps.encodeVolumeList(List.of(VOLUME)),
            VolumeOps::decodeVolumeList),
        new Sample("DELETE_VOLUME", VolumeOps.encodeName("v"), VolumeOps::decodeName),
        new Sample("MOUNT_VOLUME", new MountVolume("v", "client-1", true).encode(),
            MountVolume::decode),
        new Sample("Mounted", new Mounted(VOLUME, 9, 1000, 76, 30_000).encode(),
            Mounted::decode),
        new Sample("LeaseRef", new LeaseRef(5, 9).encode(), LeaseRef::decode));
  }

  static void assertBadRequest(Executable decode, String... messageParts) {
    DvsException e = assertThrows(DvsException.class, decode);
    assertEquals(ErrorCode.BAD_REQUEST, e.code(), e.getMessage());
    for (String part : messageParts) {
      assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' lacks '" + part + "'");
    }
  }

  /** A body written field by field, for values our encoders would never produce. */
  static WireWriter body() {
    return new WireWriter();
  }

  // ---- round trips ---------------------------------------------------------------------------

  @Test
  void aFramedWriteIsItsOwnEncodingAndDecodesLikeAnyOther() {
    long[] pas = {9, 3, 1L << 40};
    WriteBlocks framed = WriteBlocks.framed(pas);
    byte[] blocks = new byte[3 * BLOCK_SIZE_BYTES];
    new Random(4).nextBytes(blocks);
    for (int i = 0; i < 3; i++) {
      System.arraycopy(blocks, i * BLOCK_SIZE_BYTES, framed.data(), framed.blockOffset(i),
          BLOCK_SIZE_BYTES);
    }
    byte[] body = framed.encode();
    assertSame(framed.data(), body, "no copy of a framed batch");
    assertArrayEquals(new WriteBlocks(pas, blocks, 0).encode(), body,
        "same bytes as the copying encoder");
    WriteBlocks got = WriteBlocks.decode(body);
    assertArrayEquals(pas, got.pas());
    assertArrayEquals(blocks, Arrays.copyOfRange(got.data(), got.blockOffset(0),
        got.blockOffset(0) + 3 * BLOCK_SIZE_BYTES));
  }

  @Test
  void anArrayThatOnlyLooksFramedIsCopiedWithTheRightHeader() {
    WriteBlocks framed = WriteBlocks.framed(new long[] {1, 2});
    // Same array and offset, other PAs: the header in the array no longer matches.
    WriteBlocks other = new WriteBlocks(new long[] {1, 7}, framed.data(), framed.blockOffset(0));
    byte[] body = other.encode();
    assertNotSame(framed.data(), body);
    assertArrayEquals(new long[] {1, 7}, WriteBlocks.decode(body).pas());
  }

  @Test
  void writeBlocksKeepsPasAndData() {
    byte[] data = new byte[7 + 3 * BLOCK_SIZE_BYTES];
    new Random(2).nextBytes(data);
    WriteBlocks sent = new WriteBlocks(new long[] {0, 5, Long.MAX_VALUE}, data, 7);
    byte[] body = sent.encode();
    assertEquals(4 + 3 * (8 + BLOCK_SIZE_BYTES), body.length);
    WriteBlocks got = WriteBlocks.decode(body);
    assertArrayEquals(sent.pas(), got.pas());
    assertEquals(3, got.count());
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(
          Arrays.copyOfRange(data, sent.blockOffset(i), sent.blockOffset(i) + BLOCK_SIZE_BYTES),
          Arrays.copyOfRange(got.data(), got.blockOffset(i), got.blockOffset(i) + BLOCK_SIZE_BYTES),
          "block " + i);
    }
  }

  @Test
  void fullBatchRoundTrips() {
    long[] pas = new long[BATCH_BLOCKS_MAX];
    Arrays.setAll(pas, i -> i * 3L);
    byte[] data = new byte[BATCH_BLOCKS_MAX * BLOCK_SIZE_BYTES];
    new Random(3).nextBytes(data);
    WriteBlocks got = WriteBlocks.decode(new WriteBlocks(pas, data, 0).encode());
    assertArrayEquals(pas, got.pas());
    assertArrayEquals(data, Arrays.copyOfRange(got.data(), got.dataOffset(), got.data().length));
    assertArrayEquals(pas, ReadBlocks.decode(new ReadBlocks(pas).encode()).pas());
  }

  @Test
  void blockAddressListsRoundTrip() {
    long[] pas = {0, 1, 1L << 50};
    assertArrayEquals(pas, ReadBlocks.decode(new ReadBlocks(pas).encode()).pas());
    assertArrayEquals(pas, ReleaseBlocks.decode(new ReleaseBlocks(pas).encode()).pas());
    assertArrayEquals(new long[0],
        ReleaseBlocks.decode(new ReleaseBlocks(new long[0]).encode()).pas());
  }

  @Test
  void wdacgRoundTrips() {
    Wdacg sent = new Wdacg(3, new long[] {10, 500, 0}, new int[] {4, 60, 0});
    Wdacg got = Wdacg.decode(sent.encode());
    assertEquals(3, got.snId());
    assertArrayEquals(sent.paStarts(), got.paStarts());
    assertArrayEquals(sent.counts(), got.counts());
    assertEquals(64, got.blockCount());
    Wdacg full = new Wdacg(1, new long[] {0}, new int[] {ProtocolLimits.WDACG_BLOCKS_MAX});
    assertEquals(ProtocolLimits.WDACG_BLOCKS_MAX, Wdacg.decode(full.encode()).blockCount());
    Wdacg.Alloc alloc = new Wdacg.Alloc(5, 9, ProtocolLimits.WDACG_BLOCKS_MAX);
    assertEquals(alloc, Wdacg.Alloc.decode(alloc.encode()));
    Wdacg.Alloc onSn = new Wdacg.Alloc(5, 9, 64, 3);
    assertEquals(onSn, Wdacg.Alloc.decode(onSn.encode()));
  }

  @Test
  void journalGroupWithEveryRecordTypeRoundTrips() {
    JournalGroup got = JournalGroup.decode(GROUP.encode());
    assertJournalEquals(GROUP, got);
    assertEquals(
        List.of(1, 1, 2, 3, 4, 5, 5, 6, 7), got.records().stream().map(JournalRecord::type)
            .toList());
    JournalGroup empty = new JournalGroup(0, 0, 1, List.of());
    assertJournalEquals(empty, JournalGroup.decode(empty.encode()));
  }

  /** Records compare by value, except UnmapBlocks' array, compared by content. */
  static void assertJournalEquals(JournalGroup expected, JournalGroup actual) {
    assertEquals(expected.volumeId(), actual.volumeId());
    assertEquals(expected.epoch(), actual.epoch());
    assertEquals(expected.seq(), actual.seq());
    assertEquals(expected.records().size(), actual.records().size());
    for (int i = 0; i < expected.records().size(); i++) {
      JournalRecord e = expected.records().get(i);
      JournalRecord a = actual.records().get(i);
      if (e instanceof JournalRecord.UnmapBlocks u) {
        JournalRecord.UnmapBlocks v = (JournalRecord.UnmapBlocks) a;
        assertEquals(u.ino(), v.ino());
        assertArrayEquals(u.blockIndexes(), v.blockIndexes(), "record " + i);
      } else {
        assertEquals(e, a, "record " + i);
      }
    }
  }

  @Test
  void metadataMessagesRoundTrip() {
    assertEquals(FILE, InodeAttrs.decode(FILE.encode()));
    assertEquals(LINK, InodeAttrs.decode(LINK.encode()));
    GetInode getInode = new GetInode(5, 9, 42);
    assertEquals(getInode, GetInode.decode(getInode.encode()));
    ListDir listDir = new ListDir(5, 9, 1, "", ProtocolLimits.PAGE_ENTRIES_MAX);
    assertEquals(listDir, ListDir.decode(listDir.encode()));
    DirPage page = new DirPage(List.of(new DirEntry("f", new StoredInode(FILE, 9)),
        new DirEntry("\u00e9", new StoredInode(LINK, 0))), true);
    StoredInode stored = new StoredInode(FILE, Long.MAX_VALUE);
    assertEquals(stored, StoredInode.decode(stored.encode()));
    assertEquals(page, DirPage.decode(page.encode()));
    assertEquals(new DirPage(List.of(), false),
        DirPage.decode(new DirPage(List.of(), false).encode()));
    GetLpt getLpt = new GetLpt(5, 9, 42, 1000, 1);
    assertEquals(getLpt, GetLpt.decode(getLpt.encode()));
    LptPage lpt = new LptPage(List.of(new LptExtent(0, 0, 0),
        new LptExtent(Long.MAX_VALUE - 7, Integer.MAX_VALUE, Long.MAX_VALUE - 7, 7)), true);
    assertEquals(lpt, LptPage.decode(lpt.encode()));
    assertEquals(4 + 2 * LptExtent.ENCODED_BYTES + 1, lpt.encode().length);
  }

  @Test
  void nodeMessagesRoundTrip() {
    RegisterNode register = new RegisterNode("uuid", "host", 65535, STATS);
    assertEquals(register, RegisterNode.decode(register.encode()));
    assertEquals(Integer.MAX_VALUE, NodeOps.decodeSnId(NodeOps.encodeSnId(Integer.MAX_VALUE)));
    Heartbeat heartbeat = new Heartbeat(0, NodeStats.EMPTY);
    assertEquals(heartbeat, Heartbeat.decode(heartbeat.encode()));
    List<NodeInfo> nodes = List.of(new NodeInfo(1, "u1", "h1", 7001, true, STATS),
        new NodeInfo(2, "u2", "h2", 7002, false, NodeStats.EMPTY));
    assertEquals(nodes, NodeOps.decodeNodeList(NodeOps.encodeNodeList(nodes)));
    assertEquals(STATS, NodeStats.decode(STATS.encode()));
    assertEquals(72, STATS.encode().length);
  }

  @Test
  void volumeMessagesRoundTrip() {
    CreateVolume create = new CreateVolume("v1", 0);
    assertEquals(create, CreateVolume.decode(create.encode()));
    assertEquals(VOLUME, VolumeInfo.decode(VOLUME.encode()));
    List<VolumeInfo> volumes = List.of(VOLUME, new VolumeInfo(6, "w", 1, 1, 0));
    assertEquals(volumes, VolumeOps.decodeVolumeList(VolumeOps.encodeVolumeList(volumes)));
    assertEquals(List.of(), VolumeOps.decodeVolumeList(VolumeOps.encodeVolumeList(List.of())));
    assertEquals("n\u00e4me", VolumeOps.decodeName(VolumeOps.encodeName("n\u00e4me")));
    MountVolume mount = new MountVolume("v1", "client", false);
    assertEquals(mount, MountVolume.decode(mount.encode()));
    Mounted mounted = new Mounted(VOLUME, 9, 1000, 0, Integer.MAX_VALUE);
    assertEquals(mounted, Mounted.decode(mounted.encode()));
    LeaseRef lease = new LeaseRef(5, 9);
    assertEquals(lease, LeaseRef.decode(lease.encode()));
  }

  // ---- cut short, bytes left over ------------------------------------------------------------

  @TestFactory
  List<DynamicTest> everyTruncationIsBadRequest() {
    return samples().stream().map(s -> DynamicTest.dynamicTest(s.name(), () -> {
      for (int length = 0; length < s.body().length; length++) {
        byte[] cut = Arrays.copyOf(s.body(), length);
        assertBadRequest(() -> s.decoder().apply(cut));
      }
    })).toList();
  }

  @TestFactory
  List<DynamicTest> trailingBytesAreBadRequest() {
    return samples().stream().map(s -> DynamicTest.dynamicTest(s.name(), () -> {
      s.decoder().apply(s.body()); // the sample itself is sound
      byte[] longer = Arrays.copyOf(s.body(), s.body().length + 1);
      assertBadRequest(() -> s.decoder().apply(longer), "1 trailing bytes");
    })).toList();
  }

  // ---- limits: refused before allocation -----------------------------------------------------

  @Test
  void lptExtentsThatAreEmptyOrOverflowAreRefused() {
    byte[] empty = body().i64(0).i32(1).i64(0).i32(0).toByteArray();
    assertBadRequest(() -> LptExtent.readFrom(new io.dvs.protocol.WireReader(empty)), "count >= 1");
    byte[] overflow = body().i64(Long.MAX_VALUE).i32(1).i64(0).i32(2).toByteArray();
    assertBadRequest(() -> LptExtent.readFrom(new io.dvs.protocol.WireReader(overflow)),
        "overflow");
  }

  @Test
  void hugeCountsAreRefusedBeforeAllocating() {
    // Were these counts allocated, the JVM would fail with OutOfMemoryError, not BAD_REQUEST.
    byte[] maxCount = body().i32(Integer.MAX_VALUE).toByteArray();
    assertBadRequest(() -> ReadBlocks.decode(maxCount), "2147483647", "0.." + BATCH_BLOCKS_MAX);
    assertBadRequest(() -> WriteBlocks.decode(maxCount), "2147483647");
    assertBadRequest(() -> ReleaseBlocks.decode(maxCount), "2147483647",
        "0.." + BlockOps.RELEASE_PAS_MAX);
    assertBadRequest(() -> DirPage.decode(maxCount), "2147483647");
    assertBadRequest(() -> LptPage.decode(maxCount), "2147483647");
    assertBadRequest(() -> NodeOps.decodeNodeList(maxCount), "2147483647");
    assertBadRequest(() -> VolumeOps.decodeVolumeList(maxCount), "2147483647");
    assertBadRequest(() -> Wdacg.decode(body().i32(1).i32(Integer.MAX_VALUE).toByteArray()),
        "runs: 2147483647");
    assertBadRequest(() -> JournalGroup.decode(
        body().i64(1).i64(1).i64(1).i32(Integer.MAX_VALUE).toByteArray()), "records");
    assertBadRequest(() -> JournalGroup.decode(body().i64(1).i64(1).i64(1).i32(1)
        .u8(5).i64(1).i32(Integer.MAX_VALUE).toByteArray()), "extents");
    assertBadRequest(() -> JournalGroup.decode(body().i64(1).i64(1).i64(1).i32(1)
        .u8(6).i64(1).i32(Integer.MAX_VALUE).toByteArray()), "blockIndexes");
    // A negative count read as u32 is just as huge.
    assertBadRequest(() -> ReadBlocks.decode(body().i32(-1).toByteArray()), "-1");
  }

  @Test
  void countsJustPastTheirLimitsAreRefused() {
    assertBadRequest(() -> ReadBlocks.decode(body().i32(BATCH_BLOCKS_MAX + 1).toByteArray()),
        String.valueOf(BATCH_BLOCKS_MAX + 1));
    assertBadRequest(() -> ReleaseBlocks.decode(
        body().i32(BlockOps.RELEASE_PAS_MAX + 1).toByteArray()));
    assertBadRequest(() -> Wdacg.decode(body().i32(1).i32(Wdacg.RUNS_MAX + 1).toByteArray()));
    assertBadRequest(() -> Wdacg.Alloc.decode(body().i64(1).i64(1)
        .i32(ProtocolLimits.WDACG_BLOCKS_MAX + 1).i32(-1).toByteArray()));
    assertBadRequest(() -> JournalGroup.decode(body().i64(1).i64(1).i64(1)
        .i32(ProtocolLimits.JOURNAL_RECORDS_MAX + 1).toByteArray()));
    assertBadRequest(() -> DirPage.decode(
        body().i32(ProtocolLimits.PAGE_ENTRIES_MAX + 1).toByteArray()));
    assertBadRequest(() -> NodeOps.decodeNodeList(
        body().i32(ProtocolLimits.NODES_MAX + 1).toByteArray()));
    assertBadRequest(() -> ListDir.decode(body().i64(1).i64(1).i64(1).string("")
        .i32(ProtocolLimits.PAGE_ENTRIES_MAX + 1).toByteArray()), "maxEntries");
  }

  @Test
  void emptyBatchesAreRefused() {
    byte[] zero = body().i32(0).toByteArray();
    assertBadRequest(() -> ReadBlocks.decode(zero), "READ_BLOCKS count: 0");
    assertBadRequest(() -> WriteBlocks.decode(zero), "WRITE_BLOCKS count: 0");
    assertBadRequest(() -> Wdacg.Alloc.decode(body().i64(1).i64(1).i32(0).i32(-1).toByteArray()),
        "ALLOC_WDACG count: 0");
    assertBadRequest(() -> Wdacg.Alloc.decode(body().i64(1).i64(1).i32(1).i32(-2).toByteArray()),
        "snId: -2");
  }

  @Test
  void wdacgBlockTotalAboveTheLimitIsRefused() {
    int half = ProtocolLimits.WDACG_BLOCKS_MAX / 2;
    byte[] body = body().i32(1).i32(3).i64(0).i32(half).i64(half).i32(half).i64(1 << 20).i32(1)
        .toByteArray();
    assertBadRequest(() -> Wdacg.decode(body), "WDACG blocks: " + (2 * half + 1),
        "<= " + ProtocolLimits.WDACG_BLOCKS_MAX);
    assertBadRequest(() -> Wdacg.decode(body().i32(1).i32(1).i64(0)
        .i32(ProtocolLimits.WDACG_BLOCKS_MAX + 1).i32(-1).toByteArray()));
  }

  @Test
  void writeBlocksDataMustMatchItsCount() {
    byte[] short1 = body().i32(2).i64(1).i64(2).raw(new byte[2 * BLOCK_SIZE_BYTES - 1], 0,
        2 * BLOCK_SIZE_BYTES - 1).toByteArray();
    assertBadRequest(() -> WriteBlocks.decode(short1), "WRITE_BLOCKS data");
  }

  @Test
  void oversizedStringsAreRefused() {
    String longName = "n".repeat(ProtocolLimits.NAME_BYTES_MAX + 1);
    JournalGroup putDirent = new JournalGroup(1, 1, 1,
        List.of(new JournalRecord.PutDirent(1, longName, 2)));
    assertBadRequest(() -> JournalGroup.decode(putDirent.encode()), "name length: 256");
    InodeAttrs longLink = new InodeAttrs(1, InodeAttrs.S_IFLNK, 1, 0, 0, 0, 0, 0, 0, 0,
        "t".repeat(ProtocolLimits.SYMLINK_TARGET_BYTES_MAX + 1));
    byte[] encoded = longLink.encode();
    assertBadRequest(() -> InodeAttrs.decode(encoded), "symlinkTarget length: 4097");
    assertBadRequest(() -> ListDir.decode(new ListDir(1, 1, 1, longName, 1).encode()),
        "afterName");
    assertBadRequest(() -> VolumeOps.decodeName(VolumeOps.encodeName(
        "v".repeat(4 * ProtocolLimits.VOLUME_NAME_BYTES_MAX + 1))), "name length");
  }

  @Test
  void badFieldValuesAreRefused() {
    assertBadRequest(() -> ReadBlocks.decode(body().i32(1).i64(-1).toByteArray()),
        "pa: -1 (expected: >= 0)");
    assertBadRequest(() -> JournalGroup.decode(body().i64(1).i64(1).i64(1).i32(1).u8(9)
        .toByteArray()), "record type: 9 (expected: 1..8)");
    assertBadRequest(() -> JournalGroup.decode(body().i64(1).i64(1).i64(1).i32(1).u8(0)
        .toByteArray()), "record type: 0");
    assertBadRequest(() -> MountVolume.decode(body().string("v").string("c").u8(2)
        .toByteArray()), "createIfMissing: 2 (expected: 0 or 1)");
    assertBadRequest(() -> GetInode.decode(body().i64(-5).i64(1).i64(1).toByteArray()),
        "volumeId: -5");
    assertBadRequest(() -> RegisterNode.decode(body().string("u").string("h").i32(65536)
        .toByteArray()), "port: 65536");
  }

  @Test
  void wireReaderRefusesAWindowOutsideItsArray() {
    assertThrows(IndexOutOfBoundsException.class, () -> new WireReader(new byte[4], 2, 3));
    assertThrows(IndexOutOfBoundsException.class, () -> new WireReader(new byte[4], -1, 1));
    WireReader r = new WireReader(new byte[] {0, 0, 1, 7, 9}, 1, 3);
    assertEquals(1, r.u16("x"));
    assertEquals(7, r.u8("y"));
    assertBadRequest(() -> r.u8("z"), "z: needs 1 bytes (remaining: 0)");
  }
}
