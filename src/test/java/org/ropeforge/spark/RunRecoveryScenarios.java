package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.io.HadoopConf;
import org.ropeforge.io.Sha256;
import org.ropeforge.spark.output.Journal;
import org.ropeforge.spark.output.OutputPaths;
import org.ropeforge.spark.output.RunLease;
import org.ropeforge.spark.plan.OutputFormat;
import org.ropeforge.spark.write.SafetensorsTables;
import org.ropeforge.spark.write.WriteHooks;

/**
 * What scheduled pipelines do to an output root, run against a real store: a driver killed by its pid in the
 * middle of its writes (no test hook: a child JVM running the plain job, killed as an operator or a preempted
 * node would), then resumed; two runs on one root at once; a dead run's lease left behind. Each ends with the
 * bytes and the manifest of a clean run, and nothing temporary left. Subclasses supply the store.
 */
abstract class RunRecoveryScenarios {
  /** Distinct table specs, one write task each, so that the journal grows task by task. */
  static final int MODELS = 16;

  protected final SparkSession spark = SharedSpark.session();

  /** A fresh output root on the store, as a URI. */
  abstract String root(String name) throws IOException;

  /** A local folder for catalogs and logs. */
  abstract Path work();

  /** The context length of every model: files large enough that the writes take a while on this store. */
  abstract long length();

  /** {@code --conf} settings a child driver needs to reach the store: none where its URIs say all. */
  List<String> childConf() {
    return List.of();
  }

  /** Multipart uploads open below {@code root}: none where the store has no such thing. */
  int openUploads(String root) throws IOException {
    return 0;
  }

  /** Leaves what a writer killed outright leaves below {@code root}: a hidden temporary file, an open upload. */
  abstract void plantLeftovers(String root) throws IOException;

  Path catalog() throws IOException {
    Path catalog = work().resolve("catalog.jsonl");
    if (Files.exists(catalog)) {
      return catalog;
    }
    Path configs = Files.createDirectories(work().resolve("configs"));
    List<String> lines = new ArrayList<>();
    for (int m = 0; m < MODELS; m++) {
      // A distinct base per model: distinct tables, so that each is its own write task and journal fragment.
      Files.writeString(configs.resolve("m" + m + ".json"), String.format(Locale.ROOT, "{\"model_type\": \"llama\","
          + " \"hidden_size\": 4096, \"num_attention_heads\": 32, \"max_position_embeddings\": 4096,"
          + " \"rope_theta\": %d}", 10_000 + 1_000 * m));
      lines.add("{\"model_id\": \"org/m" + m + "\", \"config\": \"configs/m" + m + ".json\", \"context_lengths\": ["
          + length() + "]}");
    }
    return Files.write(catalog, lines);
  }

  HadoopConf conf() {
    return new HadoopConf(spark.sparkContext().hadoopConfiguration());
  }

  FileSystem fs(String root) throws IOException {
    return conf().fileSystem(new org.apache.hadoop.fs.Path(root));
  }

  JobOptions options(String out) throws IOException {
    return new JobOptions(catalog().toString(), out, null, Precision.EXACT, Semantics.TRANSFORMERS, Layout.HALF,
        Dtype.F32, Set.of(OutputFormat.SAFETENSORS), false, false, 0.0);
  }

  record Run(int exit, String out, String err) {}

