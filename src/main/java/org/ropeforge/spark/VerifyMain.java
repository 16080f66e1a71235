package org.ropeforge.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.ropeforge.io.HadoopConf;
import org.ropeforge.io.UriCredentials;
import org.ropeforge.spark.verify.OutputVerifier;

/**
 * {@code jobs/ropeforge verify --out URI}: checks every output the manifest lists (see {@link OutputVerifier}).
 * Runs on one JVM with the Hadoop FileSystem API, so it reads {@code s3a://} roots as the job wrote them.
 * Exit codes: 0 everything matches, 1 a mismatch (each printed with its file), 2 bad command line.
 */
public final class VerifyMain {
  static final String USAGE = String.join("\n",
      "usage: jobs/ropeforge verify --out URI [--conf key=value]...",
      "  --out URI          output root of a finished precompute run",
      "  --conf key=value   Hadoop setting (spark.hadoop.key=value also accepted), e.g. S3A endpoints;",
      "                     credentials are best left to S3A's provider chain, see the README");

  private VerifyMain() {}

  public static void main(String[] args) {
    System.exit(run(args, new Configuration(), System.out, System.err));
  }

  static int run(String[] args, Configuration base, PrintStream out, PrintStream err) {
    Configuration conf = new Configuration(base);
    String root = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("-h") || arg.equals("--help")) {
        out.println(USAGE);
        return PrecomputeMain.EXIT_OK;
      }
      if (!arg.equals("--out") && !arg.equals("--conf")) {
        return usage(err, "Unknown argument '" + arg + "'");
      }
      if (i + 1 >= args.length) {
        return usage(err, "Option '" + arg + "' needs a value");
      }
      String value = args[++i];
      if (arg.equals("--out")) {
        root = value;
        continue;
      }
      int eq = value.indexOf('=');
      if (eq <= 0) {
        // Only the key part is shown: the value could be a secret typed in the wrong place.
        return usage(err, "Option '--conf' needs key=value");
      }
      String key = value.substring(0, eq);
      conf.set(key.startsWith("spark.hadoop.") ? key.substring("spark.hadoop.".length()) : key,
          value.substring(eq + 1));
    }
    if (root == null || root.isBlank()) {
      return usage(err, "Option '--out' is required");
    }
    try {
      root = UriCredentials.extract(root, "Option '--out'", conf::set);
    } catch (IllegalArgumentException e) {
      return usage(err, e.getMessage());
    }
    HadoopConf hadoop = new HadoopConf(conf);
    OutputVerifier verifier;
    try {
      Path path = new Path(root);
      verifier = new OutputVerifier(hadoop, hadoop.fileSystem(path).makeQualified(path));
      verifier.verify();
    } catch (IOException | RuntimeException e) {
      err.println("ropeforge: verify failed: " + PrecomputeMain.causes(e));
      return PrecomputeMain.EXIT_FAILED;
    }
    List<String> problems = verifier.problems();
    problems.forEach(out::println);
    out.printf(Locale.ROOT, "verify: %d files checked, %d mismatches%n", verifier.filesChecked(), problems.size());
    return problems.isEmpty() ? PrecomputeMain.EXIT_OK : PrecomputeMain.EXIT_FAILED;
  }

  private static int usage(PrintStream err, String message) {
    err.println("ropeforge: " + message);
    err.println(USAGE);
    return PrecomputeMain.EXIT_USAGE;
  }
}
