package io.dvs.volume;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A kind of device the SN can store blocks on, like an EVMS plug-in: {@code file} (a sparse
 * file), later {@code disk} and {@code ssd}. Plugins are found with {@link java.util.ServiceLoader}
 * (see {@link VolumePlugins}); each registers itself in
 * {@code META-INF/services/io.dvs.volume.VolumePlugin}.
 */
public interface VolumePlugin {
  /** Short stable name stored in the SN superblock (e.g. {@code "file"}); never rename. */
  String name();

  /**
   * Creates a new device at {@code path} holding {@code capacityBlocks} blocks. Fails if
   * something already exists there: a plugin never overwrites data it did not create.
   */
  BlockDevice create(Path path, long capacityBlocks) throws IOException;

  /** Opens an existing device created by {@link #create}. */
  BlockDevice open(Path path) throws IOException;
}
