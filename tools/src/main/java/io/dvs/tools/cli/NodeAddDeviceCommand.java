package io.dvs.tools.cli;

import io.dvs.protocol.Opcode;
import io.dvs.protocol.ProtocolLimits;
import io.dvs.protocol.message.AddDevice;
import io.dvs.protocol.rpc.RpcClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dvs node add-device}: paper 1, algorithm 4 — a running SN takes one more device while
 * clients keep writing; its capacity (and the UR the MS sees at the next heartbeat) grows.
 */
@Command(name = "add-device", mixinStandardHelpOptions = true,
    description = "Add a device to a running storage node (clients keep writing).",
    footer = {"", "Examples:",
        "  dvs node add-device --node 127.0.0.1:7200 --size 64G          (a new sparse file)",
        "  dvs node add-device --node 127.0.0.1:7200 --plugin ssd --device /dev/nvme1n1"})
public final class NodeAddDeviceCommand implements Callable<Integer> {
  /** An admin call may create and sync a large sparse file: allow it time. */
  static final long TIMEOUT_MS = 60_000;

  @Option(names = "--node", paramLabel = "HOST:PORT", required = true, description = "The storage node's block server.")
  String node;

  @Option(names = "--plugin", defaultValue = "file", description = "Volume plugin: file, disk or ssd (default: ${DEFAULT-VALUE}).")
  String plugin;

  @Option(names = "--device", paramLabel = "PATH", description = "Block device for disk/ssd (absolute path).")
  String device;

  @Option(names = "--size", paramLabel = "SIZE", description = "Size of the new file device (plugin file), e.g. 64G.")
  String size;

  @Override
  public Integer call() {
    long blocks = 0;
    if ("file".equals(plugin)) {
      if (size == null || device != null) {
        throw new UserException("plugin file makes a new sparse file: give --size, not --device");
      }
      blocks = Args.size(size) / ProtocolLimits.BLOCK_SIZE_BYTES;
    } else if (device == null || !device.startsWith("/")) {
      throw new UserException("plugin " + plugin + " needs --device /dev/... (an absolute path)");
    }
    try (RpcClient client = new RpcClient("storage node", Args.hostPort(node), TIMEOUT_MS)) {
      long capacity = AddDevice.decodeCapacity(client.call(Opcode.ADD_DEVICE,
          new AddDevice(plugin, device == null ? "" : device, blocks).encode()));
      System.out.println("storage node " + node + " now holds " + capacity + " blocks ("
          + (capacity * ProtocolLimits.BLOCK_SIZE_BYTES >> 30) + " GiB)");
    }
    return 0;
  }
}
