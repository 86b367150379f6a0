package io.dvs.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dvs.meta.snmm.Snmm;
import io.dvs.meta.store.MetaStore;
import io.dvs.meta.store.VolumeStore;
import io.dvs.meta.volume.VolumeService;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.JournalGroup;
import io.dvs.protocol.message.JournalRecord;
import io.dvs.protocol.message.LptExtent;
import io.dvs.protocol.message.NodeOps;
import io.dvs.protocol.message.VolumeOps;
import io.dvs.protocol.message.Wdacg;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Paper 1's group update is safe to resend: whatever sequence of groups arrives — retries,
 * duplicates, groups from the future — the volume ends exactly as if the longest in-order
 * prefix had been applied once each. A group ahead of the next expected one is refused
 * (JOURNAL_GAP) and changes nothing; one already applied is acknowledged and changes nothing.
 */
class JournalReplayProperties {
  /** Groups per try: enough for creates, writes, unmaps, truncates and unlinks to interleave. */
  static final int GROUPS = 12;
  /** PAs of the one WDACG every try maps from (each MapBlocks takes fresh ones). */
  static final int WDACG_BLOCKS = 4096;

  @Property(tries = 15)
  void anyDeliveryOrderEndsAsTheAppliedPrefix(@ForAll long seed) throws Exception {
    Random random = new Random(seed);
    List<List<JournalRecord>> groups = Model.groups(random, GROUPS);
    // Deliveries: mostly the next group, often a retry of an old one, sometimes one far ahead.
    List<Integer> deliveries = new ArrayList<>();
    for (int i = 0; i < 3 * GROUPS; i++) {
      deliveries.add(random.nextInt(10) < 5 ? -1 : 1 + random.nextInt(GROUPS));
    }
    int applied;
    List<String> delivered;
    try (Volume volume = Volume.open()) {
      applied = 0;
      for (int d : deliveries) {
        int seq = d < 0 ? Math.min(applied + 1, GROUPS) : d;
        if (seq > applied + 1) {
          DvsException gap = assertThrows(DvsException.class,
              () -> volume.apply(seq, groups.get(seq - 1)));
          assertEquals(ErrorCode.JOURNAL_GAP, gap.code());
        } else {
          volume.apply(seq, groups.get(seq - 1));
          applied = Math.max(applied, seq);
        }
      }
      delivered = volume.dump();
    }
    try (Volume reference = Volume.open()) {
      for (int seq = 1; seq <= applied; seq++) {
        reference.apply(seq, groups.get(seq - 1));
      }
      assertEquals(reference.dump(), delivered, "seed " + seed + ", applied " + applied);
    }
  }

  /** A fresh MS store with one SN, one mounted volume and one WDACG, driven in-process. */
  private static final class Volume implements AutoCloseable {
    final Path dir;
    final MetaStore store;
    final VolumeService service;
    final VolumeOps.Mounted mounted;

    private Volume(Path dir) {
      this.dir = dir;
      ManualClock clock = new ManualClock();
      store = MetaStore.open(dir);
      Snmm snmm = new Snmm(store, clock, 5_000);
      service = new VolumeService(store, snmm, clock, 15_000);
      snmm.register(new NodeOps.RegisterNode("sn", "127.0.0.1", 9, Ms.stats(1000, 0)));
      mounted = service.mount(new VolumeOps.MountVolume("vol", "client", true));
      Wdacg w = service.allocWdacg(
          new Wdacg.Alloc(mounted.volume().volumeId(), mounted.epoch(), WDACG_BLOCKS));
      assertEquals(0, w.paStarts()[0]);
    }

    static Volume open() throws IOException {
      return new Volume(Files.createTempDirectory("journal-replay"));
    }

    void apply(int seq, List<JournalRecord> records) {
      service.applyJournal(new JournalGroup(mounted.volume().volumeId(), mounted.epoch(), seq,
          records));
    }

    /** Every row the volume owns, as text, in key order. */
    List<String> dump() {
      return store.read(() -> {
        VolumeStore v = store.volumes();
        long id = mounted.volume().volumeId();
        List<String> rows = new ArrayList<>();
        rows.add(v.volume(id).orElseThrow().withLease(0, "").toString());
        for (long ino = 1; ino < v.volume(id).orElseThrow().nextIno(); ino++) {
          long i = ino;
          v.inode(id, ino).ifPresent(a -> rows.add("inode " + a));
          Ms.blocks(v.lptExtents(id, ino, 0, 1_000)).forEach(r -> rows.add("lpt " + i + " " + r));
        }
        v.dirents(id, InodeAttrs.ROOT_INO, new byte[0], 1_000).forEach(
            d -> rows.add("dirent " + new String(d.name()) + " -> " + d.childIno()));
        rows.add("releasing " + store.paSpace().releasingCount());
        rows.add("leased " + store.leasedPas().runs(id));
        return rows;
      });
    }

    @Override
    public void close() throws IOException {
      store.close();
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  /** Generates valid groups: files in the root, written, unmapped, truncated and unlinked. */
  private static final class Model {
    static List<List<JournalRecord>> groups(Random random, int count) {
      Map<Long, TreeSet<Long>> files = new TreeMap<>();
      long[] next = {2, 0}; // next ino, next PA
      List<List<JournalRecord>> groups = new ArrayList<>();
      for (int g = 0; g < count; g++) {
        List<JournalRecord> records = new ArrayList<>();
        int n = 1 + random.nextInt(5);
        for (int i = 0; i < n; i++) {
          step(random, files, next, records);
        }
        groups.add(records);
      }
      return groups;
    }

    private static void step(Random random, Map<Long, TreeSet<Long>> files, long[] next,
        List<JournalRecord> out) {
      List<Long> live = new ArrayList<>(files.keySet());
      int kind = live.isEmpty() ? 0 : random.nextInt(6);
      long ino = live.isEmpty() ? 0 : live.get(random.nextInt(live.size()));
      switch (kind) {
        case 0 -> {
          long created = next[0]++;
          files.put(created, new TreeSet<>());
          out.add(new JournalRecord.PutInode(Ms.file(created)));
          out.add(new JournalRecord.PutDirent(InodeAttrs.ROOT_INO, "f" + created, created));
        }
        case 1, 2 -> {
          List<LptExtent> rows = new ArrayList<>();
          Map<Long, Long> byBlock = new HashMap<>();
          for (int b = 0; b < 1 + random.nextInt(4); b++) {
            byBlock.put((long) random.nextInt(16), next[1]++);
          }
          new TreeMap<>(byBlock).forEach((block, pa) -> rows.add(new LptExtent(block, 1, pa)));
          rows.forEach(r -> files.get(ino).add(r.firstBlock()));
          out.add(new JournalRecord.MapBlocks(ino, rows));
        }
        case 3 -> {
          out.add(new JournalRecord.UnmapBlocks(ino, new long[] {random.nextInt(16)}));
        }
        case 4 -> {
          long from = random.nextInt(16);
          files.get(ino).tailSet(from).clear();
          out.add(new JournalRecord.TruncateBlocks(ino, from));
          out.add(new JournalRecord.PutInode(Ms.file(ino).withSize(from * 4096)));
        }
        default -> {
          files.remove(ino);
          out.add(new JournalRecord.DeleteDirent(InodeAttrs.ROOT_INO, "f" + ino));
          out.add(new JournalRecord.DeleteInode(ino));
        }
      }
    }
  }
}
