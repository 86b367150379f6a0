package io.dvs.volume.ssd;

import io.dvs.volume.BlockDevice;
import io.dvs.volume.VolumePlugin;
import java.io.IOException;
import java.nio.file.Path;

/** The {@code ssd} plugin: a whole raw flash device that is told of discards (TRIM). */
public final class SsdVolumePlugin implements VolumePlugin {
  public static final String NAME = "ssd";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public BlockDevice create(Path path, long capacityBlocks) throws IOException {
    return SsdBlockDevice.create(path, capacityBlocks);
  }

  @Override
  public BlockDevice open(Path path) throws IOException {
    return SsdBlockDevice.open(path);
  }
}
