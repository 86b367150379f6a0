package io.dvs.tools.cli;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code dvs image create PATH --size 1T}: a thin image file in a mounted dvs volume, ready
 * for losetup. Thin because it is only a size: every block is a hole until written, and a
 * filesystem inside gives space back with fstrim (the loop driver punches holes).
 */
@Command(name = "create", mixinStandardHelpOptions = true,
    description = "Create a thin (sparse) image file in a mounted dvs volume.",
    footer = {"", "Example:", "  dvs image create /mnt/dvs/disk.img --size 1T",
        "  losetup --find --show /mnt/dvs/disk.img && mkfs.ext4 /dev/loopN"})
public final class ImageCreateCommand implements Callable<Integer> {
  /** The filesystem type a dvs mount shows in /proc/mounts (FuseMount's subtype=dvs). */
  static final String DVS_FS_TYPE = "fuse.dvs";
  static final Path MOUNTS = Path.of("/proc/self/mounts");

  @Parameters(index = "0", paramLabel = "PATH", description = "The image file to create.")
  Path path;

  @Option(names = "--size", paramLabel = "SIZE", required = true,
      description = "Logical size, e.g. 1T, 20G (blocks cost nothing until written).")
  String size;

  @Override
  public Integer call() throws IOException {
    long bytes = Args.size(size);
    if (bytes <= 0) {
      throw new UserException("--size must be positive, e.g. --size 1T");
    }
    Path file = path.toAbsolutePath().normalize();
    Path dir = file.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new UserException("directory " + dir + " does not exist; create it first");
    }
    Path mountPoint = dvsMountOf(dir.toRealPath());
    try {
      Files.createFile(file); // O_CREAT|O_EXCL: never clobbers an existing image.
      try (RandomAccessFile image = new RandomAccessFile(file.toFile(), "rw")) {
        image.setLength(bytes); // One ftruncate(2) through the mount; no data written.
      }
    } catch (FileAlreadyExistsException e) {
      throw new UserException(file + " already exists; choose a new name or remove it first");
    } catch (IOException e) {
      Files.deleteIfExists(file); // Created but not grown: leave nothing half-made.
      throw new UserException("cannot create " + file + " of " + Sizes.human(bytes) + ": "
          + e.getMessage() + " (is the volume smaller than that? see dvs volume list)");
    }
    System.out.println("created thin image " + file + " (" + Sizes.human(bytes) + ") in the dvs "
        + "mount " + mountPoint + "; use it with: losetup --find --show " + file);
    return 0;
  }

  /** The dvs mount holding {@code dir}: the longest mount point above it must be fuse.dvs. */
  static Path dvsMountOf(Path dir) throws IOException {
    Path best = null;
    String bestType = null;
    List<String> lines = Files.readAllLines(MOUNTS);
    for (String line : lines) {
      String[] f = line.split(" ");
      if (f.length < 3) {
        continue;
      }
      Path mp = Path.of(f[1].replace("\\040", " "));
      if (dir.startsWith(mp) && (best == null || mp.getNameCount() >= best.getNameCount())) {
        best = mp;
        bestType = f[2];
      }
    }
    if (best == null || !DVS_FS_TYPE.equals(bestType)) {
      throw new UserException(dir + " is not in a dvs mount (it is on "
          + (best == null ? "no filesystem" : bestType + " mounted at " + best)
          + "); mount a volume first: dvs mount /mnt/dvs, then dvs image create /mnt/dvs/NAME.img");
    }
    return best;
  }
}
