package io.dvs.node.store;

import com.google.common.base.Preconditions;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.ProtocolLimits;
import io.dvs.volume.BlockDevice;
import io.dvs.volume.VolumePlugin;
import io.dvs.volume.VolumePlugins;
import io.dvs.volume.file.FileVolumePlugin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * An SN data directory, formatted on first use and checked at every start:
 *
 * <pre>
 * dataDir/
 *   superblock          identity, block size, fingerprint algorithm, devices ({@link Superblock})
 *   meta.db, meta.db.wal.*   LBA map, block table, index, counters ({@link MetaStore})
 *   devices/dev0.img    the first device: a sparse file (volume plugin "file")
 * </pre>
 *
 * The superblock is written last when formatting: a directory without one was never handed to
 * anyone, and a non-empty directory without one is refused rather than reformatted (it may be
 * someone else's data, or an interrupted format the operator should look at).
 */
public final class DataDirectory implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(DataDirectory.class.getName());

  static final String DEVICES_DIR = "devices";
  static final String FIRST_DEVICE = DEVICES_DIR + "/dev0.img";

  /** Devices this build opens; algorithm 4 (add a device to an SN) is a later issue. */
  static final int DEVICES_SUPPORTED = 1;

  private final Path dir;
  private final Superblock superblock;
  private final BlockDevice device;
  private final MetaStore meta;

  private DataDirectory(Path dir, Superblock superblock, BlockDevice device, MetaStore meta) {
    this.dir = dir;
    this.superblock = superblock;
    this.device = device;
    this.meta = meta;
  }

  /**
   * Opens {@code dir}, formatting it first if it is missing or empty. Problems are DvsExceptions
   * with a one-line message naming the file and what to do.
   */
  public static DataDirectory openOrFormat(Path dir, long newDeviceCapacityBlocks,
      String fingerprintAlgorithm) {
    Preconditions.checkArgument(newDeviceCapacityBlocks >= 1, "newDeviceCapacityBlocks: %s",
        newDeviceCapacityBlocks);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new DvsException(ErrorCode.IO_ERROR, "cannot create data directory " + dir + ": "
          + e + " (choose a directory you can write)", e);
    }
    if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
      throw new DvsException(ErrorCode.IO_ERROR, "data directory " + dir
          + " is not a writable directory (fix its permissions or choose another)");
    }
    Path superblockFile = dir.resolve(Superblock.FILE_NAME);
    if (Files.exists(superblockFile)) {
      return open(dir, Superblock.read(superblockFile));
    }
    Optional<Path> stranger = firstEntry(dir);
    if (stranger.isPresent()) {
      throw new DvsException(ErrorCode.IO_ERROR, "data directory " + dir + " is not empty ("
          + stranger.get().getFileName() + ") and has no " + Superblock.FILE_NAME
          + ": not a dvs storage node directory, or an interrupted format; refusing to touch it "
          + "(use an empty directory, or empty this one)");
    }
    return format(dir, newDeviceCapacityBlocks, fingerprintAlgorithm);
  }

  private static Optional<Path> firstEntry(Path dir) {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findFirst();
    } catch (IOException e) {
      throw new DvsException(ErrorCode.IO_ERROR, "cannot list data directory " + dir + ": " + e,
          e);
    }
  }

  private static DataDirectory format(Path dir, long capacityBlocks, String algorithm) {
    UUID uuid = UUID.randomUUID();
    Superblock superblock = new Superblock(uuid, ProtocolLimits.BLOCK_SIZE_BYTES, algorithm,
        List.of(new Superblock.Device(FileVolumePlugin.NAME, FIRST_DEVICE, capacityBlocks)));
    BlockDevice device = null;
    MetaStore meta = null;
    try {
      Files.createDirectories(dir.resolve(DEVICES_DIR));
      device = VolumePlugins.byName(FileVolumePlugin.NAME)
          .create(dir.resolve(FIRST_DEVICE), capacityBlocks);
      meta = MetaStore.create(dir.resolve(MetaStore.FILE_NAME), uuid.toString(), algorithm);
      Superblock.syncDirectory(dir.resolve(DEVICES_DIR));
      superblock.writeTo(dir); // last: the directory counts as formatted from here on
      LOG.fine(() -> "formatted storage node " + uuid + " in " + dir);
      return new DataDirectory(dir, superblock, device, meta);
    } catch (IOException | RuntimeException e) {
      closeAll(meta, device);
      if (e instanceof DvsException d) {
        throw d;
      }
      throw new DvsException(ErrorCode.IO_ERROR, "cannot format data directory " + dir + ": "
          + e + " (check free space and permissions, empty the directory, and retry)", e);
    }
  }

  private static DataDirectory open(Path dir, Superblock superblock) {
    Path superblockFile = dir.resolve(Superblock.FILE_NAME);
    if (superblock.blockSizeBytes() != ProtocolLimits.BLOCK_SIZE_BYTES) {
      throw Superblock.corrupt(superblockFile, "block size " + superblock.blockSizeBytes()
          + " (this build uses " + ProtocolLimits.BLOCK_SIZE_BYTES + ")");
    }
    if (superblock.devices().size() != DEVICES_SUPPORTED) {
      throw Superblock.corrupt(superblockFile, superblock.devices().size()
          + " devices (this build opens exactly " + DEVICES_SUPPORTED + ")");
    }
    Superblock.Device d = superblock.devices().get(0);
    VolumePlugin plugin = VolumePlugins.find(d.plugin()).orElseThrow(() -> Superblock.corrupt(
        superblockFile, "device plugin '" + d.plugin() + "' is not installed"));
    Path devicePath = dir.resolve(d.relativePath()).normalize();
    if (!devicePath.startsWith(dir.normalize())) {
      throw Superblock.corrupt(superblockFile, "device path " + d.relativePath()
          + " leaves the data directory");
    }
    BlockDevice device;
    try {
      device = plugin.open(devicePath);
    } catch (IOException e) {
      throw new DvsException(ErrorCode.IO_ERROR, "cannot open device " + devicePath + ": " + e
          + "; refusing to start (restore it from backup)", e);
    }
    MetaStore meta = null;
    try {
      if (device.capacityBlocks() != d.capacityBlocks()) {
        throw new DvsException(ErrorCode.IO_ERROR, "device " + devicePath + " holds "
            + device.capacityBlocks() + " blocks but the superblock says " + d.capacityBlocks()
            + "; refusing to start (was the file replaced or truncated?)");
      }
      meta = MetaStore.open(dir.resolve(MetaStore.FILE_NAME), superblock.nodeUuid().toString(),
          superblock.fingerprintAlgorithm());
      return new DataDirectory(dir, superblock, device, meta);
    } catch (RuntimeException e) {
      closeAll(meta, device);
      throw e;
    }
  }

  private static void closeAll(MetaStore meta, BlockDevice device) {
    if (meta != null) {
      meta.close();
    }
    if (device != null) {
      try {
        device.close();
      } catch (IOException ignored) {
        // Already failing; the first error is the one to report.
      }
    }
  }

  public Path dir() {
    return dir;
  }

  public Superblock superblock() {
    return superblock;
  }

  /** The device; its owner (the dedup engine) closes it. */
  public BlockDevice device() {
    return device;
  }

  /** The metadata store; its owner (the dedup engine) closes it. */
  public MetaStore meta() {
    return meta;
  }

  /** Closes the store and the device; for callers that never handed them to an engine. */
  @Override
  public void close() {
    closeAll(meta, device);
  }
}
