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
    System.out.print(toTable(nodes));
    return 0;
  }

  /** One row per SN; "-" where a rate has no lookups behind it yet. */
  static String toTable(List<NodeOps.NodeInfo> nodes) {
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
        "%-4s %-22s %-5s %10s %10s %7s %8s %8s %8s%n",
        "SN", "ADDRESS", "STATE", "CAPACITY", "USED", "UR", "DEDUP", "FILTER", "FALSE+"));
    for (NodeOps.NodeInfo n : nodes) {
      NodeStats s = n.stats();
      b.append(String.format(Locale.ROOT, "%-4d %-22s %-5s %10s %10s %6.2f%% %7.2fx %8s %8s%n",
          n.snId(), n.host() + ":" + n.port(), n.up() ? "up" : "down",
          Sizes.human(s.capacityBlocks() * 4096), Sizes.human(s.usedBlocks() * 4096),
          100 * s.utilization(), s.dedupRatio(),
          s.filterLookups() == 0 ? "-" : percent(filterRate(s)),
          newLookups(s) == 0 ? "-" : percent(falsePositiveRate(s))));
    }
    if (nodes.isEmpty()) {
      b.append("(no storage node registered: start one with dvs node start)\n");
    }
    for (NodeOps.NodeInfo n : nodes) {
      long failed = n.stats().failedDevices();
      if (failed > 0) {
        b.append(String.format(Locale.ROOT, "warning: SN %d: %d device%s failed; it stores "
            + "nothing new there and its log names %s; replace %s and restart the SN%n",
            n.snId(), failed, failed == 1 ? "" : "s", failed == 1 ? "it" : "them",
            failed == 1 ? "it" : "them"));
      }
    }
    return b.toString();
  }

  private static String percent(double rate) {
    return String.format(Locale.ROOT, "%.2f%%", 100 * rate);
  }

  /** Lookups of blocks that were not stored yet: the filter said "new", or "maybe" wrongly. */
  private static long newLookups(NodeStats s) {
    return s.filterNegatives() + s.falsePositives();
  }

  /**
   * The thesis's false-positive rate: of the blocks that were new, the share the Bloom filter
   * answered "maybe" for (each cost an index lookup that found nothing).
   */
  static double falsePositiveRate(NodeStats s) {
    return newLookups(s) == 0 ? 0 : (double) s.falsePositives() / newLookups(s);
  }

  /** JSON string content: quotes, backslashes and control characters escaped. */
  static String jsonEscape(String s) {
    StringBuilder b = new StringBuilder(s.length() + 8);
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
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
              + "\"filterNegatives\":%d,\"falsePositives\":%d,\"filterRate\":%.6f,"
              + "\"falsePositiveRate\":%.6f,\"failedDevices\":%d}",
          n.snId(), jsonEscape(n.host()), n.port(), n.up(), s.capacityBlocks(),
          s.usedBlocks(), s.mappedPas(), s.utilization(), s.dedupRatio(), s.uniqueWrites(),
          s.duplicateWrites(), s.filterLookups(), s.filterNegatives(), s.falsePositives(),
          filterRate(s), falsePositiveRate(s), s.failedDevices()));
    }
    return b.append("]}").toString();
  }
}
