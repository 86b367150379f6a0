package io.dvs.tools.cli;

import io.dvs.meta.MetadataServer;
import io.dvs.meta.MetadataServerConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dvs meta start}: runs a metadata server (MS) in the foreground. */
@Command(name = "start", mixinStandardHelpOptions = true,
    description = "Run a metadata server in the foreground (SIGTERM or Ctrl-C stops it).",
    footer = {"", "Example:", "  dvs meta start --data /var/lib/dvs/ms --port 7100"})
public final class MetaStartCommand implements Callable<Integer> {
  /** The MS's conventional port, so nodes and clients can be told HOST:7100. */
  static final int DEFAULT_PORT = 7100;

  @Option(names = "--data", paramLabel = "DIR", required = true, description = "Where the MS keeps its store.")
  Path data;

  @Option(names = "--port", defaultValue = "" + DEFAULT_PORT, description = "TCP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port;

  @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--verbose", description = "Log what happens.")
  boolean verbose;

  @Override
  public Integer call() {
    Path dir = Args.writableDir(data, "data directory");
    Args.port(String.valueOf(port));
    MetadataServer server = MetadataServer.start(
        MetadataServerConfig.of(dir).withBindHost(bind).withPort(port));
    var a = server.address();
    return Foreground.serve(server, "dvs: metadata server listening on "
        + a.getHostString() + ":" + a.getPort() + " (data " + dir + ")");
  }
}
