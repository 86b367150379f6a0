package io.dvs.tools.cli;

import io.dvs.client.net.MetaClient;
import io.dvs.protocol.message.VolumeOps;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code dvs volume create NAME}: a thin volume (1 PiB unless --size says otherwise). */
@Command(name = "create", mixinStandardHelpOptions = true, description = "Create a thin volume.",
    footer = {"", "Example:", "  dvs volume create photos --meta 127.0.0.1:7100 --size 10T"})
public final class VolumeCreateCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "NAME") String name;

  @Mixin MetaOption cluster;

  @Option(names = "--size", paramLabel = "SIZE", defaultValue = "0",
      description = "Logical size, e.g. 10T (default: 1 PiB).")
  String size;

  @Override
  public Integer call() {
    try (MetaClient client = cluster.connect()) {
      VolumeOps.VolumeInfo v = client.createVolume(name, Args.size(size));
      System.out.println("created volume " + v.name() + " (" + Sizes.human(v.sizeBytes()) + ")");
    }
    return 0;
  }
}
