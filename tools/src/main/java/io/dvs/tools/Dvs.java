package io.dvs.tools;

import io.dvs.tools.cli.ErrorReporter;
import io.dvs.tools.cli.ImageCreateCommand;
import io.dvs.tools.cli.MetaStartCommand;
import io.dvs.tools.cli.MountCommand;
import io.dvs.tools.cli.NodeAddDeviceCommand;
import io.dvs.tools.cli.NodeFsckCommand;
import io.dvs.tools.cli.NodeStartCommand;
import io.dvs.tools.cli.StatusCommand;
import io.dvs.tools.cli.VolumeCreateCommand;
import io.dvs.tools.cli.VolumeDeleteCommand;
import io.dvs.tools.cli.VolumeListCommand;
import io.dvs.tools.cli.VolumeStatCommand;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code dvs} command: one Picocli class per noun-verb, found in {@code io.dvs.tools.cli}. */
@Command(
    name = "dvs",
    mixinStandardHelpOptions = true,
    version = "dvs 0.1.0",
    description = "A FUSE filesystem over a deduplicating, distributed block store.",
    subcommands = {
        MountCommand.class,
        Dvs.Meta.class,
        Dvs.Node.class,
        Dvs.Volume.class,
        Dvs.Image.class,
        StatusCommand.class,
        CommandLine.HelpCommand.class
    })
public final class Dvs implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a command, e.g. dvs mount DIR");
  }

  @Command(name = "meta", description = "Run the metadata server.",
      subcommands = {MetaStartCommand.class})
  static final class Meta {}

  @Command(name = "node", description = "Run a storage node.",
      subcommands = {NodeStartCommand.class, NodeFsckCommand.class, NodeAddDeviceCommand.class})
  static final class Node {}

  @Command(name = "volume", description = "Create, list, delete and stat volumes.",
      subcommands = {VolumeCreateCommand.class, VolumeListCommand.class, VolumeDeleteCommand.class,
          VolumeStatCommand.class})
  static final class Volume {}

  @Command(name = "image", description = "Thin image files in a mounted volume (for losetup).",
      subcommands = {ImageCreateCommand.class})
  static final class Image {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the CLI and returns its exit code (tests call this instead of main). */
  public static int run(String... args) {
    boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
    Logger.getLogger("").setLevel(verbose ? Level.INFO : Level.WARNING);
    for (var handler : Logger.getLogger("").getHandlers()) {
      handler.setLevel(verbose ? Level.ALL : Level.WARNING);
    }
    CommandLine cli = new CommandLine(new Dvs());
    ErrorReporter.install(cli);
    return cli.execute(args);
  }
}
