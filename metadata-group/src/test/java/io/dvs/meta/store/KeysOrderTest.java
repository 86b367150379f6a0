package io.dvs.meta.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mapdb.Serializer;

/**
 * Pins the assumption every prefix scan rests on: MapDB's BYTE_ARRAY comparator orders our
 * keys like the numbers and names they encode (unsigned bytes, shorter first).
 */
class KeysOrderTest {
  @Property(tries = 500)
  void lptKeysSortLikeTheirBlockIndexes(
      @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long a,
      @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long b) {
    int expected = Long.signum(Long.compare(a, b));
    assertEquals(expected, Integer.signum(
        Serializer.BYTE_ARRAY.compare(Keys.lpt(5, 9, a), Keys.lpt(5, 9, b))));
    assertEquals(expected, Integer.signum(
        Serializer.BYTE_ARRAY.compare(Keys.lpt(a, 0, 0), Keys.lpt(b, 0, 0))));
  }

  @Test
  void storedMapsScanInKeyOrder(@TempDir Path dir) throws Exception {
    try (MetaStore store = MetaStore.open(dir)) {
      List<String> names = new ArrayList<>(List.of("z", "é", "a", "ab", "A", "日本", "a\u0080"));
      List<Long> blocks = List.of(1L << 40, 0L, 255L, 128L, 127L, 256L, (1L << 32) + 1);
      store.write(() -> {
        for (String name : names) {
          store.volumes().putDirent(3, 1, name.getBytes(StandardCharsets.UTF_8), 7);
          store.volumes().putDirent(3, 2, name.getBytes(StandardCharsets.UTF_8), 7);
        }
        for (long b : blocks) {
          store.volumes().mapExtent(3, 4, new io.dvs.protocol.message.LptExtent(b, 1, 2 * b), x -> { });
          store.volumes().mapExtent(3, 5, new io.dvs.protocol.message.LptExtent(b, 1, 2 * b), x -> { });
        }
        return null;
      });
      List<String> scanned = store.read(() -> store.volumes().dirents(3, 1, new byte[0], 100)
          .stream().map(r -> new String(r.name(), StandardCharsets.UTF_8)).toList());
      names.sort(Comparator.comparing(n -> n.getBytes(StandardCharsets.UTF_8),
          Arrays::compareUnsigned));
      assertEquals(names, scanned);
      List<Long> rows = store.read(() -> store.volumes().lptExtents(3, 4, 0, 100)).stream()
          .map(io.dvs.protocol.message.LptExtent::firstBlock).toList();
      assertEquals(blocks.stream().sorted().toList(), rows);
    }
  }

  @Test
  void storeFileIsTheDocumentedName(@TempDir Path dir) {
    MetaStore.open(dir).close();
    assertEquals(true, Files.exists(dir.resolve(MetaStore.FILE_NAME)));
  }
}
