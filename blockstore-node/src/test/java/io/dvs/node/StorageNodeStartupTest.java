package io.dvs.node;

import static io.dvs.protocol.ProtocolLimits.BLOCK_SIZE_BYTES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up refuses damaged or foreign state with a message naming the file; never reformats. */
class StorageNodeStartupTest {
  @TempDir Path dir;

  private StorageNodeConfig config() {
    return StorageNodeConfig.builder(dir.resolve("sn"))
        .newDeviceCapacityBytes(64L * BLOCK_SIZE_BYTES).build();
  }

  private Path formatted() {
    StorageNode.start(config()).close();
    return dir.resolve("sn");
  }

  private DvsException refused() {
    return assertThrows(DvsException.class, () -> StorageNode.start(config()).close());
  }

  @Test
  void formatsAnEmptyDirectoryAndKeepsItsIdentity() throws IOException {
    String uuid;
    try (StorageNode node = StorageNode.start(config())) {
      uuid = node.nodeUuid();
      assertEquals(-1, node.snId());
    }
    Path sn = dir.resolve("sn");
    assertTrue(Files.exists(sn.resolve("superblock")));
    assertEquals(64L * BLOCK_SIZE_BYTES, Files.size(sn.resolve("devices/dev0.img")));
    try (StorageNode node = StorageNode.start(config())) {
      assertEquals(uuid, node.nodeUuid());
    }
  }

  @Test
  void corruptSuperblockRefusesToStartNamingTheFile() throws IOException {
    Path superblock = formatted().resolve("superblock");
    byte[] bytes = Files.readAllBytes(superblock);
    bytes[12] ^= 1; // inside the node UUID: only the checksum can notice
    Files.write(superblock, bytes);
    DvsException e = refused();
    assertEquals(ErrorCode.IO_ERROR, e.code());
    assertTrue(e.getMessage().contains(superblock.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), "one line");
  }

  @Test
  void foreignFilesAreNeverFormattedOver() throws IOException {
    Path sn = dir.resolve("sn");
    Files.createDirectories(sn);
    Files.writeString(sn.resolve("notes.txt"), "mine");
    DvsException e = refused();
    assertTrue(e.getMessage().contains("notes.txt"), e.getMessage());
    assertEquals("mine", Files.readString(sn.resolve("notes.txt")));
  }

  @Test
  void foreignOrDamagedMetadataRefusesToStartNamingTheFile() throws IOException {
    Path meta = formatted().resolve("checkpoint");
    byte[] good = Files.readAllBytes(meta);
    Files.write(meta, new byte[8192], StandardOpenOption.TRUNCATE_EXISTING);
    DvsException e = refused();
    assertTrue(e.getMessage().contains(meta.toString()), e.getMessage());
    Files.write(meta, java.util.Arrays.copyOf(good, good.length - 3)); // truncated
    e = refused();
    assertTrue(e.getMessage().contains(meta.toString()), e.getMessage());
    byte[] flipped = good.clone();
    flipped[30] ^= 1; // in the header's counters: only the checksum can notice
    Files.write(meta, flipped);
    e = refused();
    assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    Files.delete(meta);
    e = refused();
    assertTrue(e.getMessage().contains(meta.toString()), e.getMessage());
  }

  @Test
  void corruptJournalBatchFollowedByMoreDataRefusesToStart() throws IOException {
    Path sn = dir.resolve("sn");
    try (StorageNode node = StorageNode.start(config())) {
      node.engine().write(new long[] {1}, new byte[BLOCK_SIZE_BYTES], 0);
      node.flush();
      byte[] one = new byte[BLOCK_SIZE_BYTES];
      one[0] = 1;
      node.engine().write(new long[] {2}, one, 0);
      node.flush(); // a second batch after the first
    }
    Path journal;
    try (var files = Files.list(sn)) {
      journal = files.filter(p -> p.getFileName().toString().startsWith("journal.")).findFirst()
          .orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(journal);
    bytes[38 + 20 + 2] ^= 1; // header 38 B, batch header 20 B: in batch 1; batch 2 follows
    Files.write(journal, bytes);
    DvsException e = refused();
    assertTrue(e.getMessage().contains(journal.toString()), e.getMessage());
  }

  @Test
  void truncatedDeviceRefusesToStart() throws IOException {
    Path device = formatted().resolve("devices/dev0.img");
    try (var ch = Files.newByteChannel(device, StandardOpenOption.WRITE)) {
      ch.truncate(32L * BLOCK_SIZE_BYTES);
    }
    DvsException e = refused();
    assertTrue(e.getMessage().contains(device.toString()), e.getMessage());
  }

  @Test
  void portInUseIsAClearError() {
    try (StorageNode first = StorageNode.start(config())) {
      StorageNodeConfig second = StorageNodeConfig.builder(dir.resolve("other"))
          .newDeviceCapacityBytes(64L * BLOCK_SIZE_BYTES).port(first.address().getPort())
          .build();
      DvsException e = assertThrows(DvsException.class, () -> StorageNode.start(second));
      assertEquals(ErrorCode.UNAVAILABLE, e.code());
      assertTrue(e.getMessage().contains(String.valueOf(first.address().getPort())));
    }
    // The failed start released its data directory: it opens now.
    StorageNode.start(StorageNodeConfig.builder(dir.resolve("other")).build()).close();
  }
}
