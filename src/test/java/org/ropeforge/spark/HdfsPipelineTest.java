package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.format.Safetensors;
import org.ropeforge.io.HadoopConf;
import org.ropeforge.io.Sha256;
import org.ropeforge.spark.output.OutputPaths;
import org.ropeforge.spark.plan.OutputFormat;
import org.ropeforge.spark.plan.Store;
import org.ropeforge.spark.write.SafetensorsTables;

/**
 * Catalog and outputs on hdfs:// against a MiniDFSCluster on loopback: both catalog forms over sample configs,
 * both stores, each run checked against the same run on the local filesystem (same rows, same bytes), read back
 * through the safetensors reader and Spark, verified, and re-run to reuse its files.
 */
class HdfsPipelineTest {
  @TempDir static Path work;

  private static MiniHdfs hdfs;
  private static final SparkSession spark = SharedSpark.session();

  /** Sample configs of several variants: llama3, YaRN, LongRoPE, partial rotary. */
  static final List<String> SAMPLES = List.of("meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-7B-Instruct-yarn",
      "microsoft/Phi-3-mini-128k-instruct", "EleutherAI/pythia-1.4b");

  @BeforeAll
  static void startCluster() throws IOException {
    hdfs = MiniHdfs.start(work.resolve("dfs"));
  }

  @AfterAll
  static void stopCluster() {
    if (hdfs != null) {
      hdfs.close();
    }
  }

  private static FileSystem fs(String uri) throws IOException {
    return new HadoopConf(spark.sparkContext().hadoopConfiguration()).fileSystem(new org.apache.hadoop.fs.Path(uri));
  }

  /** Writes {@code data} to {@code relative} below both the local folder and the hdfs root of a scenario. */
  private static void put(String scenario, String relative, byte[] data) throws IOException {
    Path local = work.resolve(scenario).resolve(relative);
    Files.createDirectories(local.getParent());
    Files.write(local, data);
    org.apache.hadoop.fs.Path remote = new org.apache.hadoop.fs.Path(hdfs.uri() + "/" + scenario + "/" + relative);
    try (var out = fs(remote.toString()).create(remote, true)) {
      out.write(data);
    }
  }

  private static byte[] get(String uri) throws IOException {
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(uri);
    try (InputStream in = fs(uri).open(path)) {
      return in.readAllBytes();
    }
  }

  private static byte[] sample(String id) throws IOException {
    return Files.readAllBytes(Path.of("conf/sample-catalog", id, "config.json"));
  }

  record Run(int exit, String out, String err) {}

