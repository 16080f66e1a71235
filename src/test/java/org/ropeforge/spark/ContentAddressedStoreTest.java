package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
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
 * The content-addressed store through the real job: fine-tunes that share a base config share its table files,
 * which are written once, describe the table alone, and are reused by key and checksum on a re-run; every
 * (model, length) keeps its manifest and params rows, pointing to its file. Run on a local root here and on
 * s3a:// by {@link S3PipelineTest}.
 */
class ContentAddressedStoreTest {
  @TempDir Path dir;

  static final String BASE_A = PipelineTest.LLAMA;
  static final String BASE_B = PipelineTest.LLAMA.replace("10000.0", "500000.0");

  /** Five models over two distinct configs, at two lengths: 10 rows, 4 distinct tables. */
  static List<String> catalogLines(String configs) {
    List<String> lines = new ArrayList<>();
    for (String[] model : new String[][] {{"org/base-a", "a"}, {"org/ft-a1", "a"}, {"org/ft-a2", "a"},
        {"org/base-b", "b"}, {"org/ft-b1", "b"}}) {
      lines.add("{\"model_id\": \"" + model[0] + "\", \"config\": \"" + configs + model[1]
          + ".json\", \"context_lengths\": [128, 256]}");
    }
    return lines;
  }

  static JobOptions options(String catalog, String out) {
    return new JobOptions(catalog, out, null, Precision.EXACT, Semantics.TRANSFORMERS, Layout.HALF, Dtype.F32,
        Set.of(OutputFormat.SAFETENSORS, OutputFormat.PARQUET), true, false, 0.0, Store.CONTENT_ADDRESSED);
  }

  record Run(int exit, String out, String err) {}

