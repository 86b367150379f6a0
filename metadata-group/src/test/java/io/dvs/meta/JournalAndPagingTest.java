package io.dvs.meta;

import static io.dvs.meta.Ms.expectError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.JournalRecord;
import io.dvs.protocol.message.JournalRecord.DeleteDirent;
import io.dvs.protocol.message.JournalRecord.DeleteInode;
import io.dvs.protocol.message.JournalRecord.MapBlocks;
import io.dvs.protocol.message.JournalRecord.PutDirent;
import io.dvs.protocol.message.JournalRecord.PutInode;
import io.dvs.protocol.message.JournalRecord.TruncateBlocks;
import io.dvs.protocol.message.JournalRecord.UnmapBlocks;
import io.dvs.protocol.message.LptExtent;
import io.dvs.protocol.message.MetadataOps;
import io.dvs.protocol.message.VolumeOps;
import io.dvs.protocol.message.Wdacg;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Journal groups (paper 1, 3.5) and on-demand metadata pages, through the real server. */
class JournalAndPagingTest {
  @TempDir Path dir;
  Ms ms;
  VolumeOps.Mounted m;
  int snId;
  long nextPa;
  long paEnd;

  @BeforeEach
  void start() {
    ms = new Ms(dir);
    snId = ms.register("sn-1", 9, Ms.stats(1000, 0));
    m = ms.mount("vol", "client-a");
  }

  @AfterEach
  void stop() {
    ms.close();
  }

