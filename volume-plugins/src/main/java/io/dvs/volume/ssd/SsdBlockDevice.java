package io.dvs.volume.ssd;

import io.dvs.volume.disk.DiskBlockDevice;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A whole raw flash device: a {@link DiskBlockDevice} (same layout, same O_DIRECT I/O) whose
 * {@link #discard} reaches the drive as TRIM through {@code ioctl(BLKDISCARD)} (see
 * {@link BlockDiscarder}), so the flash translation layer can erase the blocks ahead of time.
 */
public final class SsdBlockDevice extends DiskBlockDevice {
  private final BlockDiscarder discarder;

  private SsdBlockDevice(DiskBlockDevice disk) {
    super(disk);
    this.discarder = BlockDiscarder.open(disk.path());
  }

  public static SsdBlockDevice open(Path path) throws IOException {
    return wrap(DiskBlockDevice.open(path));
  }

  /** See {@link DiskBlockDevice#create}: the device must exist and be exactly that size. */
  public static SsdBlockDevice create(Path path, long capacityBlocks) throws IOException {
    return wrap(DiskBlockDevice.create(path, capacityBlocks));
  }

  private static SsdBlockDevice wrap(DiskBlockDevice disk) throws IOException {
    try {
      return new SsdBlockDevice(disk);
    } catch (RuntimeException e) {
      disk.close();
      throw e;
    }
  }

  /** True while discards still reach the device (BLKDISCARD or hole punching works). */
  public boolean discardReachesDevice() {
    return discarder.works();
  }

  @Override
  public void discard(long blockNo, long count) throws IOException {
    super.discard(blockNo, count); // checks the range
    discarder.discard(blockNo * BLOCK_SIZE_BYTES, count * BLOCK_SIZE_BYTES);
  }

  @Override
  public void close() throws IOException {
    try {
      discarder.close();
    } finally {
      super.close();
    }
  }

  @Override
  public String toString() {
    return "ssd device " + path() + " (" + capacityBlocks() + " blocks)";
  }
}
