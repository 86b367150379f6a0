package io.dvs.tools.cli;

import io.dvs.client.net.MetaClient;
import picocli.CommandLine.Option;

/** The {@code --meta HOST:PORT} option of every admin command, as a Picocli mixin. */
public final class MetaOption {
  @Option(names = "--meta", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:7100",
      description = "Metadata server (default: ${DEFAULT-VALUE}).")
  String meta;

  /** A connection to the metadata server; the caller closes it. */
  MetaClient connect() {
    return new MetaClient(Args.hostPort(meta));
  }
}
