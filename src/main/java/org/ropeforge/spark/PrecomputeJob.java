package org.ropeforge.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.ropeforge.BuildInfo;
import org.ropeforge.config.CatalogEntry;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.io.AtomicOutput;
import org.ropeforge.io.HadoopConf;
import org.ropeforge.spark.catalog.CatalogReader;
import org.ropeforge.spark.output.CompletionMarker;
import org.ropeforge.spark.output.Journal;
import org.ropeforge.spark.output.LeftoverCleaner;
import org.ropeforge.spark.output.Manifest;
import org.ropeforge.spark.output.Outcome;
import org.ropeforge.spark.output.OutputPaths;
import org.ropeforge.spark.output.RunLease;
import org.ropeforge.spark.plan.Batches;
import org.ropeforge.spark.plan.GroupKey;
import org.ropeforge.spark.plan.Normalizer;
import org.ropeforge.spark.plan.OutputSettings;
import org.ropeforge.spark.plan.Problem;
import org.ropeforge.spark.plan.Target;
import org.ropeforge.spark.plan.UnknownModelTypes;
import org.ropeforge.spark.write.GroupWriter;
import org.ropeforge.spark.write.ParquetOutputs;
import org.ropeforge.spark.write.PlannedOutput;
import org.ropeforge.spark.write.SpecGroups;
import org.ropeforge.spark.write.TableForms;
import org.ropeforge.spark.write.TableWriting;
import org.ropeforge.spark.write.WriteBatches;
import org.ropeforge.spark.write.WriteCounters;
import org.ropeforge.spark.write.WriteHooks;
import scala.Tuple2;

/**
 * The precompute job: catalog, normalise, plan, write, manifest. Each stage runs under its own Spark job
 * group, so the Spark UI names what runs, and reports one line to stderr.
 */
public final class PrecomputeJob {
  /** Manifest bytes per catalog and normalisation task: about 7,000 entries of 150 bytes. */
  static final long MANIFEST_BYTES_PER_TASK = 1L << 20;

  /** Catalog entries per normalisation task: enough to amortise a task, few enough to spread. */
  static final int ENTRIES_PER_TASK = 200;

  private final SparkSession spark;
  private final JavaSparkContext jsc;
  private final JobOptions options;
  private final TableWriting.Factory tableFactory;
  private final WriteHooks hooks;
  private final GpuOptions gpu;
  private final LeaseOptions lease;
  private final Progress progress;

  public PrecomputeJob(SparkSession spark, JobOptions options, TableWriting.Factory tableFactory,
      PrintStream err) {
    this(spark, options, GpuOptions.OFF, LeaseOptions.DEFAULT, tableFactory, WriteHooks.NONE, err);
  }

  /**
   * @param tableFactory how tables are computed and laid out (the real format, or a test's)
   * @param hooks what the write tasks call at their fault points; {@link WriteHooks#NONE} but in fault tests
   */
  public PrecomputeJob(SparkSession spark, JobOptions options, GpuOptions gpu, LeaseOptions lease,
      TableWriting.Factory tableFactory, WriteHooks hooks, PrintStream err) {
    this.spark = spark;
    this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    this.options = options;
    this.tableFactory = tableFactory;
    this.hooks = hooks;
    this.gpu = gpu;
    this.lease = lease;
    this.progress = new Progress(err);
  }

  /** Counts of one run; {@link #passes} decides the exit code. */
  public record Result(long models, long rows, long ok, long skipped, long errors, long bytesWritten,
      long bytesReused, long distinctSpecs, long writeTasks, double seconds, double maxErrorFraction,
      long tablesComputed) {

    public boolean passes() {
      return rows == 0 ? errors == 0 : errors <= maxErrorFraction * rows;
    }
  }

  public Result run() throws IOException {
    // Before any stage runs, so that a configuration Spark cannot schedule fails at once.
    ResourceProfile gpuProfile = GpuScheduling.tableProfile(spark.sparkContext().getConf(), gpu);
    String gpuLine = GpuScheduling.describe(spark.sparkContext().getConf(), gpu, gpuProfile);
    if (gpuLine != null) {
      progress.stage("%s", gpuLine);
    }
    HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
    Path outPath = qualify(conf, options.out());
    FileSystem outFs = conf.fileSystem(outPath);
    try (RunLease held = RunLease.acquire(outFs, outPath, lease.timeout(), lease.force(), this::tookLease);
        Heartbeat heartbeat = new Heartbeat(held, lease.heartbeatPeriod(), progress)) {
      progress.stage("lease: run %s holds %s", held.runId(), new Path(outPath, RunLease.NAME));
      LeftoverCleaner.Removed removed = LeftoverCleaner.clean(outFs, outPath, lease.timeout());
      if (removed.any()) {
        progress.stage("lease: removed what dead runs left: %d temporary files (%s), %d committer folders, %d open"
            + " uploads", removed.files(), Progress.bytes(removed.bytes()), removed.folders(), removed.uploads());
      }
      return run(conf, outPath, outFs, held, gpuProfile);
    }
  }

