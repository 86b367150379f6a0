package io.dvs.volume.disk;

import io.dvs.volume.BlockDevice;
import io.dvs.volume.VolumePlugin;
import java.io.IOException;
import java.nio.file.Path;

/** The {@code disk} plugin: a whole raw device, a hard disk (see {@link DiskBlockDevice}). */
public final class DiskVolumePlugin implements VolumePlugin {
  public static final String NAME = "disk";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public BlockDevice create(Path path, long capacityBlocks) throws IOException {
    return DiskBlockDevice.create(path, capacityBlocks);
  }

  @Override
  public BlockDevice open(Path path) throws IOException {
    return DiskBlockDevice.open(path);
  }
}
