package org.ropeforge.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.spark.JobOptions;
import org.ropeforge.spark.PrecomputeJob;
import org.ropeforge.spark.PrecomputeMain;
import org.ropeforge.spark.Progress;
import org.ropeforge.spark.catalog.CatalogReader;
import org.ropeforge.spark.output.OutputPaths;
import org.ropeforge.spark.plan.OutputFormat;
import org.ropeforge.spark.plan.Store;
import org.ropeforge.spark.write.SafetensorsTables;
import org.ropeforge.spark.write.TableWriting;

/**
 * {@code jobs/ropeforge bench}: a synthetic catalog of N models over K distinct RoPE specs, a sequential-write
 * measurement of the output disk in the same run, then the job, reported against that disk rate.
 */
public final class Bench {
  /** Option keys and defaults; the defaults are the target run (about 15.8 GB of f32 tables). */
  static final String MODELS = "models";

  static final int MODELS_DEFAULT = 200;

  static final String SPECS = "specs";

  static final int SPECS_DEFAULT = 8;

  static final String CONTEXT_LENGTHS = "context-lengths";

  static final String CONTEXT_LENGTHS_DEFAULT = "4096,32768,131072";

  static final String DIR = "dir";

  static final String DIR_DEFAULT = "target/bench";

  /** Bytes written by the disk measurement: well past the page cache's dirty limit would be best. */
  static final String DISK_BYTES = "disk-bytes";

  static final long DISK_BYTES_DEFAULT = 4L << 30;

  static final String KEEP = "keep";

  /** The job's store: the content-addressed one writes only the distinct tables. */
  static final String STORE = "store";

  static final Store STORE_DEFAULT = Store.PER_MODEL;

  /** Layouts and dtypes of the job, as its {@code --layouts} and {@code --dtypes} take them. */
  static final String LAYOUTS = "layouts";

  static final String LAYOUTS_DEFAULT = "half";

  static final String DTYPES = "dtypes";

  static final String DTYPES_DEFAULT = "f32";

  static final String USAGE = String.join("\n",
      "usage: jobs/ropeforge bench [--models N] [--specs K] [--context-lengths L1,L2] [--dir DIR]"
          + " [--disk-bytes B] [--store per-model|content-addressed] [--layouts L1,L2] [--dtypes D1,D2] [--keep]"
          + " [--master URL]",
      "  defaults: --models " + MODELS_DEFAULT + " --specs " + SPECS_DEFAULT + " --context-lengths "
          + CONTEXT_LENGTHS_DEFAULT + " --dir " + DIR_DEFAULT + " --disk-bytes " + DISK_BYTES_DEFAULT + " --store "
          + STORE_DEFAULT.cliName() + " --layouts " + LAYOUTS_DEFAULT + " --dtypes " + DTYPES_DEFAULT,
      "  writes exact tables in every layout and dtype, safetensors only; deletes its outputs unless --keep");

  private Bench() {}

  public static void main(String[] args) throws IOException {
    System.exit(run(args, SafetensorsTables.FACTORY, System.out, System.err));
  }

