package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.spark.plan.OutputFormat;
import org.ropeforge.spark.write.SafetensorsTables;
import org.ropeforge.spark.write.WriteHooks;

/**
 * {@code --gpu} in local mode: no resource profile (Spark cannot schedule GPUs there), one line saying so, and
 * every table computed on the CPU, as the manifest records.
 */
class GpuLocalModeTest {
  @TempDir Path dir;

  @Test
  void localModeRunsWithoutAProfileAndRecordsTheCpu() throws Exception {
    Path config = dir.resolve("catalog/org/llama/config.json");
    Files.createDirectories(config.getParent());
    Files.writeString(config, PipelineTest.LLAMA);
    JobOptions options = new JobOptions(dir.resolve("catalog").toString(), dir.resolve("out").toString(),
        new long[] {64}, JobOptions.PRECISION_DEFAULT, JobOptions.SEMANTICS_DEFAULT, Layout.HALF, Dtype.F32,
        Set.of(OutputFormat.SAFETENSORS), false, false, 0.0);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = PrecomputeMain.runJob(SharedSpark.session(), options, new GpuOptions(true, 1.0, 1), LeaseOptions.DEFAULT,
        SafetensorsTables.FACTORY, WriteHooks.NONE,
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String log = err.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, log);
    assertEquals(1, log.lines().filter(l -> l.contains("gpu:")).count(), log);
    assertTrue(log.contains("gpu: local mode cannot schedule GPUs; the table stage runs without a resource"
        + " profile, on the CPU"), log);
    JsonNode line = TestJson.JSON.readTree(Files.readAllLines(dir.resolve("out/manifest.jsonl")).get(0));
    JsonNode table = line.get("tables").get(0);
    assertEquals("cpu", table.get("device").asText());
    assertTrue(table.get("gpu").isNull(), table.toString());
  }
}
