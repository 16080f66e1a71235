package org.ropeforge.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.ropeforge.io.UriCredentials;
import org.ropeforge.spark.output.OutputPaths;
import org.ropeforge.spark.output.RunLease;
import org.ropeforge.spark.plan.Problem;
import org.ropeforge.spark.write.SafetensorsTables;
import org.ropeforge.spark.write.TableWriting;
import org.ropeforge.spark.write.WriteHooks;
import scala.Tuple2;

/**
 * {@code jobs/ropeforge precompute}: the same entry point under spark-submit and in the embedded launcher.
 * Exit codes: 0 done (errors within {@code --max-error-fraction}), 1 too many errors or the job failed,
 * 2 bad command line. Failures are reported as one readable line, not as a bare stack trace.
 */
public final class PrecomputeMain {
  public static final int EXIT_OK = 0;
  public static final int EXIT_FAILED = 1;
  public static final int EXIT_USAGE = 2;

  private PrecomputeMain() {}

  public static void main(String[] args) {
    System.exit(run(args, SafetensorsTables.FACTORY, WriteHooks.NONE, System.out, System.err));
  }

  /**
   * Builds a SparkSession from the command line (local[*] when no master is configured) and runs the job, with
   * {@code tables} and {@code hooks} as the write stage's parts (tests give their own).
   */
  public static int run(String[] args, TableWriting.Factory tables, WriteHooks hooks, PrintStream out,
      PrintStream err) {
    CommandLine line;
    SparkConf conf;
    JobOptions options;
    GpuOptions gpu;
    LeaseOptions lease;
    try {
      line = CommandLine.parse(args);
      if (line.help()) {
        out.println(CommandLine.USAGE);
        return EXIT_OK;
      }
      conf = sparkConf(line, err);
      options = withoutUriCredentials(line.jobOptions(settings(conf)), conf);
      gpu = line.gpuOptions(settings(conf));
      lease = line.leaseOptions(settings(conf));
    } catch (IllegalArgumentException | IOException e) {
      err.println("ropeforge: " + e.getMessage());
      err.println(CommandLine.USAGE);
      return EXIT_USAGE;
    }
    String gpuSetting = GpuScheduling.prepare(conf, gpu);
    if (gpuSetting != null) {
      err.println("ropeforge: " + gpuSetting);
    }
    SparkSession spark;
    try {
      spark = SparkSession.builder().config(conf).getOrCreate();
    } catch (RuntimeException e) {
      err.println("ropeforge: cannot start Spark: " + causes(e));
      return EXIT_FAILED;
    }
    try {
      return runJob(spark, options, gpu, lease, tables, hooks, out, err);
    } finally {
      spark.stop();
    }
  }

  /** Runs the job on an existing session; the tests share one session this way. */
  static int runJob(SparkSession spark, JobOptions options, TableWriting.Factory tables, PrintStream out,
      PrintStream err) {
    return runJob(spark, options, GpuOptions.OFF, LeaseOptions.DEFAULT, tables, WriteHooks.NONE, out, err);
  }

  static int runJob(SparkSession spark, JobOptions options, GpuOptions gpu, LeaseOptions lease,
      TableWriting.Factory tables, WriteHooks hooks, PrintStream out, PrintStream err) {
    PrecomputeJob.Result result;
    try {
      result = new PrecomputeJob(spark, options, gpu, lease, tables, hooks, err).run();
    } catch (RunLease.HeldException e) {
      err.println("ropeforge: " + e.getMessage());
      return EXIT_FAILED;
    } catch (IllegalArgumentException e) {
      err.println("ropeforge: " + e.getMessage());
      return EXIT_USAGE;
    } catch (Exception e) {
      // Spark's own exceptions are checked ones that Scala throws undeclared: caught here too, so that a failed
      // job is one readable line, never a bare stack trace.
      err.println("ropeforge: precompute failed: " + causes(e));
      return EXIT_FAILED;
    }
    out.print(summary(result, options));
    out.flush();
    if (!result.passes()) {
      err.printf(Locale.ROOT, "ropeforge: %d of %d rows are errors, more than --%s %s allows; see %s%n",
          result.errors(), result.rows(), JobOptions.MAX_ERROR_FRACTION, options.maxErrorFraction(),
          OutputPaths.MANIFEST);
      return EXIT_FAILED;
    }
    return EXIT_OK;
  }

