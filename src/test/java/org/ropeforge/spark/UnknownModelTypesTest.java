package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.format.Safetensors;
import org.ropeforge.spark.plan.OutputFormat;
import org.ropeforge.spark.plan.Store;
import org.ropeforge.spark.plan.UnknownModelTypes;
import org.ropeforge.spark.write.SafetensorsTables;

/**
 * A model type outside the conformance table: resolved by the generic rules and marked {@code unknown} in its
 * manifest row, its params rows and its file, or refused by name with {@code --unknown-model-types refuse}; and
 * the transformers version whose semantics were applied, recorded alongside.
 */
class UnknownModelTypesTest {
  @TempDir Path dir;

  private final SparkSession spark = SharedSpark.session();

  private Path catalog() throws Exception {
    Files.createDirectories(dir.resolve("configs"));
    Files.writeString(dir.resolve("configs/known.json"), PipelineTest.LLAMA);
    Files.writeString(dir.resolve("configs/unknown.json"),
        PipelineTest.LLAMA.replace("\"llama\"", "\"house_arch_v7\""));
    return Files.write(dir.resolve("catalog.jsonl"), List.of(
        "{\"model_id\": \"org/known\", \"config\": \"configs/known.json\", \"context_lengths\": [64]}",
        "{\"model_id\": \"org/unknown\", \"config\": \"configs/unknown.json\", \"context_lengths\": [64]}"));
  }

  private String run(Path catalog, Path out, UnknownModelTypes unknown, int expectedExit) {
    JobOptions options = new JobOptions(catalog.toString(), out.toString(), null, Precision.EXACT,
        Semantics.TRANSFORMERS, Layout.HALF, Dtype.F32, Set.of(OutputFormat.SAFETENSORS, OutputFormat.PARQUET), false,
        false, 0.0, Store.PER_MODEL, unknown);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = PrecomputeMain.runJob(spark, options, SafetensorsTables.FACTORY,
        new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
    String text = err.toString(StandardCharsets.UTF_8);
    assertEquals(expectedExit, exit, text);
    return text;
  }

  private List<JsonNode> manifest(Path out) throws Exception {
    List<JsonNode> rows = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("manifest.jsonl"))) {
      rows.add(TestJson.JSON.readTree(line));
    }
    return rows;
  }

  @Test
  void anUnknownModelTypeIsResolvedAndMarkedByDefault() throws Exception {
    Path out = dir.resolve("warn");
    run(catalog(), out, UnknownModelTypes.WARN, 0);

    List<JsonNode> rows = manifest(out);
    assertEquals("known", rows.get(0).get("model_type_conformance").asText());
    assertEquals("unknown", rows.get(1).get("model_type_conformance").asText());
    Safetensors.Header unknownFile = Safetensors.read(out.resolve("safetensors/org/unknown/rope-64.safetensors"));
    assertEquals("unknown", unknownFile.metadata().get("model_type_conformance"));
    assertEquals("5.18", unknownFile.metadata().get("transformers_semantics"));
    assertEquals("known", Safetensors.read(out.resolve("safetensors/org/known/rope-64.safetensors")).metadata()
        .get("model_type_conformance"));
    List<Row> params = spark.read().parquet(out.resolve("parquet/params").toString()).orderBy("model_id")
        .collectAsList();
    assertEquals(List.of("known", "unknown"),
        params.stream().map(r -> r.<String>getAs("model_type_conformance")).toList());
    assertEquals(List.of("5.18", "5.18"), params.stream().map(r -> r.<String>getAs("transformers_semantics")).toList());
    VerifyTest.Result verify = VerifyTest.verify(spark.sparkContext().hadoopConfiguration(), "--out", out.toString());
    assertEquals(0, verify.exit(), verify.out());
  }

  @Test
  void refusingUnknownModelTypesGivesAnErrorRowNamingTheType() throws Exception {
    Path out = dir.resolve("refuse");
    String err = run(catalog(), out, UnknownModelTypes.REFUSE, 1);

    assertTrue(err.contains("manifest: 2 rows (1 ok, 0 skipped, 1 errors)"), err);
    JsonNode error = manifest(out).get(1).get("error");
    assertEquals("model_type", error.get("field").asText());
    assertEquals("\"house_arch_v7\"", error.get("value").asText());
    assertEquals("model 'org/unknown': model_type = \"house_arch_v7\": model_type \"house_arch_v7\" is not in the"
        + " conformance table of transformers 5.18, and --unknown-model-types refuse is set",
        error.get("message").asText());
    assertNull(manifest(out).get(1).get("files").get(0));
  }
}