  Run run(String out, LeaseOptions lease) throws IOException {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    int exit = PrecomputeMain.runJob(spark, options(out), GpuOptions.OFF, lease, SafetensorsTables.FACTORY,
        WriteHooks.NONE, new PrintStream(stdout, true, StandardCharsets.UTF_8),
        new PrintStream(stderr, true, StandardCharsets.UTF_8));
    return new Run(exit, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
  }

  /** The plain job in a JVM of its own, as spark-submit's local mode runs it. */
  Process driver(String out, String log) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(StandaloneCluster.jvmFlags());
    command.addAll(List.of("-Xmx1g", "-cp", System.getProperty("java.class.path"), PrecomputeMain.class.getName(),
        "--master", "local[2]", "--conf", "spark.ui.enabled=false"));
    command.addAll(childConf());
    command.addAll(List.of("--catalog", catalog().toString(), "--out", out, "--formats", "safetensors"));
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work().resolve(log).toFile()).start();
  }

  /** Every object below {@code root}, hidden ones included, by relative path, with its SHA-256. */
  Map<String, String> objects(String root) throws IOException {
    org.apache.hadoop.fs.Path base = new org.apache.hadoop.fs.Path(root);
    FileSystem fs = fs(root);
    String prefix = fs.makeQualified(base).toString() + "/";
    Map<String, String> found = new TreeMap<>();
    if (!fs.exists(base)) {
      return found;
    }
    RemoteIterator<LocatedFileStatus> files = fs.listFiles(base, true);
    while (files.hasNext()) {
      org.apache.hadoop.fs.Path path = files.next().getPath();
      MessageDigest digest = Sha256.newDigest();
      try (InputStream in = fs.open(path)) {
        byte[] buffer = new byte[1 << 20];
        for (int n; (n = in.read(buffer)) > 0; ) {
          digest.update(buffer, 0, n);
        }
      }
      found.put(path.toString().substring(prefix.length()), Sha256.hex(digest));
    }
    return found;
  }

  List<JsonNode> rowsWithoutStatus(String root) throws IOException {
    List<JsonNode> rows = new ArrayList<>();
    org.apache.hadoop.fs.Path manifest = new org.apache.hadoop.fs.Path(root, OutputPaths.MANIFEST);
    try (InputStream in = fs(root).open(manifest)) {
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        ObjectNode node = (ObjectNode) TestJson.JSON.readTree(line);
        node.remove("status");
        rows.add(node);
      }
    }
    return rows;
  }

  /** A clean run's files, with the bytes they add up to. */
  record Reference(String root, Map<String, String> files, long bytes, double seconds) {}

  private Reference reference;

  Reference reference() throws IOException {
    if (reference == null) {
      String root = root("reference");
      long start = System.nanoTime();
      Run clean = run(root, LeaseOptions.DEFAULT);
      double seconds = (System.nanoTime() - start) / 1e9;
      assertEquals(0, clean.exit(), clean.err());
      Map<String, String> files = objects(root);
      long bytes = 0;
      for (LocatedFileStatus f : listAll(root)) {
        bytes += f.getLen();
      }
      reference = new Reference(root, files, bytes, seconds);
    }
    return reference;
  }

  private List<LocatedFileStatus> listAll(String root) throws IOException {
    List<LocatedFileStatus> all = new ArrayList<>();
    RemoteIterator<LocatedFileStatus> files = fs(root).listFiles(new org.apache.hadoop.fs.Path(root), true);
    while (files.hasNext()) {
      all.add(files.next());
    }
    return all;
  }

  /** The root holds exactly a clean run's bytes and manifest rows, and nothing temporary, open or leased. */
  void assertLikeACleanRun(String root) throws IOException {
    Reference ref = reference();
    Map<String, String> expected = new TreeMap<>(ref.files());
    Map<String, String> actual = objects(root);
    for (String status : List.of(OutputPaths.COMPLETE_MARKER, OutputPaths.MANIFEST)) {
      // Both say which rows a run skipped; the rows themselves are compared without their status below.
      assertTrue(actual.containsKey(status), status + " in " + actual.keySet());
      expected.remove(status);
      actual.remove(status);
    }
    assertEquals(expected, actual, "the clean run's files, byte for byte, and nothing else: no temporary file, no"
        + " journal, no lease");
    assertEquals(rowsWithoutStatus(ref.root()), rowsWithoutStatus(root));
    assertEquals(0, openUploads(root), "no upload left open");
    VerifyTest.Result verify = VerifyTest.verify(spark.sparkContext().hadoopConfiguration(), "--out", root);
    assertEquals(0, verify.exit(), verify.out() + verify.err());
  }

  static long summaryBytes(String summary, String label) {
    for (String line : summary.split("\n")) {
      if (line.startsWith(label)) {
        String[] parts = line.substring(label.length()).trim().split(" ");
        double value = Double.parseDouble(parts[0]);
        return (long) (value * switch (parts[1]) {
          case "KB" -> 1e3;
          case "MB" -> 1e6;
          case "GB" -> 1e9;
          default -> throw new IllegalArgumentException(line);
        });
      }
    }
    throw new AssertionError("no '" + label + "' in\n" + summary);
  }

  @Test
  void aDriverKilledMidWriteIsResumedWritingOnlyTheRest() throws Exception {
    Reference ref = reference();
    String out = root("killed");
    Process driver = driver(out, "killed-driver.log");
    org.apache.hadoop.fs.Path journal = new org.apache.hadoop.fs.Path(out, Journal.DIR);
    int fragments = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    // Killed once half the write tasks have committed their fragments: mid-write, by its pid.
    while (fragments < MODELS / 2 && driver.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(10);
      FileSystem fs = fs(out);
      fragments = fs.exists(journal) ? (int) java.util.Arrays.stream(fs.listStatus(journal))
          .filter(s -> s.getPath().getName().endsWith(".jsonl")).count() : 0;
    }
    assertTrue(driver.isAlive(), "the driver was still writing; see " + work().resolve("killed-driver.log"));
    ProcessHandle.of(driver.pid()).orElseThrow().destroyForcibly();
    assertTrue(driver.waitFor(30, TimeUnit.SECONDS));
    assertFalse(fs(out).exists(new org.apache.hadoop.fs.Path(out, OutputPaths.MANIFEST)),
        "killed before its manifest");
    int leftByTheKill = openUploads(out);
    plantLeftovers(out);

    // A one-second timeout lets this run take the dead run's lease over once its heartbeat is a second old.
    Thread.sleep(1_100);
    long start = System.nanoTime();
    Run resumed = run(out, new LeaseOptions(Duration.ofSeconds(1), false));
    double seconds = (System.nanoTime() - start) / 1e9;

    assertEquals(0, resumed.exit(), resumed.err());
    assertTrue(resumed.err().contains("took over the lease of run"), resumed.err());
    long written = summaryBytes(resumed.out(), "table bytes written");
    long reused = summaryBytes(resumed.out(), "file bytes reused");
    System.out.printf(Locale.ROOT, "%s resume: %d fragments and %d open uploads when killed; resumed run wrote"
        + " %.1f MB of table bytes and reused %.1f MB of %.1f MB in %.1f s (a clean run: %.1f s)%n",
        getClass().getSimpleName(), fragments, leftByTheKill, written / 1e6, reused / 1e6, ref.bytes() / 1e6,
        seconds, ref.seconds());
    assertTrue(reused > 0, "the killed run's complete files were reused:\n" + resumed.out());
    assertTrue(written < ref.bytes() - reused / 2, "only the rest was written:\n" + resumed.out());
    assertLikeACleanRun(out);
  }

  @Test
  void aSecondRunOnALeasedRootIsRefusedByName() throws Exception {
    reference();
    String out = root("overlap");
    Process first = driver(out, "first-driver.log");
    org.apache.hadoop.fs.Path lease = new org.apache.hadoop.fs.Path(out, RunLease.NAME);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    // Until its content is there: on HDFS the lease is visible, empty, from its create until its close.
    while (!(fs(out).exists(lease) && fs(out).getFileStatus(lease).getLen() > 0) && first.isAlive()
        && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    String holder;
    try (InputStream in = fs(out).open(lease)) {
      holder = TestJson.JSON.readTree(in).get("run_id").asText();
    }

    Run second = run(out, LeaseOptions.DEFAULT);

    assertEquals(1, second.exit(), second.err());
    assertTrue(second.err().contains("is leased by run " + holder + " on host "), second.err());
    assertTrue(second.err().contains("--force-lease"), second.err());
    assertTrue(first.waitFor(300, TimeUnit.SECONDS));
    assertEquals(0, first.exitValue(), Files.readString(work().resolve("first-driver.log")));
    assertLikeACleanRun(out);
  }

  @Test
  void aDeadRunsStaleLeaseIsTakenOverAndItsLeftoversRemoved() throws Exception {
    reference();
    String out = root("stale");
    FileSystem fs = fs(out);
    Instant anHourAgo = Instant.now().minus(Duration.ofHours(1));
    try (var stream = fs.create(new org.apache.hadoop.fs.Path(out, RunLease.NAME), true)) {
      stream.write(("{\"run_id\":\"dead-run\",\"host\":\"gone\",\"pid\":1,\"started\":\"" + anHourAgo
          + "\",\"heartbeat\":\"" + anHourAgo + "\"}\n").getBytes(StandardCharsets.UTF_8));
    }
    try (var stream = fs.create(Journal.fragment(new org.apache.hadoop.fs.Path(out), "dead-run", 3, 0), true)) {
      stream.write("not a manifest line\n".getBytes(StandardCharsets.UTF_8));
    }
    // Its heartbeat, cut off between the write of the lease's temporary file and the rename onto the lease; on
    // a store whose objects appear only at close (S3) there is no temporary file to leave.
    org.apache.hadoop.fs.Path heartbeat = new org.apache.hadoop.fs.Path(out, temporaryName(RunLease.NAME));
    if (!org.ropeforge.io.AtomicOutput.publishesAtClose(fs, heartbeat)) {
      try (var stream = fs.create(heartbeat, true)) {
        stream.write("{}".getBytes(StandardCharsets.UTF_8));
      }
      fs.setTimes(heartbeat, anHourAgo.toEpochMilli(), -1);
    }
    plantLeftovers(out);

    Run run = run(out, LeaseOptions.DEFAULT);

    assertEquals(0, run.exit(), run.err());
    assertTrue(run.err().contains("WARNING took over the lease of run dead-run on host gone (pid 1)"), run.err());
    assertTrue(run.err().contains("its heartbeat is older than --lease-timeout 180 s"), run.err());
    assertTrue(run.err().contains("removed what dead runs left"), run.err());
    assertLikeACleanRun(out);
  }

  /** A name for a leftover temporary file, as {@code AtomicOutput} makes them. */
  static String temporaryName(String target) {
    return "." + target + ".tmp-" + UUID.randomUUID();
  }
}