  private void tookLease(RunLease.Taken how, RunLease.Holder from) {
    if (how != RunLease.Taken.FREE) {
      progress.stage("lease: WARNING took over the lease of %s (%s)", from.describe(java.time.Instant.now()),
          how == RunLease.Taken.STALE ? "its heartbeat is older than --" + LeaseOptions.TIMEOUT + " "
              + lease.timeout().toSeconds() + " s" : "--" + LeaseOptions.FORCE);
    }
  }

  private Result run(HadoopConf conf, Path outPath, FileSystem outFs, RunLease held, ResourceProfile gpuProfile)
      throws IOException {
    String out = outPath.toString();
    outFs.delete(new Path(outPath, OutputPaths.COMPLETE_MARKER), false);

    label("catalog", "list catalog " + options.catalog());
    Catalog catalog = catalog(conf, qualify(conf, options.catalog()).toString());
    long models = catalog.models();
    JavaRDD<CatalogEntry> entries = catalog.entries();
    progress.stage("catalog: %d models listed from %s", models, options.catalog());

    OutputSettings settings = options.settings();
    JavaPairRDD<String, Manifest.Row> previous = previousOutputs(conf, outPath);
    TableForms forms = TableForms.of(tableFactory, settings);
    GroupWriter writer = new GroupWriter(conf, out, options.writesSafetensors(), forms, hooks, held.runId(),
        settings.contentAddressed());

    // Counted while the plan is built, so that normalising, grouping and batching take one Spark job.
    LongAccumulator planned = spark.sparkContext().longAccumulator("ropeforge outputs planned");
    LongAccumulator failed = spark.sparkContext().longAccumulator("ropeforge error rows");
    Normalizer normalizer = new Normalizer(conf, settings, options.defaultContextLengths(),
        options.unknownModelTypes() == UnknownModelTypes.REFUSE);
    JavaRDD<Target> targets = entries
        .flatMap(entry -> {
          List<Target> normalized = normalizer.normalize(entry);
          for (Target t : normalized) {
            (t.ok() ? planned : failed).add(1);
          }
          return normalized.iterator();
        });
    // Earlier rows meet their targets on the executors: the driver holds nothing that grows with the models.
    JavaRDD<PlannedOutput> plannedOutputs = previous == null
        ? targets.map(t -> new PlannedOutput(t, null))
        : targets.mapToPair(t -> new Tuple2<>(Manifest.key(t), t)).leftOuterJoin(previous).values()
            .map(p -> new PlannedOutput(p._1(), p._1().ok() ? p._2().orElse(null) : null));
    // Without safetensors files a write task only computes each table once for its digests: its batches are bounded
    // by outputs alone, so that a million-model catalog makes a few hundred tasks rather than tens of thousands.
    int maxFiles = options.writesSafetensors() ? Batches.MAX_FILES_PER_TASK : Batches.MAX_OUTPUTS_WITHOUT_FILES;
    long maxBytes = options.writesSafetensors() ? Batches.MAX_BYTES_PER_TASK : Long.MAX_VALUE;
    WriteBatches batcher = new WriteBatches(settings, forms, maxFiles, maxBytes);
    // A small catalog is planned on the driver: see JobOptions.DRIVER_PLAN_MAX_MODELS.
    boolean onDriver = models <= options.driverPlanMaxModels();
    label("normalise", "read, resolve and group " + models + " model configs by table spec");
    Plan plan = onDriver ? planOnDriver(plannedOutputs, batcher) : planOnExecutors(plannedOutputs, batcher);
    long writeTasks = plan.writeTasks();
    long distinct = plan.distinctSpecs();
    long[] counts = {planned.value(), failed.value()};
    progress.stage("normalise: %d models read, %d outputs planned, %d errors, %d distinct table specs",
        models, counts[0], counts[1], distinct);
    if (options.writesSafetensors()) {
      progress.stage("plan: %d write tasks (at most %d files or %s each%s)", writeTasks, maxFiles,
          Progress.bytes(maxBytes), onDriver ? ", planned on the driver" : "");
    } else {
      progress.stage("plan: %d write tasks (at most %d outputs each, no files%s)", writeTasks, maxFiles,
          onDriver ? ", planned on the driver" : "");
    }

    WriteCounters counters = new WriteCounters(spark.sparkContext());
    label("tables", "compute " + distinct + " distinct tables and write " + counts[0] + " outputs");
    JavaRDD<Outcome> written = plan.batches().flatMap(batch -> writer.write(batch, counters).iterator());
    if (gpuProfile != null) {
      written = written.withResources(gpuProfile);
    }
    // A plan made on the driver is small enough to bring its outcomes back there: the manifest is then sorted and
    // written without further jobs. Otherwise the outcomes stay on the executors, kept for the later stages.
    List<Outcome> writtenOnDriver = null;
    long writtenCount;
    if (!onDriver) {
      written = written.persist(StorageLevel.MEMORY_AND_DISK());
    }
    try (Ticker ticker = new Ticker(progress, counters, counts[0])) {
      if (onDriver) {
        writtenOnDriver = written.collect();
        writtenCount = writtenOnDriver.size();
      } else {
        writtenCount = written.count();
      }
    }
    plan.release();
    if (onDriver) {
      written = jsc.parallelize(writtenOnDriver, Math.max(1, jsc.defaultParallelism()));
    }
    JavaRDD<Outcome> outcomes = written.union(plan.failures());
    progress.stage("tables: %d/%d outputs done, %s written, %s reused, %d layer tables computed", writtenCount,
        counts[0], Progress.bytes(counters.bytes()), Progress.bytes(counters.reusedBytes()),
        counters.tablesComputed());

    if (options.writesParquet()) {
      ParquetOutputs parquet = new ParquetOutputs(spark, out, settings);
      label("parquet-params", "write the Parquet params dataset");
      long paramRows = parquet.writeParams(outcomes);
      progress.stage("parquet: %d params rows written", paramRows);
      if (options.parquetTables()) {
        label("parquet-tables", "write the Parquet tables dataset");
        TableWriting floats = tableFactory.create(Layout.HALF, Dtype.F32, options.precision(),
            options.semantics());
        long tableRows = parquet.writeTables(written, floats);
        progress.stage("parquet: %d table rows written", tableRows);
      }
    }

    label("manifest", "write the manifest");
    // A run that lost its lease may share the root with another: the manifest must come from one run alone.
    held.ensureHeld();
    ManifestSummary summary = onDriver
        ? writeManifest(conf, outPath, sortedOnDriver(writtenOnDriver, plan.failuresOnDriver()))
        : writeManifest(conf, outPath, sortedOnExecutors(outcomes, counts[0] + counts[1]));
    writeCompleteMarker(conf, outPath, summary, models);
    // The manifest lists everything the journal held, this run's fragments and dead runs' alike.
    Journal.delete(outFs, outPath);
    // No-ops where nothing was persisted (a plan made on the driver).
    plan.failures().unpersist(false);
    written.unpersist(false);
    Result result = new Result(models, summary.rows, summary.ok, summary.skipped, summary.errors,
        counters.bytes(), counters.reusedBytes(), distinct, writeTasks, progress.seconds(), options.maxErrorFraction(),
        counters.tablesComputed());
    progress.stage("manifest: %d rows (%d ok, %d skipped, %d errors) in %s", summary.rows, summary.ok,
        summary.skipped, summary.errors, new Path(outPath, OutputPaths.MANIFEST));
    return result;
  }

