package io.dvs.meta.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.message.LptExtent;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

/** A format-2 store (a row per LPT extent) opens as format 3 with the same LPT. */
class FormatUpgradeTest {
  @Test
  void extentRowsMoveIntoChunkRows(@TempDir Path dir) {
    List<LptExtent> extents = List.of(new LptExtent(0, 1, 100, 300), new LptExtent(300, 2, 7, 1),
        new LptExtent(301, 1, 400, 600), new LptExtent(5000, 1, 9000, 2));
    writeFormat2(dir, 4, 8, extents);
    try (MetaStore store = MetaStore.open(dir)) {
      assertEquals(MetaStore.FORMAT_VERSION, store.meta.get(MetaStore.FORMAT_VERSION_KEY));
      assertEquals(extents, store.read(() -> store.volumes().lptExtents(4, 8, 0, 100)));
      assertEquals(903, (long) store.read(() -> store.volumes().mappedBlocks(4, 8)));
    }
    try (MetaStore again = MetaStore.open(dir)) {
      assertEquals(extents, again.read(() -> again.volumes().lptExtents(4, 8, 0, 100)),
          "the upgrade was committed once and is not repeated");
    }
  }

  @Test
  void overlappingExtentRowsAreACorruptStore(@TempDir Path dir) {
    writeFormat2(dir, 4, 8, List.of(new LptExtent(0, 1, 100, 10), new LptExtent(5, 1, 500, 1)));
    DvsException e = assertThrows(DvsException.class, () -> MetaStore.open(dir));
    assertTrue(e.getMessage().contains("mapped twice"), e.getMessage());
  }

  private static void writeFormat2(Path dir, long volumeId, long ino, List<LptExtent> extents) {
    DB db = DBMaker.fileDB(dir.resolve(MetaStore.FILE_NAME).toFile()).transactionEnable()
        .make();
    BTreeMap<String, Long> meta = db.treeMap("meta", Serializer.STRING, Serializer.LONG)
        .createOrOpen();
    meta.put(MetaStore.FORMAT_VERSION_KEY, 2L);
    meta.put(MetaStore.NEXT_VOLUME_ID_KEY, 5L);
    meta.put(MetaStore.NEXT_SN_ID_KEY, 3L);
    BTreeMap<byte[], byte[]> rows = db.treeMap(MapDbVolumeStore.V2_LPT_MAP,
        Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).createOrOpen();
    for (LptExtent x : extents) {
      rows.put(Keys.lpt(volumeId, ino, x.firstBlock()), ByteBuffer.allocate(16)
          .putInt(x.snId()).putLong(x.firstPa()).putInt(x.count()).array());
    }
    db.commit();
    db.close();
  }
}
