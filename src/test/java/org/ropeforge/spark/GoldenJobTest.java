package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.spark.plan.OutputFormat;
import org.ropeforge.spark.write.SafetensorsTables;

/**
 * The job end to end on local[2] with the real tables: the golden configs through a manifest catalog, every
 * output read back by an independent reader and compared with the exact reference values, and both Parquet
 * datasets read back with Spark.
 */
class GoldenJobTest {
  @TempDir Path dir;

  private final SparkSession spark = SharedSpark.session();

  private int run(JobOptions options, ByteArrayOutputStream err) {
    return PrecomputeMain.runJob(spark, options, SafetensorsTables.FACTORY,
        new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void goldenConfigsGiveTheReferenceTables() throws Exception {
    List<JsonNode> records = GoldenOutputs.records(32_769);
    Path catalog = GoldenOutputs.writeManifestCatalog(dir.resolve("catalog"), records);
    Path out = dir.resolve("out");
    JobOptions options = new JobOptions(catalog.toString(), out.toString(), null, Precision.EXACT,
        Semantics.TRANSFORMERS, Layout.HALF, Dtype.F32, Set.of(OutputFormat.SAFETENSORS, OutputFormat.PARQUET), false,
        false, 0.0);
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    assertEquals(0, run(options, err), err.toString(StandardCharsets.UTF_8));

    long compared = GoldenOutputs.compare(out, records);
    assertTrue(compared > 100_000, "compared " + compared + " values");
    List<Row> params = spark.read().parquet(out.resolve("parquet/params").toString())
        .where("model_id = 'golden/google__gemma-3-27b-it' AND context_length = 32768")
        .orderBy("layer_type").collectAsList();
    assertEquals(List.of("full_attention", "sliding_attention"),
        params.stream().map(r -> (String) r.getAs("layer_type")).toList());
    JsonNode reference = records.stream()
        .filter(r -> r.get("case").asText().equals("google__gemma-3-27b-it|ctx=32768|full_attention"))
        .findFirst().orElseThrow();
    List<Double> inv = params.get(0).getList(params.get(0).fieldIndex("inv_freq"));
    for (int j = 0; j < inv.size(); j++) {
      double expected = reference.get("inv_freq").get(j).asDouble();
      assertEquals(expected, inv.get(j), Math.ulp(expected) * 4, "inv_freq " + j);
    }
    assertEquals(reference.get("attention_factor").asDouble(), (double) params.get(0).getAs("attention_factor"),
        1e-15);
  }

  @Test
  void torchPrecisionMatchesTransformersOnCpu() throws Exception {
    List<JsonNode> records = GoldenOutputs.records("transformers-5.17.0-cpu-fp32", 8_193);
    Path catalog = GoldenOutputs.writeManifestCatalog(dir.resolve("catalog"), records);
    Path out = dir.resolve("out");
    JobOptions options = new JobOptions(catalog.toString(), out.toString(), null, Precision.TORCH,
        Semantics.TRANSFORMERS, Layout.HALF, Dtype.F32, Set.of(OutputFormat.SAFETENSORS), false, false, 0.0);
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    assertEquals(0, run(options, err), err.toString(StandardCharsets.UTF_8));

    assertTrue(GoldenOutputs.compare(out, records) > 10_000);
  }

  @Test
  void theParquetTablesHoldTheSameValuesAsTheSafetensors() throws Exception {
    List<JsonNode> records = GoldenOutputs.records(4_096).stream()
        .filter(r -> r.get("case").asText().startsWith("google__gemma-3-27b-it|")
            || r.get("case").asText().startsWith("meta-llama__Llama-3.1-8B-Instruct|"))
        .toList();
    Path catalog = GoldenOutputs.writeManifestCatalog(dir.resolve("catalog"), records);
    Path out = dir.resolve("out");
    JobOptions options = new JobOptions(catalog.toString(), out.toString(), null, Precision.EXACT,
        Semantics.TRANSFORMERS, Layout.HALF, Dtype.F32, Set.of(OutputFormat.SAFETENSORS, OutputFormat.PARQUET), true,
        false, 0.0);
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    assertEquals(0, run(options, err), err.toString(StandardCharsets.UTF_8));

    assertTrue(Files.isDirectory(out.resolve("parquet/tables/model_id=golden%2Fgoogle__gemma-3-27b-it")
        .resolve("context_length=4096")) || Files.isDirectory(out.resolve("parquet/tables")), "partitioned");
    for (JsonNode r : records) {
      String layer = r.hasNonNull("layer_type") ? r.get("layer_type").asText() : null;
      long length = r.get("context_length").asLong();
      for (int i = 0; i < r.get("positions").size(); i++) {
        long position = r.get("positions").get(i).asLong();
        List<Row> rows = spark.read().parquet(out.resolve("parquet/tables").toString())
            .where(String.format("model_id = '%s' AND context_length = %d AND position = %d AND %s",
                GoldenOutputs.modelId(r), length, position,
                layer == null ? "layer_type IS NULL" : "layer_type = '" + layer + "'"))
            .collectAsList();
        assertEquals(1, rows.size(), r.get("case").asText() + " position " + position);
        List<Float> cos = rows.get(0).getList(rows.get(0).fieldIndex("cos"));
        JsonNode expected = r.get("cos").get(i);
        for (int j = 0; j < cos.size(); j++) {
          double reference = expected.get(j).asDouble();
          assertTrue(Math.abs(cos.get(j) - reference) <= Math.ulp((float) reference),
              r.get("case").asText() + " p=" + position + " j=" + j);
        }
        if (i > 2) {
          break; // a few positions per case are enough here; the safetensors check covers them all
        }
      }
    }
    assertEquals(records.stream().mapToLong(r -> r.get("context_length").asLong()).sum(),
        spark.read().parquet(out.resolve("parquet/tables").toString()).count());
  }
}
