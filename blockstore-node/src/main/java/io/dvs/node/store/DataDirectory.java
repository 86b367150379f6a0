package io.dvs.node.store;

import com.google.common.base.Preconditions;
import io.dvs.node.meta.Checkpoint;
import io.dvs.node.meta.NodeMetadata;
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
import java.util.ArrayList;
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
 *   checkpoint          snapshot of LBA map and block table (docs/format/sn-journal.md)
 *   journal.NNNN…       write-ahead journal batches after the checkpoint
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

  private final Path dir;
  private Superblock superblock;
  private final DeviceSet devices;
  private final NodeMetadata meta;

  private DataDirectory(Path dir, Superblock superblock, DeviceSet devices, NodeMetadata meta) {
    this.dir = dir;
    this.superblock = superblock;
    this.devices = devices;
    this.meta = meta;
  }

  /** As below, with verify-on-match on for SHA-1 only (the weakest of the hashes). */
  public static DataDirectory openOrFormat(Path dir, long newDeviceCapacityBlocks,
      String fingerprintAlgorithm) {
    return openOrFormat(dir, newDeviceCapacityBlocks, fingerprintAlgorithm,
        "SHA-1".equals(fingerprintAlgorithm));
  }

  /**
   * Opens {@code dir}, formatting it first if it is missing or empty. Problems are DvsExceptions
   * with a one-line message naming the file and what to do.
   */
  public static DataDirectory openOrFormat(Path dir, long newDeviceCapacityBlocks,
      String fingerprintAlgorithm, boolean verifyOnMatch) {
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
      return open(dir, false);
    }
    Optional<Path> stranger = firstEntry(dir);
    if (stranger.isPresent()) {
      throw new DvsException(ErrorCode.IO_ERROR, "data directory " + dir + " is not empty ("
          + stranger.get().getFileName() + ") and has no " + Superblock.FILE_NAME
          + ": not a dvs storage node directory, or an interrupted format; refusing to touch it "
          + "(use an empty directory, or empty this one)");
    }
    return format(dir, newDeviceCapacityBlocks, fingerprintAlgorithm, verifyOnMatch);
  }

  private static Optional<Path> firstEntry(Path dir) {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findFirst();
    } catch (IOException e) {
      throw new DvsException(ErrorCode.IO_ERROR, "cannot list data directory " + dir + ": " + e,
          e);
    }
  }

  private static DataDirectory format(Path dir, long capacityBlocks, String algorithm,
      boolean verifyOnMatch) {
    UUID uuid = UUID.randomUUID();
    Superblock superblock = new Superblock(uuid, ProtocolLimits.BLOCK_SIZE_BYTES, algorithm,
        verifyOnMatch,
        List.of(new Superblock.Device(FileVolumePlugin.NAME, FIRST_DEVICE, capacityBlocks)));
    BlockDevice device = null;
    NodeMetadata meta = null;
    try {
      Files.createDirectories(dir.resolve(DEVICES_DIR));
      device = VolumePlugins.byName(FileVolumePlugin.NAME)
          .create(dir.resolve(FIRST_DEVICE), capacityBlocks);
      meta = NodeMetadata.create(dir, uuid, digestBytes(algorithm), capacityBlocks);
      Checkpoint.syncDirectory(dir.resolve(DEVICES_DIR));
      superblock.writeTo(dir); // last: the directory counts as formatted from here on
      LOG.fine(() -> "formatted storage node " + uuid + " in " + dir);
      return new DataDirectory(dir, superblock,
          new DeviceSet(List.of(device), List.of(dir.resolve(FIRST_DEVICE).toString())), meta);
    } catch (IOException | RuntimeException e) {
      closeAll(meta, device);
      if (e instanceof DvsException d) {
        throw d;
      }
      throw new DvsException(ErrorCode.IO_ERROR, "cannot format data directory " + dir + ": "
          + e + " (check free space and permissions, empty the directory, and retry)", e);
    }
  }

  private static int digestBytes(String algorithm) {
    return io.dvs.node.dedup.Fingerprinters.forName(algorithm).digestBytes();
  }

  /**
   * Opens a formatted directory; {@code unchecked} (for fsck) skips the LBA map / refcount
   * invariant check that otherwise refuses to start.
   */
  public static DataDirectory open(Path dir, boolean unchecked) {
    Path superblockFile = dir.resolve(Superblock.FILE_NAME);
    Superblock superblock = Superblock.read(superblockFile);
    if (superblock.blockSizeBytes() != ProtocolLimits.BLOCK_SIZE_BYTES) {
      throw Superblock.corrupt(superblockFile, "block size " + superblock.blockSizeBytes()
          + " (this build uses " + ProtocolLimits.BLOCK_SIZE_BYTES + ")");
    }
    if (superblock.devices().isEmpty()) {
      throw Superblock.corrupt(superblockFile, "no devices");
    }
    int digestBytes;
    try {
      digestBytes = digestBytes(superblock.fingerprintAlgorithm());
    } catch (IllegalArgumentException e) {
      throw Superblock.corrupt(superblockFile, e.getMessage());
    }
    List<BlockDevice> opened = new ArrayList<>();
    List<String> names = new ArrayList<>();
    NodeMetadata meta = null;
    try {
      for (Superblock.Device d : superblock.devices()) {
        Path path = devicePath(dir, d);
        opened.add(openDevice(superblockFile, d, path));
        names.add(path.toString());
      }
      DeviceSet devices = new DeviceSet(opened, names);
      UUID uuid = superblock.nodeUuid();
      meta = unchecked
          ? NodeMetadata.openUnchecked(dir, uuid, digestBytes, devices.capacityBlocks())
          : NodeMetadata.open(dir, uuid, digestBytes, devices.capacityBlocks());
      return new DataDirectory(dir, superblock, devices, meta);
    } catch (RuntimeException e) {
      for (BlockDevice d : opened) {
        closeAll(null, d);
      }
      throw e;
    }
  }

  /** Relative paths stay inside the directory; raw devices (disk, ssd) are absolute. */
  private static Path devicePath(Path dir, Superblock.Device d) {
    Path p = Path.of(d.relativePath());
    if (p.isAbsolute()) {
      return p;
    }
    Path devicePath = dir.resolve(p).normalize();
    if (!devicePath.startsWith(dir.normalize())) {
      throw Superblock.corrupt(dir.resolve(Superblock.FILE_NAME), "device path "
          + d.relativePath() + " leaves the data directory");
    }
    return devicePath;
  }

  private static BlockDevice openDevice(Path superblockFile, Superblock.Device d, Path path) {
    VolumePlugin plugin = VolumePlugins.find(d.plugin()).orElseThrow(() -> Superblock.corrupt(
        superblockFile, "device plugin '" + d.plugin() + "' is not installed"));
    BlockDevice device;
    try {
      device = plugin.open(path);
    } catch (IOException e) {
      throw new DvsException(ErrorCode.IO_ERROR, "cannot open device " + path + ": " + e
          + "; refusing to start (restore it from backup)", e);
    }
    if (device.capacityBlocks() != d.capacityBlocks()) {
      closeAll(null, device);
      throw new DvsException(ErrorCode.IO_ERROR, "device " + path + " holds "
          + device.capacityBlocks() + " blocks but the superblock says " + d.capacityBlocks()
          + "; refusing to start (was the file replaced or truncated?)");
    }
    return device;
  }

  /**
   * Algorithm 4 of paper 1: creates (file plugin, inside devices/) or opens (disk, ssd: an
   * absolute block-device path) a device, records it in the superblock, and appends it to the
   * device set. Returns the device set's new capacity. The caller grows the engine after this.
   */
  public synchronized long addDevice(String pluginName, String path, long capacityBlocks)
      throws IOException {
    VolumePlugin plugin = VolumePlugins.byName(pluginName);
    Preconditions.checkArgument(superblock.devices().size() < Superblock.DEVICES_MAX,
        "already %s devices (max %s)", superblock.devices().size(), Superblock.DEVICES_MAX);
    String recorded;
    BlockDevice device;
    if (path == null) {
      recorded = DEVICES_DIR + "/dev" + superblock.devices().size() + ".img";
      device = plugin.create(dir.resolve(recorded), capacityBlocks);
      Checkpoint.syncDirectory(dir.resolve(DEVICES_DIR));
    } else {
      Preconditions.checkArgument(Path.of(path).isAbsolute(), "device path %s: absolute", path);
      recorded = path;
      device = plugin.open(Path.of(path));
    }
    Superblock grown = superblock.withDevice(new Superblock.Device(pluginName, recorded,
        device.capacityBlocks()));
    try {
      grown.writeTo(dir); // durable before any L of the device is used
    } catch (IOException | RuntimeException e) {
      closeAll(null, device);
      throw e;
    }
    superblock = grown;
    LOG.info("added device " + recorded + " (" + pluginName + ", " + device.capacityBlocks()
        + " blocks) to storage node " + superblock.nodeUuid());
    return devices.add(device, path == null ? dir.resolve(recorded).toString() : path);
  }

  private static void closeAll(NodeMetadata meta, BlockDevice device) {
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

  public synchronized Superblock superblock() {
    return superblock;
  }

  /** The devices as one L space; its owner (the dedup engine) closes it. */
  public DeviceSet device() {
    return devices;
  }

  /** The metadata; its owner (the dedup engine) closes it. */
  public NodeMetadata meta() {
    return meta;
  }

  /** Closes the metadata and the devices; for callers that never handed them to an engine. */
  @Override
  public void close() {
    closeAll(meta, devices);
  }
}
