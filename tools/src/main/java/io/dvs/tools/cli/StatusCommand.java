package io.dvs.tools.cli;

import io.dvs.client.net.MetaClient;
import io.dvs.protocol.message.NodeOps;
import io.dvs.protocol.message.NodeStats;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dvs status}: the storage nodes, their use and dedup, as the SNMM sees them. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show storage nodes: capacity, use (UR), dedup ratio, filter rates.",
    footer = {"", "Examples:", "  dvs status --meta 127.0.0.1:7100",
        "  dvs status --meta 127.0.0.1:7100 --json"})
public final class StatusCommand implements Callable<Integer> {
  @Mixin MetaOption cluster;

  @Option(names = "--json", description = "Machine-readable output.")
  boolean json;

  @Override
  public Integer call() {
    List<NodeOps.NodeInfo> nodes;
    try (MetaClient client = cluster.connect()) {
      nodes = client.listNodes();
    }
    if (json) {
      System.out.println(toJson(nodes));
      return 0;
    }
    System.out.printf("%-4s %-22s %-5s %10s %10s %7s %8s %8s%n",
        "SN", "ADDRESS", "STATE", "CAPACITY", "USED", "UR", "DEDUP", "FILTER");
    for (NodeOps.NodeInfo n : nodes) {
      NodeStats s = n.stats();
      System.out.printf(Locale.ROOT, "%-4d %-22s %-5s %10s %10s %6.2f%% %7.2fx %7.1f%%%n",
          n.snId(), n.host() + ":" + n.port(), n.up() ? "up" : "down",
          Sizes.human(s.capacityBlocks() * 4096), Sizes.human(s.usedBlocks() * 4096),
          100 * s.utilization(), s.dedupRatio(), 100 * filterRate(s));
    }
    return 0;
  }

  /** The thesis's filter rate: lookups the Bloom filter settled without the index. */
  static double filterRate(NodeStats s) {
    return s.filterLookups() == 0 ? 0 : (double) s.filterNegatives() / s.filterLookups();
  }

  static String toJson(List<NodeOps.NodeInfo> nodes) {
    StringBuilder b = new StringBuilder("{\"nodes\":[");
    for (int i = 0; i < nodes.size(); i++) {
      NodeOps.NodeInfo n = nodes.get(i);
      NodeStats s = n.stats();
      b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
          "{\"snId\":%d,\"host\":\"%s\",\"port\":%d,\"up\":%b,\"capacityBlocks\":%d,"
              + "\"usedBlocks\":%d,\"mappedPas\":%d,\"utilization\":%.6f,\"dedupRatio\":%.6f,"
              + "\"uniqueWrites\":%d,\"duplicateWrites\":%d,\"filterLookups\":%d,"
              + "\"filterNegatives\":%d,\"falsePositives\":%d}",
          n.snId(), n.host().replace("\"", ""), n.port(), n.up(), s.capacityBlocks(),
          s.usedBlocks(), s.mappedPas(), s.utilization(), s.dedupRatio(), s.uniqueWrites(),
          s.duplicateWrites(), s.filterLookups(), s.filterNegatives(), s.falsePositives()));
    }
    return b.append("]}").toString();
  }
}