  static Run run(SparkSession spark, JobOptions options) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = PrecomputeMain.runJob(spark, options, SafetensorsTables.FACTORY,
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void sharedTablesAreWrittenOnceAndEveryModelPointsToThem() throws Exception {
    Path configs = Files.createDirectories(dir.resolve("configs"));
    Files.writeString(configs.resolve("a.json"), BASE_A);
    Files.writeString(configs.resolve("b.json"), BASE_B);
    Path catalog = Files.write(dir.resolve("catalog.jsonl"), catalogLines("configs/"));
    checkStore(SharedSpark.session(), new Configuration(), catalog.toString(), dir.resolve("out").toUri().toString(),
        dir.resolve("catalog.jsonl"), "configs/");
  }

  /**
   * The whole scenario against {@code out}: a first run, its files, rows and datasets, verify, a re-run that
   * writes nothing, and a new fine-tune whose table already exists.
   */
  static void checkStore(SparkSession spark, Configuration verifyConf, String catalog, String out, Path localCatalog,
      String configs) throws Exception {
    Run first = run(spark, options(catalog, out));
    assertEquals(0, first.exit(), first.err());
    assertTrue(first.err().contains("manifest: 10 rows (10 ok, 0 skipped, 0 errors)"), first.err());

    FileSystem fs = new HadoopConf(spark.sparkContext().hadoopConfiguration())
        .fileSystem(new org.apache.hadoop.fs.Path(out));
    Map<String, byte[]> tableFiles = new TreeMap<>();
    RemoteIterator<LocatedFileStatus> all = fs.listFiles(new org.apache.hadoop.fs.Path(out), true);
    while (all.hasNext()) {
      org.apache.hadoop.fs.Path p = all.next().getPath();
      String relative = p.toString().substring(p.toString().indexOf("/out/") + "/out/".length());
      assertFalse(relative.startsWith(OutputPaths.SAFETENSORS + "/"), "no per-model file: " + relative);
      if (relative.startsWith(OutputPaths.TABLE_FILES + "/")) {
        try (InputStream in = fs.open(p)) {
          tableFiles.put(relative, in.readAllBytes());
        }
      }
    }
    assertEquals(4, tableFiles.size(), "two distinct configs at two lengths: four tables, " + tableFiles.keySet());
    long tableBytes = 0;
    for (Map.Entry<String, byte[]> file : tableFiles.entrySet()) {
      Safetensors.Header header = Safetensors.read(
          Files.write(Files.createTempFile("table", ".safetensors"), file.getValue()));
      assertNull(header.metadata().get("model_id"), "a table file names no model");
      assertNull(header.metadata().get("config_sha256"));
      assertNull(header.metadata().get("rope_type"));
      tableBytes += file.getValue().length - header.dataStart() - 4L * 16 / 2;
    }
    assertTrue(first.out().contains(String.format("%-22s %s%n", "table bytes written", Progress.bytes(tableBytes))),
        "each distinct table's bytes written once: " + Progress.bytes(tableBytes) + " in\n" + first.out());

    List<JsonNode> rows = manifest(fs, out);
    assertEquals(10, rows.size());
    Map<String, Set<String>> pathsByConfigAndLength = new TreeMap<>();
    for (JsonNode row : rows) {
      JsonNode file = row.get("files").get(0);
      assertTrue(tableFiles.containsKey(file.get("path").asText()), row.toString());
      assertEquals(Sha256.hex(tableFiles.get(file.get("path").asText())), file.get("sha256").asText());
      String config = row.get("config").asText();
      pathsByConfigAndLength.computeIfAbsent(config.substring(config.length() - 6) + "@"
          + row.get("context_length").asLong(), k -> new HashSet<>()).add(file.get("path").asText());
    }
    assertEquals(4, pathsByConfigAndLength.size());
    pathsByConfigAndLength.values().forEach(paths -> assertEquals(1, paths.size(), "one file per table"));

    List<Row> params = spark.read().parquet(out + "/parquet/params").collectAsList();
    assertEquals(10, params.size());
    for (Row param : params) {
      assertTrue(tableFiles.containsKey(param.<String>getAs("safetensors_path")), param.toString());
    }
    assertEquals(2L * (128 + 256), spark.read().parquet(out + "/parquet/tables").count(),
        "the tables dataset holds each distinct table once, keyed by table");
    assertEquals(4, spark.read().parquet(out + "/parquet/tables").select("table_key").distinct().count());

    VerifyTest.Result verify = VerifyTest.verify(verifyConf, "--out", out);
    assertEquals(0, verify.exit(), verify.out() + verify.err());
    assertEquals("verify: 4 files checked, 0 mismatches\n", verify.out());

    Run again = run(spark, options(catalog, out));
    assertEquals(0, again.exit(), again.err());
    assertTrue(again.err().contains("manifest: 10 rows (0 ok, 10 skipped, 0 errors)"), again.err());
    assertEquals(0, RunRecoveryScenarios.summaryBytes(again.out(), "table bytes written"));

    List<String> more = new ArrayList<>(Files.readAllLines(localCatalog));
    more.add("{\"model_id\": \"org/ft-a3\", \"config\": \"" + configs + "a.json\", \"context_lengths\": [256]}");
    Files.write(localCatalog, more);
    if (!catalog.equals(localCatalog.toString())) {
      copy(fs, localCatalog, catalog);
    }
    Run grown = run(spark, options(catalog, out));
    assertEquals(0, grown.exit(), grown.err());
    assertTrue(grown.err().contains("manifest: 11 rows (1 ok, 10 skipped, 0 errors)"), grown.err());
    assertEquals(0, RunRecoveryScenarios.summaryBytes(grown.out(), "table bytes written"),
        "a new fine-tune of a known base adds a row, not a file");
  }

  private static void copy(FileSystem fs, Path local, String uri) throws IOException {
    try (var stream = fs.create(new org.apache.hadoop.fs.Path(uri), true)) {
      stream.write(Files.readAllBytes(local));
    }
  }

  private static List<JsonNode> manifest(FileSystem fs, String out) throws IOException {
    List<JsonNode> rows = new ArrayList<>();
    try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(out, OutputPaths.MANIFEST))) {
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        rows.add(TestJson.JSON.readTree(line));
      }
    }
    return rows;
  }
}
