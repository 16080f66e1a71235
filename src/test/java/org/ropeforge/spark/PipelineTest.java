package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.io.Sha256;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.spark.plan.OutputFormat;
import org.ropeforge.spark.write.FakeTables;

/**
 * The job's plumbing on a local SparkSession with {@link FakeTables}: a mixed catalog of good and malformed
 * configs, the manifest, the params dataset, exit codes, and a re-run that skips current outputs.
 */
class PipelineTest {
  @TempDir Path dir;

  private final SparkSession spark = SharedSpark.session();

  static final String LLAMA = """
      {"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "max_position_embeddings": 256,
       "rope_theta": 10000.0}""";

  private void config(String id, String text) throws IOException {
    Path path = dir.resolve("catalog").resolve(id).resolve("config.json");
    Files.createDirectories(path.getParent());
    Files.writeString(path, text);
  }

  private record Run(int exit, String out, String err) {}

  private Run run(JobOptions options) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = PrecomputeMain.runJob(spark, options, FakeTables.FACTORY,
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private JobOptions options(double maxErrorFraction, boolean overwrite) {
    return new JobOptions(dir.resolve("catalog").toString(), dir.resolve("out").toString(),
        new long[] {16, 128}, JobOptions.PRECISION_DEFAULT, JobOptions.SEMANTICS_DEFAULT, Layout.HALF, Dtype.F32,
        Set.of(OutputFormat.SAFETENSORS, OutputFormat.PARQUET), false, overwrite, maxErrorFraction);
  }

  private List<JsonNode> manifest() throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("out/manifest.jsonl"))) {
      lines.add(TestJson.JSON.readTree(line));
    }
    return lines;
  }

  @Test
  void aMixedCatalogGivesOneErrorRowPerBadConfigAndEverythingElse() throws IOException {
    config("org/llama-a", LLAMA);
    config("org/llama-b", LLAMA.replace("256", "512"));
    config("org/other-theta", LLAMA.replace("10000.0", "500000.0"));
    config("bad/not-json", "{ this is not json");
    config("bad/negative-theta", LLAMA.replace("10000.0", "-1.0"));

    Run first = run(options(0.0, false));

    assertEquals(1, first.exit(), first.err());
    assertTrue(first.err().contains("ropeforge: 2 of 8 rows are errors, more than --max-error-fraction 0.0"
        + " allows; see manifest.jsonl"), first.err());
    assertFalse(first.err().contains("\tat "), "no stack trace");
    for (String stage : List.of("catalog: 5 models listed", "normalise: 5 models read, 6 outputs planned, 2 errors,"
        + " 2 distinct table specs", "tables: 6/6 outputs done", "manifest: 8 rows (6 ok, 0 skipped, 2 errors)")) {
      assertTrue(first.err().contains(stage), stage + " in\n" + first.err());
    }
    List<JsonNode> lines = manifest();
    assertEquals(List.of("bad/negative-theta", "bad/not-json", "org/llama-a", "org/llama-a", "org/llama-b",
        "org/llama-b", "org/other-theta", "org/other-theta"),
        lines.stream().map(l -> l.get("model_id").asText()).toList());
    JsonNode notJson = lines.get(1);
    assertEquals("error", notJson.get("status").asText());
    assertTrue(notJson.get("context_length").isNull());
    assertTrue(notJson.get("error").get("message").asText().startsWith("model 'bad/not-json': "),
        notJson.toString());
    assertEquals("error", lines.get(0).get("status").asText());
    assertEquals("rope_theta", lines.get(0).get("error").get("field").asText(), lines.get(0).toString());
    JsonNode a16 = lines.get(2);
    assertEquals(16, a16.get("context_length").asLong());
    assertEquals("ok", a16.get("status").asText());
    JsonNode file = a16.get("files").get(0);
    assertEquals("safetensors/org/llama-a/rope-16.safetensors", file.get("path").asText());
    byte[] bytes = Files.readAllBytes(dir.resolve("out").resolve(file.get("path").asText()));
    assertEquals(bytes.length, file.get("bytes").asLong());
    assertEquals(Sha256.hex(bytes), file.get("sha256").asText());
    assertEquals(lines.get(2).get("tables"), lines.get(4).get("tables"), "same spec, same table bytes");
    assertTrue(Files.exists(dir.resolve("out/_ROPEFORGE_COMPLETE")));
    assertTrue(first.out().matches("(?s).*\\n  errors +2\\n.*"), first.out());

    List<Row> params = spark.read().parquet(dir.resolve("out/parquet/params").toString())
        .orderBy("model_id", "context_length").collectAsList();
    assertEquals(6, params.size());
    Row p = params.get(0);
    assertEquals("org/llama-a", p.getAs("model_id"));
    assertEquals(16L, (long) p.getAs("context_length"));
    assertEquals("default", p.getAs("rope_type"));
    assertEquals(16, (int) p.getAs("rotary_dim"));
    List<Double> inv = p.getList(p.fieldIndex("inv_freq"));
    assertEquals(8, inv.size());
    assertEquals(1.0, inv.get(0));
    assertEquals(Math.pow(10000.0, -2.0 / 16), inv.get(1), 1e-15);
    assertEquals(a16.get("tables").get(0).get("sha256").asText(), p.getAs("table_sha256"));
    assertEquals(a16.get("config_sha256").asText(), p.getAs("config_sha256"));
    assertEquals("safetensors/org/llama-a/rope-16.safetensors", p.getAs("safetensors_path"));
    assertEquals("transformers", p.getAs("semantics"));

    Path kept = dir.resolve("out/safetensors/org/llama-b/rope-128.safetensors");
    long mtime = Files.getLastModifiedTime(kept).toMillis();
    config("org/llama-a", LLAMA.replace("10000.0", "10000.5"));

    Run second = run(options(0.25, false));

    assertEquals(0, second.exit(), second.err());
    assertTrue(second.err().contains("manifest: 8 rows (2 ok, 4 skipped, 2 errors)"), second.err());
    assertEquals(mtime, Files.getLastModifiedTime(kept).toMillis(), "a current output is not rewritten");
    assertEquals(6, spark.read().parquet(dir.resolve("out/parquet/params").toString()).count());

    Run third = run(options(0.25, true));

    assertEquals(0, third.exit(), third.err());
    assertTrue(third.err().contains("manifest: 8 rows (6 ok, 0 skipped, 2 errors)"), third.err());
    assertArrayEquals(Files.readAllBytes(kept), new FakeTables().expectedFile(
        FakeTables.target("org/llama-b", 128, FakeTables.layer(null, 1.0, 16))), "deterministic bytes");
  }

  @Test
  void anUnsafeModelIdIsAnErrorRowAndNeverAPath() throws IOException {
    Path catalog = dir.resolve("catalog");
    Files.createDirectories(catalog);
    Files.writeString(catalog.resolve("llama.json"), LLAMA);
    Files.writeString(dir.resolve("catalog.jsonl"), String.join("\n",
        "{\"model_id\": \"../escaped\", \"config\": \"catalog/llama.json\"}",
        "{\"model_id\": \"/abs/olute\", \"config\": \"catalog/llama.json\"}",
        "{\"model_id\": \"ok/model\", \"config\": \"catalog/llama.json\", \"context_lengths\": [32]}"));
    JobOptions options = new JobOptions(dir.resolve("catalog.jsonl").toString(), dir.resolve("out").toString(),
        null, JobOptions.PRECISION_DEFAULT, JobOptions.SEMANTICS_DEFAULT, Layout.HALF, Dtype.F32,
        Set.of(OutputFormat.SAFETENSORS),
        false, false, 1.0);

    Run run = run(options);

    assertEquals(0, run.exit(), run.err());
    List<JsonNode> lines = manifest();
    assertEquals(3, lines.size());
    assertEquals("Model id '../escaped' has a '..' path segment", lines.get(0).get("error").get("message").asText());
    assertEquals("model_id", lines.get(0).get("error").get("field").asText());
    assertEquals("Model id '/abs/olute' is absolute", lines.get(1).get("error").get("message").asText());
    assertEquals(32, lines.get(2).get("context_length").asLong());
    assertFalse(Files.exists(dir.resolve("escaped")));
    assertFalse(Files.exists(dir.resolve("out/escaped")));
    assertFalse(Files.exists(dir.resolve("out/parquet")), "parquet not among the formats");
    assertEquals(Map.of(), Map.of());
  }
}
