package io.dvs.tools.cli;

import io.dvs.client.net.MetaClient;
import io.dvs.protocol.message.VolumeOps;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dvs volume list}: the volumes with their sizes and use. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "List volumes.",
    footer = {"", "Example:", "  dvs volume list --meta 127.0.0.1:7100"})
public final class VolumeListCommand implements Callable<Integer> {
  @Mixin MetaOption cluster;

  @Override
  public Integer call() {
    try (MetaClient client = cluster.connect()) {
      System.out.printf("%-24s %10s %12s %14s%n", "NAME", "SIZE", "INODES", "WRITTEN");
      for (VolumeOps.VolumeInfo v : client.listVolumes()) {
        System.out.printf("%-24s %10s %12d %14s%n", v.name(), Sizes.human(v.sizeBytes()),
            v.inodes(), Sizes.human(v.mappedBlocks() * 4096));
      }
    }
    return 0;
  }
}