  /**
   * The write plan: one batch of planned outputs per partition of {@code batches}, and the error rows as a
   * dataset; a plan made on the driver also holds them there ({@code failuresOnDriver}, else null). {@code kept}
   * is what the plan persisted, released once the tables are written.
   */
  private record Plan(JavaRDD<List<PlannedOutput>> batches, long writeTasks, long distinctSpecs,
      JavaRDD<Outcome> failures, List<Outcome> failuresOnDriver, JavaRDD<?> kept) {
    void release() {
      if (kept != null) {
        kept.unpersist(false);
      }
    }
  }

  /** A small catalog: its planned outputs collected, grouped by table spec and batched on the driver. */
  private Plan planOnDriver(JavaRDD<PlannedOutput> plannedOutputs, WriteBatches batcher) {
    List<PlannedOutput> ok = new ArrayList<>();
    List<Outcome> failures = new ArrayList<>();
    for (PlannedOutput p : plannedOutputs.collect()) {
      if (p.target().ok()) {
        ok.add(p);
      } else {
        failures.add(Outcome.failed(p.target()));
      }
    }
    // Grouped by their exact table keys at once: the executors' digest only spares their shuffle the arrays.
    List<List<PlannedOutput>> batches = new ArrayList<>();
    long distinct = 0;
    for (List<PlannedOutput> members : SpecGroups.exact(ok)) {
      distinct++;
      batches.addAll(batcher.of(members));
    }
    // One batch per partition, as on the executors: batches are sized alike, and Spark hands them to free cores.
    return new Plan(jsc.parallelize(batches, Math.max(1, batches.size())), batches.size(), distinct,
        jsc.parallelize(failures, Math.max(1, Math.min(failures.size(), jsc.defaultParallelism()))), failures, null);
  }

