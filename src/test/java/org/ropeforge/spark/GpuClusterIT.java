package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --gpu} on a standalone cluster whose worker advertises two GPUs through conf/gpu-discovery.sh and its
 * ROPEFORGE_FAKE_GPUS override: the table stage runs under the GPU profile, every table task holds a GPU address,
 * the manifest records it, and with no NVIDIA driver on this machine each task falls back to the CPU kernel,
 * which the executor logs once.
 */
class GpuClusterIT {
  @TempDir Path work;

  @Test
  void tableTasksHoldGpusAndFallBackToTheCpuWithoutADriver() throws Exception {
    Path appJar = Path.of(System.getProperty("ropeforge.app.jar"));
    assertTrue(Files.isRegularFile(appJar), "application jar built by package: " + appJar);
    Path out = work.resolve("out");
    String discovery = Path.of("conf/gpu-discovery.sh").toAbsolutePath().toString();

    try (StandaloneCluster cluster = new StandaloneCluster(work)) {
      cluster.start(1, 2, List.of("-Dspark.worker.resource.gpu.amount=2",
          "-Dspark.worker.resource.gpu.discoveryScript=" + discovery), Map.of("ROPEFORGE_FAKE_GPUS", "0,1"));
      String cp = StandaloneCluster.sparkClasspath();
      List<String> submit = new ArrayList<>(List.of("-Xmx1g", "-cp", cp, "org.apache.spark.deploy.SparkSubmit",
          "--master", cluster.masterUrl(), "--class", "org.ropeforge.spark.PrecomputeMain",
          "--conf", "spark.executor.extraClassPath=" + cp,
          "--conf", "spark.driver.host=127.0.0.1",
          "--conf", "spark.executor.memory=768m",
          "--conf", "spark.executor.cores=2",
          "--conf", "spark.ui.enabled=false",
          appJar.toString(),
          "--catalog", Path.of("conf/sample-catalog.jsonl").toAbsolutePath().toString(),
          "--out", out.toString(), "--context-lengths", "1024", "--formats", "safetensors",
          "--gpu", "--gpu-executor-amount", "2"));
      Process job = cluster.java("submit", submit, Map.of());
      assertTrue(job.waitFor(300, TimeUnit.SECONDS), "job finished within 300 s");
      String log = Files.readString(work.resolve("submit.log"));
      assertEquals(0, job.exitValue(), log);
      assertTrue(log.contains("ropeforge: gpu: spark.executorEnv.CUDA_DEVICE_ORDER=PCI_BUS_ID,"
          + " spark.executor.resource.gpu.amount=2 (every executor holds GPUs)"), log);
      assertTrue(log.matches("(?s).*gpu: table stage under resource profile \\d+ \\(task resources only, executors"
          + " of the default profile\\), 1.0 GPU per task.*"), log);
    }

    Set<String> addresses = new TreeSet<>();
    int tables = 0;
    for (String text : Files.readAllLines(out.resolve("manifest.jsonl"))) {
      JsonNode line = TestJson.JSON.readTree(text);
      assertEquals("ok", line.get("status").asText(), text);
      for (JsonNode table : line.get("tables")) {
        assertEquals("cpu", table.get("device").asText(), text);
        addresses.add(table.get("gpu").asText());
        tables++;
      }
    }
    assertTrue(tables >= 29, "tables in the manifest: " + tables);
    assertTrue(Set.of("0", "1").containsAll(addresses) && !addresses.isEmpty(), "GPU addresses: " + addresses);

    // One executor, one fallback warning, however many tasks it ran.
    List<Path> stderrs;
    try (Stream<Path> files = Files.walk(work.resolve("worker-0"))) {
      stderrs = files.filter(p -> p.getFileName().toString().equals("stderr")).toList();
    }
    assertEquals(1, stderrs.size(), "executor logs: " + stderrs);
    String executorLog = Files.readString(stderrs.get(0));
    long warnings = executorLog.lines().filter(l -> l.contains("assigned but unusable")).count();
    assertEquals(1, warnings, executorLog);
    assertTrue(executorLog.contains("libcuda.so.1: cannot open shared object file"), executorLog);
  }
}
