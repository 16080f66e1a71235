package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application jar on a standalone cluster: a Master and two Workers on loopback, the job submitted
 * through Spark's SparkSubmit as the launcher does without SPARK_HOME, over the golden configs as a folder
 * tree plus one malformed config, planned on the executors; outputs checked with the independent reader.
 */
class StandaloneClusterIT {
  @TempDir Path work;

  @Test
  void theApplicationJarRunsOnAStandaloneCluster() throws Exception {
    Path appJar = Path.of(System.getProperty("ropeforge.app.jar"));
    assertTrue(Files.isRegularFile(appJar), "application jar built by package: " + appJar);
    Path catalog = work.resolve("catalog");
    GoldenOutputs.writeTreeCatalog(catalog);
    Files.createDirectories(catalog.resolve("broken/model"));
    Files.writeString(catalog.resolve("broken/model/config.json"), "{\"rope_theta\": \"fast\"");
    Path out = work.resolve("out");

    try (StandaloneCluster cluster = new StandaloneCluster(work)) {
      cluster.start(2);
      String cp = StandaloneCluster.sparkClasspath();
      List<String> submit = new ArrayList<>(List.of("-Xmx1g", "-cp", cp, "org.apache.spark.deploy.SparkSubmit",
          "--master", cluster.masterUrl(), "--class", "org.ropeforge.spark.PrecomputeMain",
          "--conf", "spark.executor.extraClassPath=" + cp,
          "--conf", "spark.driver.host=127.0.0.1",
          "--conf", "spark.executor.memory=768m",
          "--conf", "spark.ui.enabled=false",
          appJar.toString(),
          "--catalog", catalog.toString(), "--out", out.toString(), "--context-lengths", "2048,4096",
          "--formats", "safetensors,parquet", "--parquet-tables", "off", "--max-error-fraction", "0.1",
          // As a registry's catalog is planned: across the executors, through the plan's shuffle.
          "--driver-plan-max-models", "0"));
      Process job = cluster.java("submit", submit, Map.of());
      assertTrue(job.waitFor(300, TimeUnit.SECONDS), "job finished within 300 s");
      String log = Files.readString(work.resolve("submit.log"));
      assertEquals(0, job.exitValue(), log);
      assertTrue(log.contains("catalog: 30 models listed"), log);
      assertTrue(log.contains("manifest: 59 rows (58 ok, 0 skipped, 1 errors)"), log);
      assertTrue(log.contains("write tasks (at most 64 files or 1.07 GB each)\n"), log);
    }

    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("manifest.jsonl"))) {
      lines.add(TestJson.JSON.readTree(line));
    }
    JsonNode broken = lines.stream().filter(l -> l.get("model_id").asText().equals("broken/model"))
        .findFirst().orElseThrow();
    assertEquals("error", broken.get("status").asText());
    List<JsonNode> records = GoldenOutputs.records(4096).stream()
        .filter(r -> r.get("context_length").asLong() == 2048 || r.get("context_length").asLong() == 4096)
        .filter(r -> r.has("config_file") && !r.get("config_file").isNull())
        .toList();
    assertTrue(records.size() > 20, "golden records at 2048 and 4096: " + records.size());
    assertTrue(GoldenOutputs.compare(out, records, GoldenOutputs::treeModelId) > 10_000);
  }
}