  /**
   * A large catalog: one shuffle takes every target to its group, the ok ones by a 16-byte digest of their table
   * spec, the error rows to buckets of their own. Nothing is persisted before it: the error rows are read back from
   * the same shuffle's files once the plan is made, so the targets (one per output) are never held as a whole.
   */
  private Plan planOnExecutors(JavaRDD<PlannedOutput> plannedOutputs, WriteBatches batcher) {
    LongAccumulator specs = spark.sparkContext().longAccumulator("ropeforge distinct table specs");
    JavaPairRDD<GroupKey, Iterable<PlannedOutput>> grouped = plannedOutputs
        .mapToPair(p -> new Tuple2<>(GroupKey.of(p.target()), p))
        .groupByKey();
    JavaRDD<List<PlannedOutput>> batches = grouped
        .filter(group -> !group._1().error())
        .flatMap(group -> {
          List<List<PlannedOutput>> batchesOfGroup = new ArrayList<>();
          for (List<PlannedOutput> members : SpecGroups.exact(group._2())) {
            specs.add(1);
            batchesOfGroup.addAll(batcher.of(members));
          }
          return batchesOfGroup.iterator();
        })
        .persist(StorageLevel.MEMORY_AND_DISK());
    long writeTasks = batches.count();
    // The error rows are all that later stages need of the targets: read back from the plan's shuffle (whose map
    // side does not run again) and kept on their own.
    JavaRDD<Outcome> failures = grouped
        .filter(group -> group._1().error())
        .flatMap(group -> {
          List<Outcome> rows = new ArrayList<>();
          group._2().forEach(p -> rows.add(Outcome.failed(p.target())));
          return rows.iterator();
        })
        .persist(StorageLevel.MEMORY_AND_DISK());
    failures.count();
    label("plan", "number " + writeTasks + " write tasks");
    int writePartitions = (int) Math.max(1, Math.min(writeTasks, Integer.MAX_VALUE));
    JavaRDD<List<PlannedOutput>> indexed = batches.zipWithIndex()
        .mapToPair(b -> new Tuple2<>(b._2(), b._1()))
        .partitionBy(new IndexPartitioner(writePartitions))
        .values();
    return new Plan(indexed, writeTasks, specs.value(), failures, null, batches);
  }

  /** The catalog's entries as a dataset, and how many there are. */
  private record Catalog(JavaRDD<CatalogEntry> entries, long models) {}

