package org.ropeforge.cli;

import java.io.PrintStream;
import java.util.Arrays;

/** The command-line entry point for the subcommands that need no Spark. Results go to stdout, logs to stderr. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0) {
      err.println("usage: ropeforge <params|table|inspect|compare> [options]");
      return 2;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    return switch (args[0]) {
      case "params" -> ParamsCommand.run(rest, out, err);
      case "table" -> TableCommand.run(rest, out, err);
      case "inspect" -> InspectCommand.run(rest, out, err);
      case "compare" -> CompareCommand.run(rest, out, err);
      default -> {
        err.println("ropeforge: unknown command '" + args[0] + "'");
        yield 2;
      }
    };
  }
}
