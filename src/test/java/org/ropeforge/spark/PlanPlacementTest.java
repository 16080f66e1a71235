package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.io.Sha256;
import org.ropeforge.spark.plan.OutputFormat;
import org.ropeforge.spark.plan.Store;
import org.ropeforge.spark.write.SafetensorsTables;

/**
 * A small catalog is planned on the driver and a large one on the executors ({@link
 * JobOptions#DRIVER_PLAN_MAX_MODELS}): both must write the same bytes. One catalog of shared and distinct specs,
 * bad configs, a missing config and a duplicate id, at two lengths, runs each way on its own root, then again on
 * that root to reuse what it wrote; manifests, table files and the Parquet params rows must match.
 */
class PlanPlacementTest {
  @TempDir Path dir;

  private final SparkSession spark = SharedSpark.session();

  private Path catalog() throws IOException {
    Path configs = dir.resolve("configs");
    Files.createDirectories(configs);
    Files.writeString(configs.resolve("a.json"), PipelineTest.LLAMA);
    Files.writeString(configs.resolve("b.json"), PipelineTest.LLAMA.replace("10000.0", "500000.0"));
    Files.writeString(configs.resolve("c.json"), PipelineTest.LLAMA.replace("\"hidden_size\": 64",
        "\"hidden_size\": 128"));
    Files.writeString(configs.resolve("negative.json"), PipelineTest.LLAMA.replace("10000.0", "-1.0"));
    Files.writeString(configs.resolve("broken.json"), "{\"model_type\": \"llama\", ");
    StringBuilder lines = new StringBuilder();
    String[][] models = {{"org/a1", "a"}, {"org/a2", "a"}, {"org/a3", "a"}, {"org/b1", "b"}, {"org/b2", "b"},
        {"org/c", "c"}, {"bad/negative", "negative"}, {"bad/broken", "broken"}, {"bad/missing", "missing"},
        {"org/a1", "b"}};
    for (String[] model : models) {
      lines.append("{\"model_id\": \"").append(model[0]).append("\", \"config\": \"")
          .append(configs.resolve(model[1] + ".json").toUri()).append("\", \"context_lengths\": [16, 128]}\n");
    }
    Path manifest = dir.resolve("catalog.jsonl");
    Files.writeString(manifest, lines);
    return manifest;
  }

  private static JobOptions options(Path catalog, Path out, Store store) {
    return new JobOptions(catalog.toString(), out.toString(), null, Precision.EXACT, Semantics.TRANSFORMERS,
        List.of(Layout.HALF, Layout.VLLM), List.of(Dtype.F32, Dtype.BF16),
        Set.of(OutputFormat.SAFETENSORS, OutputFormat.PARQUET), false, false, 1.0, store,
        JobOptions.UNKNOWN_MODEL_TYPES_DEFAULT);
  }

  private record Run(int exit, String err) {}

  private Run run(JobOptions options) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = PrecomputeMain.runJob(spark, options, SafetensorsTables.FACTORY,
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(exit, err.toString(StandardCharsets.UTF_8));
  }

  /** Every safetensors file under {@code out}, by its path relative to it, with its SHA-256. */
  private static Map<String, String> tableFiles(Path out) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(out)) {
      for (Path p : paths.filter(p -> p.toString().endsWith(".safetensors")).toList()) {
        files.put(out.relativize(p).toString(), Sha256.hex(Files.readAllBytes(p)));
      }
    }
    return files;
  }

  private List<String> paramsRows(Path out) {
    return spark.read().parquet(out.resolve("parquet/params").toString()).toJSON().collectAsList().stream()
        .sorted().toList();
  }

  @ParameterizedTest
  @EnumSource(Store.class)
  void theDriverAndTheExecutorsPlanTheSameOutputs(Store store) throws IOException {
    Path catalog = catalog();
    Path onDriver = dir.resolve("on-driver");
    Path onExecutors = dir.resolve("on-executors");

    Run driverRun = run(options(catalog, onDriver, store));
    Run executorRun = run(options(catalog, onExecutors, store).withDriverPlanMaxModels(0));

    assertEquals(PrecomputeMain.EXIT_OK, driverRun.exit(), driverRun.err());
    assertEquals(PrecomputeMain.EXIT_OK, executorRun.exit(), executorRun.err());
    // Without these the comparison below could hold because both runs took the same path.
    assertTrue(driverRun.err().contains("planned on the driver"), driverRun.err());
    assertFalse(executorRun.err().contains("planned on the driver"), executorRun.err());
    String manifest = Files.readString(onDriver.resolve("manifest.jsonl"));
    assertEquals(manifest, Files.readString(onExecutors.resolve("manifest.jsonl")));
    // 6 usable models at 2 lengths in 4 forms; 3 bad configs and a duplicate id, refused once per form.
    assertEquals(64, manifest.lines().count(), manifest);
    assertEquals(48, manifest.lines().filter(l -> l.contains("\"status\":\"ok\"")).count());
    assertEquals(16, manifest.lines().filter(l -> l.contains("\"status\":\"error\"")).count());
    Map<String, String> files = tableFiles(onDriver);
    // Per model: a file per ok row. Content-addressed: 3 specs at 2 lengths in 4 forms.
    assertEquals(store == Store.PER_MODEL ? 48 : 24, files.size());
    assertEquals(files, tableFiles(onExecutors));
    assertEquals(paramsRows(onDriver), paramsRows(onExecutors));

    // Again on each root: every output is reused, in either placement.
    Run driverAgain = run(options(catalog, onDriver, store));
    Run executorsAgain = run(options(catalog, onExecutors, store).withDriverPlanMaxModels(0));
    assertEquals(PrecomputeMain.EXIT_OK, driverAgain.exit(), driverAgain.err());
    assertEquals(PrecomputeMain.EXIT_OK, executorsAgain.exit(), executorsAgain.err());
    String reused = Files.readString(onDriver.resolve("manifest.jsonl"));
    assertEquals(reused, Files.readString(onExecutors.resolve("manifest.jsonl")));
    assertEquals(48, reused.lines().filter(l -> l.contains("\"status\":\"skipped\"")).count());
    assertEquals(files, tableFiles(onDriver));
    assertEquals(files, tableFiles(onExecutors));
  }

  @Test
  void aCatalogAboveTheLimitIsPlannedOnTheExecutors() throws IOException {
    Path catalog = catalog();
    Run limited = run(options(catalog, dir.resolve("out"), Store.PER_MODEL).withDriverPlanMaxModels(9));
    assertEquals(PrecomputeMain.EXIT_OK, limited.exit(), limited.err());
    assertTrue(limited.err().contains("catalog: 10 models listed"), limited.err());
    assertFalse(limited.err().contains("planned on the driver"), limited.err());
    Run atTheLimit = run(options(catalog, dir.resolve("out2"), Store.PER_MODEL).withDriverPlanMaxModels(10));
    assertTrue(atTheLimit.err().contains("planned on the driver"), atTheLimit.err());
  }
}
