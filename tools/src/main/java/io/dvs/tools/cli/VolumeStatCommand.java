package io.dvs.tools.cli;

import io.dvs.client.net.MetaClient;
import io.dvs.protocol.ProtocolLimits;
import io.dvs.protocol.message.VolumeStat;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code dvs volume stat NAME}: one volume's thin-provisioning numbers and its lease. */
@Command(name = "stat", mixinStandardHelpOptions = true,
    description = "Show a volume: logical size, inodes, mapped blocks, PAs in use, lease.",
    footer = {"", "Examples:", "  dvs volume stat photos --meta 127.0.0.1:7100",
        "  dvs volume stat photos --json"})
public final class VolumeStatCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "NAME") String name;

  @Mixin MetaOption cluster;

  @Option(names = "--json", description = "Machine-readable output.")
  boolean json;

  @Override
  public Integer call() {
    VolumeStat s;
    try (MetaClient client = cluster.connect()) {
      s = client.volumeStat(name);
    }
    System.out.println(json ? toJson(s) : toText(s));
    return 0;
  }

  static String toText(VolumeStat s) {
    long block = ProtocolLimits.BLOCK_SIZE_BYTES;
    return String.join("\n",
        "volume         " + s.volume().name() + " (id " + s.volume().volumeId() + ")",
        "logical size   " + Sizes.human(s.volume().sizeBytes()),
        "inodes         " + s.volume().inodes(),
        "mapped blocks  " + s.volume().mappedBlocks() + " ("
            + Sizes.human(s.volume().mappedBlocks() * block) + " written)",
        "PAs in use     " + s.pasInUse() + " (" + s.leasedPas()
            + " handed out in WDACGs, not yet mapped)",
        "lease          " + (s.leaseHolder().isEmpty() ? "not mounted"
            : "held by '" + s.leaseHolder() + "', epoch " + s.epoch()),
        "MS PA use      " + s.msPasInUse() + " PAs on all SNs, " + s.msPasReleasing()
            + " being released");
  }

  static String toJson(VolumeStat s) {
    return String.format(Locale.ROOT, "{\"volumeId\":%d,\"name\":\"%s\",\"sizeBytes\":%d,"
            + "\"inodes\":%d,\"mappedBlocks\":%d,\"leasedPas\":%d,\"pasInUse\":%d,"
            + "\"leaseHolder\":\"%s\",\"epoch\":%d,\"msPasInUse\":%d,\"msPasReleasing\":%d}",
        s.volume().volumeId(), StatusCommand.jsonEscape(s.volume().name()), s.volume().sizeBytes(),
        s.volume().inodes(), s.volume().mappedBlocks(), s.leasedPas(), s.pasInUse(),
        StatusCommand.jsonEscape(s.leaseHolder()), s.epoch(), s.msPasInUse(), s.msPasReleasing());
  }
}
