package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.hardening.MalformedCorpus;

/**
 * An executor of a standalone cluster killed while it writes: the Master gives the application a new executor,
 * the lost tasks run again, and the job completes with outputs that {@code verify} accepts.
 */
class ExecutorLossIT {
  @TempDir Path work;

  @Test
  void theJobSurvivesAKilledExecutor() throws Exception {
    Path appJar = Path.of(System.getProperty("ropeforge.app.jar"));
    Path configs = Files.createDirectories(work.resolve("configs"));
    List<String> lines = new ArrayList<>();
    for (String model : FaultInjectionTest.MODELS) {
      Files.write(configs.resolve(model), MalformedCorpus.base(model));
      lines.add("{\"model_id\": \"org/" + model.replace(".json", "") + "\", \"config\": \"configs/" + model
          + "\", \"context_lengths\": [" + FaultInjectionTest.LENGTH + "]}");
    }
    Path catalog = Files.write(work.resolve("catalog.jsonl"), lines);
    Path pids = work.resolve("executor-pids");
    Path out = work.resolve("out");

    try (StandaloneCluster cluster = new StandaloneCluster(work)) {
      cluster.start(2);
      // The fault hooks are test classes: driver and executors get the test and main classes ahead of the
      // application jar, and the driver runs the job through FaultyPrecomputeMain.
      String cp = StandaloneCluster.sparkClasspath() + java.io.File.pathSeparator + StandaloneCluster.projectClasses();
      Process job = cluster.java("submit", List.of("-Xmx1g", "-D" + FaultHooks.PID_DIR + "=" + pids,
          "-D" + FaultHooks.CHUNK_DELAY_MS + "=300", "-cp", cp, "org.apache.spark.deploy.SparkSubmit",
          "--master", cluster.masterUrl(), "--class", FaultyPrecomputeMain.class.getName(),
          "--conf", "spark.executor.extraClassPath=" + cp,
          "--conf", "spark.driver.host=127.0.0.1",
          "--conf", "spark.executor.memory=768m",
          "--conf", "spark.ui.enabled=false",
          appJar.toString(), "--catalog", catalog.toString(), "--out", out.toString(), "--formats", "safetensors"),
          Map.of());

      Optional<Long> victim = Optional.empty();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
      while (victim.isEmpty() && job.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(100);
        if (Files.isDirectory(pids)) {
          try (Stream<Path> files = Files.list(pids)) {
            victim = files.map(p -> Long.parseLong(p.getFileName().toString())).findFirst();
          }
        }
      }
      assertTrue(victim.isPresent(), "an executor started writing; see " + work.resolve("submit.log"));
      long pid = victim.get();
      // Only an executor this test's Workers launched, found among this JVM's own descendants.
      ProcessHandle executor = ProcessHandle.current().descendants().filter(p -> p.pid() == pid).findFirst()
          .orElseThrow(() -> new AssertionError("executor " + pid + " is not a descendant of this test"));
      assertTrue(executor.destroyForcibly());
      assertTrue(executor.onExit().get(30, TimeUnit.SECONDS) != null);

      assertTrue(job.waitFor(300, TimeUnit.SECONDS), "job finished within 300 s");
      String log = Files.readString(work.resolve("submit.log"));
      assertEquals(0, job.exitValue(), log);
      assertTrue(log.contains("manifest: 4 rows (4 ok, 0 skipped, 0 errors)"), log);
      try (Stream<Path> files = Files.list(pids)) {
        assertTrue(files.count() >= 2, "the lost tasks ran on another executor");
      }
    }

    VerifyTest.Result verify = VerifyTest.verify(new Configuration(), "--out", out.toString());
    assertEquals(0, verify.exit(), verify.out() + verify.err());
    assertEquals("verify: 4 files checked, 0 mismatches\n", verify.out());
  }
}
