package io.dvs.tools.cli;

import io.dvs.node.fsck.NodeFsck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code dvs node fsck DIR}: offline check (and repair) of a stopped storage node. */
@Command(name = "fsck", mixinStandardHelpOptions = true,
    description = "Check a stopped storage node's metadata: leaked blocks, reference counts "
        + "that differ from the PAs mapping a block, PAs pointing at no data.",
    footer = {"", "Exit status: 0 clean (or repaired), 1 problems found.", "", "Example:",
        "  dvs node fsck /var/lib/dvs/sn0 --repair"})
public final class NodeFsckCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "DATA_DIR", description = "The node's data directory.")
  Path data;

  @Option(names = "--repair", description = "Free leaked blocks and correct reference counts.")
  boolean repair;

  @Override
  public Integer call() {
    if (!Files.isRegularFile(data.resolve("superblock"))) {
      throw new UserException(data + " is not a storage node data directory (no superblock)");
    }
    NodeFsck.Result r = NodeFsck.run(data, repair);
    var report = r.report();
    System.out.println("checked " + report.checkedBlocks() + " blocks and "
        + report.checkedPas() + " PAs in " + data);
    report.problems().forEach(p -> System.out.println("  " + p));
    System.out.println(report.leakedBlocks() + " leaked blocks, " + report.refCountMismatches()
        + " reference count mismatches, " + report.danglingPas() + " dangling PAs");
    if (r.repaired()) {
      System.out.println("repaired: freed " + r.freedBlocks() + " blocks, corrected counts");
    } else if (!report.clean() && !report.repairable()) {
      System.out.println("dangling PAs point at lost data: restore from backup");
    } else if (!report.clean()) {
      System.out.println("run again with --repair to fix");
    }
    return r.exitCode();
  }
}
