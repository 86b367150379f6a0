package io.dvs.volume.file;

import io.dvs.volume.BlockDevice;
import io.dvs.volume.VolumePlugin;
import java.io.IOException;
import java.nio.file.Path;

/** The {@code file} plugin: a device that is a sparse file (see {@link FileBlockDevice}). */
public final class FileVolumePlugin implements VolumePlugin {
  public static final String NAME = "file";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public BlockDevice create(Path path, long capacityBlocks) throws IOException {
    return FileBlockDevice.create(path, capacityBlocks);
  }

  @Override
  public BlockDevice open(Path path) throws IOException {
    return FileBlockDevice.open(path);
  }
}