  /** PAs from WDACGs, as the client would use them. */
  private List<LptExtent> rows(long fromBlock, int count) {
    List<LptExtent> rows = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      if (nextPa == paEnd) {
        Wdacg w = ms.wdacg(m, 64);
        assertEquals(1, w.counts().length);
        nextPa = w.paStarts()[0];
        paEnd = nextPa + w.counts()[0];
      }
      rows.add(new LptExtent(fromBlock + i, snId, nextPa++));
    }
    return rows;
  }

  /** Everything the client can read back about files 2..5 and the root directory. */
  private String snapshot() {
    StringBuilder s = new StringBuilder();
    s.append(ms.listDir(m, InodeAttrs.ROOT_INO, "", 100)).append('\n');
    for (long ino = 2; ino <= 5; ino++) {
      try {
        s.append(ms.inode(m, ino)).append(ms.lpt(m, ino, 0, 1000)).append('\n');
      } catch (io.dvs.protocol.DvsException e) {
        s.append(ino).append(' ').append(e.code()).append('\n');
      }
    }
    return s.toString();
  }

  @Test
  void groupsApplyInOrderOnceAndReplayIsANoOp() {
    List<List<JournalRecord>> groups = List.of(
        List.of(new PutInode(Ms.file(2)), new PutDirent(1, "a", 2), new PutInode(Ms.file(3)),
            new PutDirent(1, "b", 3), new MapBlocks(2, rows(0, 10))),
        List.of(new MapBlocks(3, rows(5, 5)), new UnmapBlocks(2, new long[] {1, 3, 99})),
        List.of(new TruncateBlocks(2, 6), new PutInode(Ms.file(5).withSize(4096)),
            new PutDirent(1, "c", 5), new MapBlocks(2, rows(0, 1))),
        List.of(new DeleteDirent(1, "b"), new DeleteInode(3)));
    for (int i = 0; i < groups.size(); i++) {
      ms.apply(m, i + 1, groups.get(i));
    }
    String once = snapshot();
    for (int i = 0; i < groups.size(); i++) {
      ms.apply(m, i + 1, groups.get(i)); // A retry of every group: acknowledged, no effect.
    }
    assertEquals(once, snapshot());
    assertEquals(List.of(0L, 2L, 4L, 5L),
        Ms.blocks(ms.lpt(m, 2, 0, 100).extents()).stream().map(LptExtent::firstBlock).toList());
    // st_blocks for a client that has not loaded the LPT: GET_INODE and LIST_DIR count it.
    assertEquals(4, ms.storedInode(m, 2).mappedBlocks());
    assertEquals(List.of("a 4", "c 0"), ms.listDir(m, 1, "", 100).entries().stream()
        .map(e -> e.name() + " " + e.inode().mappedBlocks()).toList());
    expectError(ErrorCode.NOT_FOUND, () -> ms.inode(m, 3));

    VolumeOps.Mounted again = ms.mount("vol", "client-a");
    assertEquals(4, again.lastAppliedSeq());
    assertEquals(6, again.nextIno());
    assertEquals(3, again.volume().inodes(), "root, 2 and 5");
    assertEquals(4, again.volume().mappedBlocks());
  }

  @Test
  void gapAndStaleEpochAreRefused() {
    ms.apply(m, 1, List.of(new PutInode(Ms.file(2))));
    expectError(ErrorCode.JOURNAL_GAP, () -> ms.apply(m, 3, List.of(new PutInode(Ms.file(3)))));
    expectError(ErrorCode.NOT_FOUND, () -> ms.inode(m, 3));
    VolumeOps.Mounted newer = ms.mount("vol", "client-a");
    expectError(ErrorCode.STALE_EPOCH, () -> ms.apply(m, 2, List.of(new PutInode(Ms.file(3)))));
    m = newer;
    ms.apply(m, 2, List.of(new PutInode(Ms.file(3))));
    ms.inode(m, 3);
  }

  @Test
  void anInvalidRecordRejectsTheWholeGroup() {
    List<LptExtent> good = rows(0, 3);
    for (JournalRecord bad : List.of(
        new PutDirent(77, "x", 2),                                    // no such directory
        new MapBlocks(2, List.of(new LptExtent(0, snId, 1L << 39))),    // PA never handed out
        new MapBlocks(2, List.of(new LptExtent(0, 42, good.get(0).firstPa()))), // unknown SN
        new MapBlocks(2, List.of(new LptExtent(1L << 40, snId, good.get(0).firstPa()))), // past end
        new PutDirent(1, "a/b", 2),
        new DeleteInode(InodeAttrs.ROOT_INO))) {
      expectError(ErrorCode.BAD_REQUEST, () -> ms.apply(m, 1,
          List.of(new PutInode(Ms.file(2)), new MapBlocks(2, good), bad)));
      expectError(ErrorCode.NOT_FOUND, () -> ms.inode(m, 2));
    }
    ms.apply(m, 1, List.of(new PutInode(Ms.file(2)), new MapBlocks(2, good)));
    assertEquals(good, Ms.blocks(ms.lpt(m, 2, 0, 10).extents()));
    assertEquals(1, ms.lpt(m, 2, 0, 10).extents().size(), "consecutive PAs merge");
    // A released PA may not be mapped again: the SN is about to drop it.
    ms.apply(m, 2, List.of(new UnmapBlocks(2, new long[] {0})));
    expectError(ErrorCode.BAD_REQUEST, () -> ms.apply(m, 3, List.of(new MapBlocks(2, good))));
  }

  @Test
  void listDirPagesInUtf8ByteOrder() {
    List<String> names = new ArrayList<>(List.of("b", "a", "ab", "Z", "é", "z", "~", "日本",
        "a.txt", "A"));
    for (int i = 0; i < 30; i++) {
      names.add("f" + i);
    }
    List<JournalRecord> records = new ArrayList<>();
    records.add(new PutInode(Ms.directory(2)));
    records.add(new PutDirent(1, "sub", 2));
    long ino = 10;
    for (String name : names) {
      records.add(new PutInode(Ms.file(ino)));
      records.add(new PutDirent(2, name, ino++));
    }
    records.add(new PutInode(Ms.file(ino)));
    records.add(new PutDirent(3 - 2, "zz-in-root", ino)); // another directory: not listed
    ms.apply(m, 1, records);

    names.sort(Comparator.comparing(n -> n.getBytes(StandardCharsets.UTF_8),
        Arrays::compareUnsigned));
    List<String> listed = new ArrayList<>();
    String after = "";
    int pages = 0;
    while (true) {
      MetadataOps.DirPage page = ms.listDir(m, 2, after, 7);
      assertTrue(page.entries().size() <= 7);
      page.entries().forEach(e -> listed.add(e.name()));
      pages++;
      if (!page.more()) {
        break;
      }
      after = page.entries().get(page.entries().size() - 1).name();
    }
    assertEquals(names, listed);
    assertEquals((names.size() + 6) / 7, pages);
    assertFalse(ms.listDir(m, 2, names.get(names.size() - 1), 7).more());
    expectError(ErrorCode.INVALID_ARGUMENT, () -> ms.listDir(m, 10, "", 7));
  }

  @Test
  void getLptPagesAscendingFromABlock() {
    List<LptExtent> all = new ArrayList<>();
    for (long b : new long[] {0, 1, 127, 128, 255, 256, 65_536, 1L << 31, (1L << 38) - 1}) {
      all.add(rows(b, 1).get(0));
    }
    ms.apply(m, 1, List.of(new PutInode(Ms.file(2)), new PutInode(Ms.file(3)),
        new MapBlocks(2, all), new MapBlocks(3, rows(0, 3))));
    List<LptExtent> read = new ArrayList<>();
    long from = 0;
    while (true) {
      MetadataOps.LptPage page = ms.lpt(m, 2, from, 4);
      read.addAll(page.extents());
      if (!page.more()) {
        break;
      }
      from = page.extents().get(page.extents().size() - 1).endBlock();
    }
    assertEquals(all, Ms.blocks(read));
    assertEquals(all.subList(3, all.size()), Ms.blocks(ms.lpt(m, 2, 128, 100).extents()));
    assertEquals(all.subList(1, all.size()), Ms.blocks(ms.lpt(m, 2, 1, 100).extents()),
        "an extent starting before the first block asked for is cut at it");
    assertTrue(ms.lpt(m, 2, 1L << 38, 100).extents().isEmpty());
  }
}
