package io.dvs.tools.cli;

import io.dvs.node.StorageNode;
import io.dvs.node.StorageNodeConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dvs node start}: runs a storage node (SN) in the foreground. */
@Command(name = "start", mixinStandardHelpOptions = true,
    description = "Run a storage node in the foreground (SIGTERM or Ctrl-C stops it).",
    footer = {"", "Example:",
        "  dvs node start --data /var/lib/dvs/sn0 --meta 127.0.0.1:7100 --port 7200"})
public final class NodeStartCommand implements Callable<Integer> {
  @Option(names = "--data", paramLabel = "DIR", required = true, description = "Where the SN keeps its devices and metadata.")
  Path data;

  @Option(names = "--meta", paramLabel = "HOST:PORT", required = true, description = "The metadata server to register with.")
  String meta;

  @Option(names = "--port", defaultValue = "0", description = "TCP port (default: a free one).")
  int port;

  @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--device-size", paramLabel = "SIZE", defaultValue = "64G",
      description = "Capacity of the file device made when DIR is new (default: ${DEFAULT-VALUE}).")
  String deviceSize;

  @Option(names = "--verbose", description = "Log what happens.")
  boolean verbose;

  @Override
  public Integer call() {
    Path dir = Args.writableDir(data, "data directory");
    Args.port(String.valueOf(port));
    StorageNode node = StorageNode.start(StorageNodeConfig.builder(dir)
        .bindHost(bind).port(port)
        .metaAddress(Args.hostPort(meta))
        .newDeviceCapacityBytes(Args.size(deviceSize))
        .build());
    var a = node.address();
    return Foreground.serve(node, "dvs: storage node listening on " + a.getHostString() + ":"
        + a.getPort() + " (data " + dir + ", metadata server " + meta + ")");
  }
}