  /**
   * A manifest is read by the executors, in parts of at most {@link #MANIFEST_BYTES_PER_TASK}: the driver only
   * finds the line starts that cut it, and collects the ids listed more than once (with the line of each one's
   * first usable entry), so that the later entries become error rows as {@link CatalogReader#list} makes them.
   * A folder tree is listed on the driver, which is the listing itself.
   */
  private Catalog catalog(HadoopConf conf, String uri) throws IOException {
    List<CatalogReader.ManifestSplit> splits =
        CatalogReader.manifestSplits(uri, conf, jsc.defaultParallelism(), MANIFEST_BYTES_PER_TASK);
    if (splits == null) {
      List<CatalogEntry> listed = CatalogReader.list(uri, conf);
      int slices = Math.max(jsc.defaultParallelism(), (listed.size() + ENTRIES_PER_TASK - 1) / ENTRIES_PER_TASK);
      return new Catalog(jsc.parallelize(listed, Math.max(1, Math.min(slices, listed.size()))), listed.size());
    }
    LongAccumulator listed = spark.sparkContext().longAccumulator("ropeforge catalog entries");
    JavaRDD<CatalogReader.ManifestSplit> parts = jsc.parallelize(splits, splits.size());
    // Per id listed more than once: the line of its first usable entry. Usable entries only, as in the listing.
    // An id's value is the line of its entry, negated once a second entry was met: lines count from 1.
    Map<String, Long> repeated = new HashMap<>(parts
        .flatMapToPair(split -> {
          List<CatalogReader.Listed> read = CatalogReader.read(split, conf, false);
          listed.add(read.size());
          List<Tuple2<String, Long>> ids = new ArrayList<>(read.size());
          for (CatalogReader.Listed entry : read) {
            if (entry.entry().usable()) {
              ids.add(new Tuple2<>(entry.entry().modelId(), entry.line()));
            }
          }
          return ids.iterator();
        })
        .reduceByKey((a, b) -> -Math.min(Math.abs(a), Math.abs(b)))
        .filter(id -> id._2() < 0)
        .mapValues(line -> -line)
        .collectAsMap());
    long models = listed.value();
    org.apache.spark.broadcast.Broadcast<Map<String, Long>> first = jsc.broadcast(repeated);
    JavaRDD<CatalogEntry> entries = parts.flatMap(split -> {
      Map<String, Long> firstLines = first.value();
      List<CatalogReader.Listed> read = CatalogReader.read(split, conf);
      List<CatalogEntry> result = new ArrayList<>(read.size());
      for (CatalogReader.Listed entry : read) {
        Long line = entry.entry().usable() ? firstLines.get(entry.entry().modelId()) : null;
        result.add(line == null || line == entry.line() ? entry.entry() : CatalogReader.duplicate(entry.entry()));
      }
      return result.iterator();
    });
    return new Catalog(entries, models);
  }

  private void label(String group, String description) {
    jsc.setJobGroup("ropeforge-" + group, description, false);
    jsc.setJobDescription(description);
  }

  private static Path qualify(HadoopConf conf, String uri) throws IOException {
    Path path = new Path(uri);
    return conf.fileSystem(path).makeQualified(path);
  }

  /**
   * What earlier runs left that this run may reuse, keyed by (model, length): the previous manifest's rows and
   * the rows of every journal fragment (a run that died before its manifest left only those), one per key. Read
   * as a dataset, never collected: a registry's manifest has millions of rows. Every row is still checked
   * against its files before reuse. Null with --overwrite or when there is nothing.
   */
  private JavaPairRDD<String, Manifest.Row> previousOutputs(HadoopConf conf, Path out) throws IOException {
    if (options.overwrite()) {
      return null;
    }
    List<String> sources = new ArrayList<>();
    Path manifest = new Path(out, OutputPaths.MANIFEST);
    FileSystem fs = conf.fileSystem(manifest);
    if (fs.exists(manifest)) {
      sources.add(manifest.toString());
    }
    Path fragments = new Path(new Path(out, Journal.DIR), "*" + Journal.SUFFIX);
    FileStatus[] journal = fs.globStatus(fragments);
    if (journal != null && journal.length > 0) {
      sources.add(fragments.toString());
    }
    if (sources.isEmpty()) {
      return null;
    }
    progress.stage("plan: reusing what %s lists, where its files still check", journal == null || journal.length == 0
        ? "the previous manifest" : (sources.size() == 2 ? "the previous manifest and " : "") + journal.length
        + " journal fragments of unfinished runs");
    return jsc.textFile(String.join(",", sources))
        .map(Manifest::parseOrNull)
        .filter(row -> row != null)
        .mapToPair(row -> new Tuple2<>(row.key(), row))
        // A retried task's fragment repeats rows; either one will do, since reuse checks the files.
        .reduceByKey((a, b) -> a);
  }

  private static final class ManifestSummary {
    long rows;
    long ok;
    long skipped;
    long errors;
  }

  /**
   * Manifest lines per sorted partition: bounded, so that the driver streams a manifest of any length. Each
   * partition reaches the driver whole (about 5 MB of lines here), next to the outcomes the job keeps: at 50,000
   * lines a 1 GiB local-mode heap ran full GCs in this stage.
   */
  static final int MANIFEST_LINES_PER_PARTITION = 10_000;

