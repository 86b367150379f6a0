package io.dvs.tools.cli;

import io.dvs.client.net.MetaClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code dvs volume delete NAME}: deletes an unmounted volume and frees its blocks. */
@Command(name = "delete", mixinStandardHelpOptions = true,
    description = "Delete a volume that is not mounted; its blocks are released.",
    footer = {"", "Example:", "  dvs volume delete photos --meta 127.0.0.1:7100"})
public final class VolumeDeleteCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "NAME") String name;

  @Mixin MetaOption cluster;

  @Override
  public Integer call() {
    try (MetaClient client = cluster.connect()) {
      client.deleteVolume(name);
      System.out.println("deleted volume " + name);
    }
    return 0;
  }
}