  /**
   * Spark settings as spark-submit would set them: system properties (spark-submit's own), the properties
   * file for keys not set otherwise, then {@code --conf}. Non-Spark keys are ignored with a warning, as
   * spark-submit does.
   */
  static SparkConf sparkConf(CommandLine line, PrintStream err) throws IOException {
    SparkConf conf = new SparkConf(true);
    Map<String, String> fromCommandLine = new HashMap<>();
    for (Map.Entry<String, String> e : line.sparkConf().entrySet()) {
      if (!e.getKey().startsWith("spark.")) {
        err.println("ropeforge: ignoring non-Spark setting " + e.getKey());
        continue;
      }
      fromCommandLine.put(e.getKey(), e.getValue());
    }
    if (line.propertiesFile() != null) {
      Properties props = new Properties();
      try (InputStream in = Files.newInputStream(Paths.get(line.propertiesFile()))) {
        props.load(in);
      } catch (java.nio.file.NoSuchFileException e) {
        throw new IllegalArgumentException("Properties file " + line.propertiesFile() + " does not exist", e);
      }
      for (String key : props.stringPropertyNames()) {
        if (key.startsWith("spark.") && !conf.contains(key)) {
          conf.set(key, props.getProperty(key).trim());
        }
      }
    }
    fromCommandLine.forEach(conf::set);
    conf.setIfMissing("spark.master", "local[*]");
    conf.setIfMissing("spark.app.name", "ropeforge-precompute");
    conf.setIfMissing("spark.ui.showConsoleProgress", "false");
    return conf;
  }

  /**
   * The options with credentials taken out of the catalog and output URIs, into the bucket's Hadoop settings,
   * before anything prints or logs a URI; and Spark told to redact such URIs wherever it records values (the
   * event log lists the JVM's command line, which still holds them).
   */
  static JobOptions withoutUriCredentials(JobOptions options, SparkConf conf) {
    String redaction = conf.get("spark.redaction.regex", "(?i)secret|password|token|access[.]?key");
    if (!redaction.contains(UriCredentials.USERINFO_WITH_PASSWORD)) {
      conf.set("spark.redaction.regex", redaction + "|" + UriCredentials.USERINFO_WITH_PASSWORD);
    }
    String catalog = UriCredentials.extract(options.catalog(), "Option '" + JobOptions.CATALOG + "'",
        (key, value) -> conf.set("spark.hadoop." + key, value));
    String out = UriCredentials.extract(options.out(), "Option '" + JobOptions.OUT + "'",
        (key, value) -> conf.set("spark.hadoop." + key, value));
    return catalog.equals(options.catalog()) && out.equals(options.out()) ? options
        : options.withLocations(catalog, out);
  }

  private static Map<String, String> settings(SparkConf conf) {
    Map<String, String> map = new HashMap<>();
    for (Tuple2<String, String> t : conf.getAll()) {
      map.put(t._1(), t._2());
    }
    return map;
  }

  static String summary(PrecomputeJob.Result r, JobOptions options) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%-22s %s%n", "output", options.out()));
    b.append(String.format(Locale.ROOT, "%-22s %d%n", "models", r.models()));
    b.append(String.format(Locale.ROOT, "%-22s %d%n", options.settings().severalEncodings()
        ? "rows (model x length x layout x dtype)" : "rows (model x length)", r.rows()));
    b.append(String.format(Locale.ROOT, "%-22s %d%n", "  ok (written)", r.ok()));
    b.append(String.format(Locale.ROOT, "%-22s %d%n", "  skipped (current)", r.skipped()));
    b.append(String.format(Locale.ROOT, "%-22s %d%n", "  errors", r.errors()));
    b.append(String.format(Locale.ROOT, "%-22s %d%n", "distinct table specs", r.distinctSpecs()));
    b.append(String.format(Locale.ROOT, "%-22s %d%n", "write tasks", r.writeTasks()));
    b.append(String.format(Locale.ROOT, "%-22s %d%n", "layer tables computed", r.tablesComputed()));
    b.append(String.format(Locale.ROOT, "%-22s %s%n", "table bytes written", Progress.bytes(r.bytesWritten())));
    b.append(String.format(Locale.ROOT, "%-22s %s%n", "file bytes reused", Progress.bytes(r.bytesReused())));
    b.append(String.format(Locale.ROOT, "%-22s %.1f s%n", "wall time", r.seconds()));
    return b.toString();
  }

  static String causes(Throwable e) {
    return Problem.describeWithCauses(e);
  }
}