  /** A small run's manifest lines, sorted on the driver as {@link #sortedOnExecutors} sorts them. */
  private static Iterator<String> sortedOnDriver(List<Outcome> written, List<Outcome> failures) {
    List<Tuple2<String, String>> lines = new ArrayList<>(written.size() + failures.size());
    for (List<Outcome> outcomes : List.of(written, failures)) {
      for (Outcome o : outcomes) {
        lines.add(new Tuple2<>(o.sortKey(), manifestLine(o)));
      }
    }
    lines.sort(new ManifestOrder());
    return lines.stream().map(Tuple2::_2).iterator();
  }

  /** A manifest line behind its status's ordinal, which the summary counts. */
  private static String manifestLine(Outcome o) {
    return o.status().ordinal() + Manifest.toJson(o);
  }

  /**
   * The manifest lines of any number of outcomes, rendered on the executors and sorted by a range shuffle; the
   * driver takes one sorted partition of short strings at a time.
   */
  private Iterator<String> sortedOnExecutors(JavaRDD<Outcome> outcomes, long rows) {
    int partitions = (int) Math.max(jsc.defaultParallelism(),
        Math.min(100_000, (rows + MANIFEST_LINES_PER_PARTITION - 1) / MANIFEST_LINES_PER_PARTITION));
    // The outcomes come in one partition per write task: merged without a shuffle into about as many partitions as
    // the sort's, so that the sort's map side runs a few tasks rather than one per write task.
    JavaRDD<Outcome> merged =
        outcomes.coalesce(Math.min(outcomes.getNumPartitions(), Math.max(partitions, jsc.defaultParallelism())));
    // The ranges come from a sample of the sort keys alone, so that each line is rendered once, for the shuffle.
    ManifestRanges ranges = ManifestRanges.of(merged.map(Outcome::sortKey), partitions, rows);
    return merged
        .mapToPair(o -> new Tuple2<>(new Tuple2<>(o.sortKey(), manifestLine(o)), true))
        .repartitionAndSortWithinPartitions(ranges, new ManifestOrder())
        .keys()
        .map(Tuple2::_2)
        .toLocalIterator();
  }

  /** Writes the lines (each behind its status's ordinal) in their order, and counts them. */
  private ManifestSummary writeManifest(HadoopConf conf, Path out, Iterator<String> lines) throws IOException {
    ManifestSummary summary = new ManifestSummary();
    Path path = new Path(out, OutputPaths.MANIFEST);
    try (AtomicOutput manifest = AtomicOutput.create(conf.fileSystem(path), path)) {
      while (lines.hasNext()) {
        String line = lines.next();
        manifest.write((line.substring(1) + "\n").getBytes(StandardCharsets.UTF_8));
        summary.rows++;
        switch (Outcome.Status.values()[line.charAt(0) - '0']) {
          case OK -> summary.ok++;
          case SKIPPED -> summary.skipped++;
          case ERROR -> summary.errors++;
        }
      }
      manifest.commit();
    }
    return summary;
  }

  private void writeCompleteMarker(HadoopConf conf, Path out, ManifestSummary summary, long models)
      throws IOException {
    CompletionMarker completion = new CompletionMarker(BuildInfo.VERSION, options.catalog(),
        options.settings().fingerprintText(), models, summary.rows, summary.ok, summary.skipped, summary.errors);
    Path path = new Path(out, OutputPaths.COMPLETE_MARKER);
    try (AtomicOutput marker = AtomicOutput.create(conf.fileSystem(path), path)) {
      marker.write(completion.toBytes());
      marker.commit();
    }
  }

  /** Prints the write stage's progress every few seconds while it runs. */
  private static final class Ticker implements AutoCloseable {
    private static final long PERIOD_MS = 5_000;
    private final Thread thread;

