package io.dvs.tools.cli;

import io.dvs.protocol.DvsException;
import picocli.CommandLine;

/**
 * The one place where a failure becomes a message and an exit code (STYLE.md rule 6). A user's
 * mistake or a cluster error prints one line saying what was wrong and what to do; only an
 * unexpected bug prints a stack trace, and only with --verbose.
 */
public final class ErrorReporter {
  /** Exit codes: 0 success, 1 the operation failed, 2 the command line was wrong. */
  public static final int EXIT_FAILED = 1;
  public static final int EXIT_USAGE = 2;

  private ErrorReporter() {}

  public static void install(CommandLine cli) {
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println("dvs: " + describe(e));
      if (parseResult.hasMatchedOption("--verbose") || !(isExpected(e))) {
        if (parseResult.hasMatchedOption("--verbose")) {
          e.printStackTrace(commandLine.getErr());
        } else {
          commandLine.getErr().println("dvs: (this looks like a bug; rerun with --verbose for details)");
        }
      }
      return e instanceof CommandLine.ParameterException ? EXIT_USAGE : EXIT_FAILED;
    });
    cli.setParameterExceptionHandler((e, args) -> {
      CommandLine c = e.getCommandLine();
      c.getErr().println("dvs: " + e.getMessage());
      c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for usage.");
      return EXIT_USAGE;
    });
  }

  static boolean isExpected(Throwable e) {
    return e instanceof DvsException || e instanceof UserException
        || e instanceof CommandLine.ParameterException;
  }

  static String describe(Throwable e) {
    if (isExpected(e) || e.getMessage() != null && e instanceof IllegalArgumentException) {
      return e.getMessage();
    }
    return "internal error: " + e;
  }
}
