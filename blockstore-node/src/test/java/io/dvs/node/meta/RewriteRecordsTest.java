package io.dvs.node.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.node.dedup.FingerprintIndex;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** REWRITE and INDEX (journal version 2) through replay and checkpoint; version-1 files. */
class RewriteRecordsTest {
  private static final UUID NODE = UUID.randomUUID();
  private static final int DIGEST = 32;
  @TempDir Path dir;

  private static byte[] fp(int seed) {
    byte[] fp = new byte[DIGEST];
    Arrays.fill(fp, (byte) seed);
    return fp;
  }

  private static void commit(NodeMetadata meta) throws IOException {
    meta.writeBatch(meta.takeBatch());
  }

  private NodeMetadata reopen(NodeMetadata meta) {
    meta.close();
    return NodeMetadata.open(dir, NODE, DIGEST, 100);
  }

  @Test
  void unknownContentSurvivesReplayAndCheckpointAndIsIndexedAgain() throws IOException {
    NodeMetadata meta = NodeMetadata.create(dir, NODE, DIGEST, 100);
    meta.mapNew(1, 0, fp(1));
    meta.mapNew(2, 1, fp(2));
    meta.rewrite(1);
    commit(meta);
    assertEquals(FingerprintIndex.NO_LOCATION, meta.lookup(fp(1), l -> true));

    meta = reopen(meta); // replay
    assertTrue(meta.contentUnknown(0));
    assertArrayEquals(new long[] {0}, meta.unknownContent());
    assertEquals(FingerprintIndex.NO_LOCATION, meta.lookup(fp(1), l -> true));
    assertEquals(1, meta.lookup(fp(2), l -> true));

    meta.checkpoint();
    meta = reopen(meta); // from the checkpoint
    assertTrue(meta.contentUnknown(0));
    assertTrue(meta.check().clean());

    meta.index(0, fp(9));
    commit(meta);
    meta = reopen(meta);
    assertFalse(meta.contentUnknown(0));
    assertEquals(0, meta.lookup(fp(9), l -> true));
    assertEquals(1, meta.refCount(0));
    meta.release(1); // an L of known content again leaves the index when freed
    assertEquals(FingerprintIndex.NO_LOCATION, meta.lookup(fp(9), l -> true));
    meta.close();
  }

  @Test
  void aVersionOneJournalStillReplays() throws IOException {
    NodeMetadata meta = NodeMetadata.create(dir, NODE, DIGEST, 100);
    meta.mapNew(1, 0, fp(1));
    meta.mapNew(2, 1, fp(1 + 1));
    commit(meta);
    meta.close();
    Path journal;
    try (var files = Files.list(dir)) {
      journal = files.filter(p -> p.getFileName().toString().startsWith(Journal.PREFIX))
          .findFirst().orElseThrow();
    }
    try (FileChannel ch = FileChannel.open(journal, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      ByteBuffer header = ByteBuffer.allocate(38);
      ch.read(header, 0);
      header.put(8, (byte) 1); // what a version-1 node wrote
      CRC32C crc = new CRC32C();
      crc.update(header.array(), 0, 34);
      header.putInt(34, (int) crc.getValue());
      header.rewind();
      ch.write(header, 0);
    }
    meta = NodeMetadata.open(dir, NODE, DIGEST, 100);
    assertEquals(0, meta.locationOf(1));
    assertEquals(1, meta.lookup(fp(2), l -> true));
    meta.close();
  }
}