    Ticker(Progress progress, WriteCounters counters, long total) {
      thread = new Thread(() -> {
        try {
          while (true) {
            Thread.sleep(PERIOD_MS);
            progress.stage("tables: %d/%d outputs done, %s written", counters.tables(), total,
                Progress.bytes(counters.bytes()));
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "ropeforge-progress");
      thread.setDaemon(true);
      thread.start();
    }

    @Override
    public void close() {
      thread.interrupt();
    }
  }

  /** Renews the run lease in the background while the run goes on. */
  private static final class Heartbeat implements AutoCloseable {
    private final java.util.concurrent.ScheduledExecutorService timer;

    Heartbeat(RunLease lease, java.time.Duration period, Progress progress) {
      timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "ropeforge-lease-heartbeat");
        thread.setDaemon(true);
        return thread;
      });
      java.util.concurrent.atomic.AtomicBoolean warned = new java.util.concurrent.atomic.AtomicBoolean();
      timer.scheduleWithFixedDelay(() -> {
        try {
          lease.renew();
        } catch (IOException | RuntimeException e) {
          // One failed renewal is not fatal: the lease only expires after several periods without one.
          if (warned.compareAndSet(false, true)) {
            progress.stage("lease: WARNING cannot renew the heartbeat: %s", Problem.describe(e));
          }
        }
      }, period.toMillis(), period.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /**
     * Lets a renewal in flight finish before the lease is released: interrupting it mid-write can leave its
     * temporary file behind (HDFS abandons an interrupted stream without deleting it).
     */
    @Override
    public void close() {
      timer.shutdown();
      try {
        if (!timer.awaitTermination(RENEWAL_GRACE_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
          timer.shutdownNow();
        }
      } catch (InterruptedException e) {
        timer.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** How long the end of a run waits for a lease renewal in flight. */
  private static final long RENEWAL_GRACE_SECONDS = 30;

  /**
   * Manifest lines by their sort key, then by the line itself (a total order, where two rows of one key could
   * otherwise come in either order).
   */
  static final class ManifestOrder implements java.util.Comparator<Tuple2<String, String>>, java.io.Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public int compare(Tuple2<String, String> a, Tuple2<String, String> b) {
      int byKey = a._1().compareTo(b._1());
      return byKey != 0 ? byKey : a._2().compareTo(b._2());
    }
  }

  /** Manifest lines by ranges of their sort keys: partition i holds the keys below bound i and none below i-1. */
  static final class ManifestRanges extends org.apache.spark.Partitioner {
    private static final long serialVersionUID = 1L;
    /** Sort keys sampled per partition of the manifest. */
    static final int SAMPLES_PER_PARTITION = 100;
    private final String[] bounds;

    ManifestRanges(String[] bounds) {
      this.bounds = bounds;
    }

    /** Ranges of about {@code rows} / {@code partitions} keys each, from a sample of {@code keys}. */
    static ManifestRanges of(JavaRDD<String> keys, int partitions, long rows) {
      if (partitions <= 1 || rows <= 0) {
        return new ManifestRanges(new String[0]);
      }
      double fraction = Math.min(1.0, (double) SAMPLES_PER_PARTITION * partitions / rows);
      List<String> sample = new ArrayList<>(keys.sample(false, fraction, 0L).collect());
      java.util.Collections.sort(sample);
      java.util.TreeSet<String> bounds = new java.util.TreeSet<>();
      for (int i = 1; i < partitions && !sample.isEmpty(); i++) {
        bounds.add(sample.get((int) ((long) i * sample.size() / partitions)));
      }
      return new ManifestRanges(bounds.toArray(new String[0]));
    }

    @Override
    public int numPartitions() {
      return bounds.length + 1;
    }

    @Override
    public int getPartition(Object key) {
      @SuppressWarnings("unchecked")
      String sortKey = ((Tuple2<String, String>) key)._1();
      int at = java.util.Arrays.binarySearch(bounds, sortKey);
      // A key equal to bound i goes above it: partition i + 1; one between bounds i-1 and i: partition i.
      return at >= 0 ? at + 1 : -at - 1;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ManifestRanges other && java.util.Arrays.equals(bounds, other.bounds);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(bounds);
    }
  }

  /** One write task per batch: batches are sized alike, and Spark hands them to whichever core is free. */
  static final class IndexPartitioner extends org.apache.spark.Partitioner {
    private static final long serialVersionUID = 1L;
    private final int partitions;

    IndexPartitioner(int partitions) {
      this.partitions = partitions;
    }

    @Override
    public int numPartitions() {
      return partitions;
    }

    @Override
    public int getPartition(Object key) {
      return (int) Math.floorMod((Long) key, (long) partitions);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof IndexPartitioner other && other.partitions == partitions;
    }

    @Override
    public int hashCode() {
      return partitions;
    }
  }

  static String describe(Result r) {
    return String.format(Locale.ROOT, "%d models, %d rows: %d ok, %d skipped, %d errors", r.models(), r.rows(),
        r.ok(), r.skipped(), r.errors());
  }
}