  private static Run run(JobOptions options) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = PrecomputeMain.runJob(spark, options, SafetensorsTables.FACTORY,
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static JobOptions options(String catalog, String out, long[] lengths, Store store) {
    return new JobOptions(catalog, out, lengths, Precision.EXACT, Semantics.TRANSFORMERS, Layout.HALF, Dtype.F32,
        Set.of(OutputFormat.SAFETENSORS, OutputFormat.PARQUET), true, false, 0.5, store);
  }

  /** Manifest rows without the URIs that name the catalog's filesystem: the config's, and an error's value. */
  private static List<JsonNode> rows(String out) throws IOException {
    List<JsonNode> rows = new ArrayList<>();
    for (String line : new String(get(out + "/" + OutputPaths.MANIFEST), StandardCharsets.UTF_8).split("\n")) {
      ObjectNode row = (ObjectNode) TestJson.JSON.readTree(line);
      row.remove("config");
      if (row.has("error")) {
        ObjectNode error = (ObjectNode) row.get("error");
        if (error.get("value").isTextual()) {
          // An unreadable config's error names its URI, on this run's catalog filesystem.
          assertTrue(error.get("value").asText().startsWith(out.startsWith("hdfs:") ? hdfs.uri() : "file:"),
              error.toString());
          error.remove("value");
          error.remove("message");
        }
      }
      rows.add(row);
    }
    return rows;
  }

  /** A Parquet dataset's rows, without the config URI, in a stable order. */
  private static List<String> dataset(String path) {
    Dataset<Row> rows = spark.read().parquet(path);
    if (Arrays.asList(rows.columns()).contains("config")) {
      rows = rows.drop("config");
    }
    return rows.collectAsList().stream().map(Row::toString).sorted().toList();
  }

  /**
   * Runs the scenario's catalog with its outputs on hdfs:// and on the local filesystem; checks that the hdfs
   * root holds the local run's rows, files and datasets, read back from hdfs, and passes verify; then re-runs it.
   */
  private static void checkAgainstLocal(String scenario, String catalog, long[] lengths, Store store, int rows,
      int errors) throws Exception {
    String remoteOut = hdfs.uri() + "/" + scenario + "/out";
    String localOut = work.resolve(scenario).resolve("out").toUri().toString();
    Run remote = run(options(hdfs.uri() + "/" + scenario + "/" + catalog, remoteOut, lengths, store));
    Run local = run(options(work.resolve(scenario).resolve(catalog).toString(), localOut, lengths, store));
    assertEquals(0, remote.exit(), remote.err());
    assertEquals(0, local.exit(), local.err());
    String counts = "manifest: " + rows + " rows (" + (rows - errors) + " ok, 0 skipped, " + errors + " errors)";
    assertTrue(remote.err().contains(counts), remote.err());

    List<JsonNode> remoteRows = rows(remoteOut);
    assertEquals(rows(localOut), remoteRows, "the rows of the same run on the local filesystem");
    assertEquals(rows, remoteRows.size());
    int files = 0;
    Set<String> checked = new java.util.HashSet<>();
    for (JsonNode row : remoteRows) {
      if (row.get("files").isEmpty()) {
        assertEquals("error", row.get("status").asText(), row.toString());
        continue;
      }
      JsonNode file = row.get("files").get(0);
      String path = file.get("path").asText();
      assertTrue(path.startsWith((store == Store.PER_MODEL ? OutputPaths.SAFETENSORS : OutputPaths.TABLE_FILES)
          + "/"), path);
      if (!checked.add(path)) {
        continue;
      }
      byte[] bytes = get(remoteOut + "/" + path);
      assertEquals(file.get("sha256").asText(), Sha256.hex(bytes), path);
      assertEquals(file.get("bytes").asLong(), bytes.length, path);
      Path copy = Files.write(work.resolve("from-hdfs.safetensors"), bytes);
      Safetensors.Header header = Safetensors.read(copy);
      assertEquals(bytes.length, header.fileSize());
      assertEquals(store == Store.PER_MODEL ? row.get("model_id").asText() : null,
          header.metadata().get("model_id"), "a per-model file names its model, a shared table file none");
      files++;
    }
    assertTrue(files >= 2, "files read back: " + files);

    for (String parquet : List.of(OutputPaths.PARAMS, OutputPaths.TABLES)) {
      List<String> fromHdfs = dataset(remoteOut + "/" + parquet);
      assertEquals(dataset(localOut + "/" + parquet), fromHdfs, parquet + " as on the local filesystem");
      assertTrue(!fromHdfs.isEmpty(), parquet);
    }
    assertEquals(rows - errors, spark.read().parquet(remoteOut + "/" + OutputPaths.PARAMS).count());

    JsonNode marker = TestJson.JSON.readTree(get(remoteOut + "/" + OutputPaths.COMPLETE_MARKER));
    assertEquals(rows, marker.get("rows").asInt(), marker.toString());
    assertEquals(rows - errors, marker.get("ok").asInt(), marker.toString());
    assertEquals(errors, marker.get("errors").asInt(), marker.toString());
    assertEquals(hdfs.uri() + "/" + scenario + "/" + catalog, marker.get("catalog").asText());

    VerifyTest.Result verify = VerifyTest.verify(new Configuration(), "--out", remoteOut);
    assertEquals(0, verify.exit(), verify.out() + verify.err());
    assertEquals("verify: " + files + " files checked, 0 mismatches\n", verify.out());

    Map<String, String> before = files(remoteOut);
    Run again = run(options(hdfs.uri() + "/" + scenario + "/" + catalog, remoteOut, lengths, store));
    assertEquals(0, again.exit(), again.err());
    assertTrue(again.err().contains("manifest: " + rows + " rows (0 ok, " + (rows - errors) + " skipped, " + errors
        + " errors)"), again.err());
    assertEquals(0, RunRecoveryScenarios.summaryBytes(again.out(), "table bytes written"), again.out());
    assertTrue(RunRecoveryScenarios.summaryBytes(again.out(), "file bytes reused") > 0, again.out());
    Map<String, String> after = files(remoteOut);
    for (JsonNode row : remoteRows) {
      if (!row.get("files").isEmpty()) {
        String path = row.get("files").get(0).get("path").asText();
        assertEquals(before.get(path), after.get(path), "a reused file is left as it was: " + path);
      }
    }
    assertEquals(dataset(localOut + "/" + OutputPaths.TABLES), dataset(remoteOut + "/" + OutputPaths.TABLES),
        "a re-run that skips current outputs keeps their table rows");
  }

  /** Each table file below {@code root} with its modification time: a rewritten file gets a new one. */
  private static Map<String, String> files(String root) throws IOException {
    Map<String, String> found = new TreeMap<>();
    FileSystem fs = fs(root);
    String prefix = fs.makeQualified(new org.apache.hadoop.fs.Path(root)).toString() + "/";
    var it = fs.listFiles(new org.apache.hadoop.fs.Path(root), true);
    while (it.hasNext()) {
      var status = it.next();
      found.put(status.getPath().toString().substring(prefix.length()),
          status.getModificationTime() + "/" + status.getLen());
    }
    return found;
  }

  @Test
  void aFolderTreeCatalogOnHdfsIsWrittenPerModelLikeALocalRunAndReusedOnReRun() throws Exception {
    for (String id : SAMPLES) {
      put("tree", "catalog/" + id + "/config.json", sample(id));
    }
    put("tree", "catalog/bad/broken/config.json", "[1, 2".getBytes(StandardCharsets.UTF_8));

    checkAgainstLocal("tree", "catalog", new long[] {512, 2048}, Store.PER_MODEL, 2 * SAMPLES.size() + 1, 1);
  }

  @Test
  void aManifestCatalogOnHdfsIsWrittenContentAddressedLikeALocalRunAndReusedOnReRun() throws Exception {
    List<String> lines = new ArrayList<>();
    for (String id : SAMPLES) {
      put("manifest", "configs/" + id + "/config.json", sample(id));
      lines.add("{\"model_id\": \"" + id + "\", \"config\": \"configs/" + id + "/config.json\","
          + " \"context_lengths\": [1024]}");
      // A fine-tune with its base's config: one more row, no more table files.
      lines.add("{\"model_id\": \"" + id + "-ft\", \"config\": \"configs/" + id + "/config.json\","
          + " \"context_lengths\": [1024]}");
    }
    lines.add("{\"model_id\": \"gone/missing\", \"config\": \"configs/gone/missing/config.json\"}");
    put("manifest", "catalog.jsonl", (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));

    checkAgainstLocal("manifest", "catalog.jsonl", null, Store.CONTENT_ADDRESSED, 2 * SAMPLES.size() + 1, 1);
  }

  @Test
  void theContentAddressedStoreSharesTablesOnHdfs() throws Exception {
    put("shared", "configs/a.json", ContentAddressedStoreTest.BASE_A.getBytes(StandardCharsets.UTF_8));
    put("shared", "configs/b.json", ContentAddressedStoreTest.BASE_B.getBytes(StandardCharsets.UTF_8));
    put("shared", "catalog.jsonl",
        (String.join("\n", ContentAddressedStoreTest.catalogLines("configs/")) + "\n").getBytes(StandardCharsets.UTF_8));

    ContentAddressedStoreTest.checkStore(spark, new Configuration(), hdfs.uri() + "/shared/catalog.jsonl",
        hdfs.uri() + "/shared/out", work.resolve("shared/catalog.jsonl"), "configs/");
  }
}