  static int run(String[] args, TableWriting.Factory tables, PrintStream out, PrintStream err)
      throws IOException {
    int models = MODELS_DEFAULT;
    int specs = SPECS_DEFAULT;
    String lengths = CONTEXT_LENGTHS_DEFAULT;
    Path dir = Path.of(DIR_DEFAULT);
    long diskBytes = DISK_BYTES_DEFAULT;
    boolean keep = false;
    Store store = STORE_DEFAULT;
    List<Layout> layouts = List.of(Layout.HALF);
    List<Dtype> dtypes = List.of(Dtype.F32);
    String master = "local[*]";
    try {
      for (int i = 0; i < args.length; i++) {
        String name = args[i].startsWith("--") ? args[i].substring(2) : args[i];
        if (name.equals(KEEP)) {
          keep = true;
          continue;
        }
        if (name.equals("help") || name.equals("h")) {
          out.println(USAGE);
          return PrecomputeMain.EXIT_OK;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("Option '--" + name + "' needs a value");
        }
        String value = args[++i];
        switch (name) {
          case MODELS -> models = Integer.parseInt(value);
          case SPECS -> specs = Integer.parseInt(value);
          case CONTEXT_LENGTHS -> lengths = value;
          case DIR -> dir = Path.of(value);
          case DISK_BYTES -> diskBytes = Long.parseLong(value);
          case STORE -> store = Store.parse(value, STORE);
          case LAYOUTS -> layouts = JobOptions.parseLayouts(LAYOUTS, value);
          case DTYPES -> dtypes = JobOptions.parseDtypes(DTYPES, value);
          case "master" -> master = value;
          default -> throw new IllegalArgumentException("Unknown option '--" + name + "'");
        }
      }
      if (models < 1 || specs < 1 || specs > models) {
        throw new IllegalArgumentException(
            "Options need 1 <= specs <= models, got models " + models + " and specs " + specs);
      }
    } catch (IllegalArgumentException e) {
      err.println("ropeforge: " + e.getMessage());
      err.println(USAGE);
      return PrecomputeMain.EXIT_USAGE;
    }

    Path catalog = dir.resolve("catalog");
    Path output = dir.resolve("out");
    deleteTree(output);
    writeCatalog(catalog, models, specs);
    double diskRate = diskRate(dir.resolve("disk-probe.bin"), diskBytes);
    err.printf(Locale.ROOT, "ropeforge: bench: disk sequential write with fdatasync: %.3f GB/s over %s%n",
        diskRate, Progress.bytes(diskBytes));

    long startSpark = System.nanoTime();
    SparkSession spark = SparkSession.builder()
        .config(new SparkConf(true).setIfMissing("spark.master", master)
            .setIfMissing("spark.app.name", "ropeforge-bench").setIfMissing("spark.ui.showConsoleProgress", "false"))
        .getOrCreate();
    double sparkStart = (System.nanoTime() - startSpark) / 1e9;
    // Spark's first job in a JVM loads and compiles its scheduler, serializer and task paths whatever the job:
    // timed apart on an empty job, so that the job's wall time holds its own work (reported either way below).
    long startWarmUp = System.nanoTime();
    JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(List.of(1, 2), 2).count();
    double sparkWarmUp = (System.nanoTime() - startWarmUp) / 1e9;
    PrecomputeJob.Result result;
    try {
      JobOptions options = new JobOptions(catalog.toString(), output.toString(),
          JobOptions.parseContextLengths(lengths), Precision.EXACT, Semantics.TRANSFORMERS, layouts, dtypes,
          Set.of(OutputFormat.SAFETENSORS), false, true, 0.0, store, JobOptions.UNKNOWN_MODEL_TYPES_DEFAULT);
      result = new PrecomputeJob(spark, options, tables, err).run();
    } finally {
      spark.stop();
    }
    long bytes = bytesUnder(output.resolve(store == Store.CONTENT_ADDRESSED ? OutputPaths.TABLE_FILES
        : OutputPaths.SAFETENSORS));
    double diskBound = bytes / 1e9 / diskRate;
    out.printf(Locale.ROOT, "%-28s %d models over %d specs, context lengths %s%n", "catalog", models, specs,
        lengths);
    out.printf(Locale.ROOT, "%-28s %d ok, %d errors (%s store, layouts %s, dtypes %s)%n", "outputs", result.ok(),
        result.errors(), store.cliName(), names(layouts, Layout::cliName), names(dtypes, Dtype::cliName));
    out.printf(Locale.ROOT, "%-28s %d%n", "layer tables computed", result.tablesComputed());
    out.printf(Locale.ROOT, "%-28s %s%n", "bytes written", Progress.bytes(bytes));
    out.printf(Locale.ROOT, "%-28s %.1f s%n", "spark start-up", sparkStart);
    out.printf(Locale.ROOT, "%-28s %.2f s%n", "spark first (empty) job", sparkWarmUp);
    out.printf(Locale.ROOT, "%-28s %.1f s%n", "job wall time", result.seconds());
    out.printf(Locale.ROOT, "%-28s %.3f GB/s%n", "job throughput", bytes / 1e9 / result.seconds());
    out.printf(Locale.ROOT, "%-28s %.3f GB/s%n", "disk rate (same run)", diskRate);
    out.printf(Locale.ROOT, "%-28s %.1f s%n", "bytes / disk rate", diskBound);
    out.printf(Locale.ROOT, "%-28s %.2f (goal <= 1.25)%n", "job wall / disk bound", result.seconds() / diskBound);
    out.printf(Locale.ROOT, "%-28s %.2f%n", "(job + empty job) / bound", (result.seconds() + sparkWarmUp) / diskBound);
    if (!keep) {
      deleteTree(output);
    }
    return result.errors() == 0 ? PrecomputeMain.EXIT_OK : PrecomputeMain.EXIT_FAILED;
  }

  private static <T> String names(List<T> values, java.util.function.Function<T, String> name) {
    return String.join(",", values.stream().map(name).toList());
  }

  /** Llama-style configs, spec k having its own rope_theta, so that K distinct tables are shared N/K ways. */
  static void writeCatalog(Path catalog, int models, int specs) throws IOException {
    deleteTree(catalog);
    for (int m = 0; m < models; m++) {
      int spec = m % specs;
      Path config = catalog.resolve("bench").resolve(String.format(Locale.ROOT, "model-%04d", m))
          .resolve(CatalogReader.CONFIG_FILE);
      Files.createDirectories(config.getParent());
      Files.writeString(config, String.format(Locale.ROOT, """
          {"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32, "num_key_value_heads": 8,
           "max_position_embeddings": 131072, "rope_theta": %d.0}
          """, 10_000 + 1_000 * spec));
    }
  }

  /**
   * Sequential write of {@code bytes} to a fresh file with one reused block-aligned buffer, by direct I/O
   * where the filesystem allows it (as the job writes), ended by fdatasync: what the disk sustains, as dd with
   * oflag=direct conv=fdatasync measures it.
   */
  static double diskRate(Path file, long bytes) throws IOException {
    Files.createDirectories(file.getParent());
    int size = 8 << 20;
    ByteBuffer buffer = ByteBuffer.allocateDirect(size + 4096).alignedSlice(4096).limit(size).slice();
    for (int i = 0; i < buffer.capacity(); i++) {
      buffer.put(i, (byte) (i * 31));
    }
    long start = System.nanoTime();
    try (FileChannel channel = openForRate(file)) {
      for (long written = 0; written < bytes; ) {
        buffer.clear();
        written += channel.write(buffer);
      }
      channel.force(false);
    } finally {
      Files.deleteIfExists(file);
    }
    long written = (bytes + size - 1) / size * size;
    return written / 1e9 / ((System.nanoTime() - start) / 1e9);
  }

  private static FileChannel openForRate(Path file) throws IOException {
    try {
      return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE, com.sun.nio.file.ExtendedOpenOption.DIRECT);
    } catch (UnsupportedOperationException | IOException e) {
      return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE);
    }
  }

  private static long bytesUnder(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
