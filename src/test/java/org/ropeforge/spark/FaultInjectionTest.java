package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ExceptionFailure;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;
import org.ropeforge.hardening.MalformedCorpus;
import org.ropeforge.io.Sha256;
import org.ropeforge.spark.output.OutputPaths;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.spark.plan.OutputFormat;
import org.ropeforge.spark.write.SafetensorsTables;
import org.ropeforge.spark.write.WriteHooks;

/**
 * Faults during the write stage, injected through {@link FaultHooks}: a write task that dies mid-write on its
 * first attempt, and a driver killed mid-write and run again. Both must end with the bytes of a clean run.
 */
class FaultInjectionTest {
  @TempDir Path dir;

  private final SparkSession spark = SharedSpark.session();

  static final List<String> MODELS = List.of("meta-llama__Llama-3.1-8B-Instruct.json",
      "mistralai__Mistral-7B-Instruct-v0.3.json", "Qwen__Qwen2.5-7B-Instruct-yarn.json",
      "deepseek-ai__DeepSeek-V3.json");

  /** 40,000 rows: several 4 MiB chunks per tensor, so that a fault lands between chunks of a file. */
  static final long LENGTH = 40_000;

  private Path catalog(String name, List<String> models) throws IOException {
    Path configs = Files.createDirectories(dir.resolve("configs"));
    List<String> lines = new ArrayList<>();
    for (String model : models) {
      Files.write(configs.resolve(model), MalformedCorpus.base(model));
      lines.add("{\"model_id\": \"org/" + model.replace(".json", "") + "\", \"config\": \"configs/" + model
          + "\", \"context_lengths\": [" + LENGTH + "]}");
    }
    return Files.write(dir.resolve(name), lines);
  }

  private static JobOptions options(Path catalog, Path out) {
    return new JobOptions(catalog.toString(), out.toString(), null, Precision.EXACT, Semantics.TRANSFORMERS,
        Layout.HALF, Dtype.F32, Set.of(OutputFormat.SAFETENSORS), false, false, 0.0);
  }

  private String run(Path catalog, Path out) {
    return run(catalog, out, WriteHooks.NONE);
  }

  private String run(Path catalog, Path out, WriteHooks hooks) {
    return run(catalog, out, hooks, LeaseOptions.DEFAULT);
  }

  private String run(Path catalog, Path out, WriteHooks hooks, LeaseOptions lease) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = PrecomputeMain.runJob(spark, options(catalog, out), GpuOptions.OFF, lease,
        SafetensorsTables.FACTORY, hooks,
        new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
    String text = err.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, text);
    return text;
  }

  static Map<String, String> shas(Path root) throws IOException {
    Map<String, String> shas = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.filter(Files::isRegularFile).toList()) {
        shas.put(root.relativize(p).toString(), Sha256.hex(Files.readAllBytes(p)));
      }
    }
    return shas;
  }

  /** The manifest's rows without their status, which says only whether this run wrote the file. */
  static List<JsonNode> rowsWithoutStatus(Path out) throws IOException {
    List<JsonNode> rows = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("manifest.jsonl"))) {
      ObjectNode node = (ObjectNode) TestJson.JSON.readTree(line);
      node.remove("status");
      rows.add(node);
    }
    return rows;
  }

  @Test
  void aWriteTaskThatDiesMidWriteIsRetriedToTheSameBytes() throws IOException {
    Path catalog = catalog("catalog.jsonl", MODELS);
    Path reference = dir.resolve("reference");
    run(catalog, reference);

    AtomicInteger injected = new AtomicInteger();
    SparkListener listener = new SparkListener() {
      @Override
      public void onTaskEnd(SparkListenerTaskEnd end) {
        if (end.reason() instanceof ExceptionFailure failure
            && failure.description().startsWith("injected failure of write task attempt 0")) {
          injected.incrementAndGet();
        }
      }
    };
    Path out = dir.resolve("out");
    spark.sparkContext().addSparkListener(listener);
    try {
      run(catalog, out, new FaultHooks(1, null, 0));
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }

    assertTrue(injected.get() >= 1, "the first attempt of a write task failed mid-write");
    Map<String, String> expected = shas(reference);
    expected.remove(OutputPaths.COMPLETE_MARKER);
    Map<String, String> actual = shas(out);
    actual.remove(OutputPaths.COMPLETE_MARKER);
    assertEquals(expected, actual, "the same files, byte for byte, and no temporary file left");
  }

  @Test
  void aDriverKilledMidWriteIsRunAgainToTheSameBytes() throws Exception {
    Path full = catalog("full.jsonl", MODELS);
    Path half = catalog("half.jsonl", MODELS.subList(0, 2));
    Path reference = dir.resolve("reference");
    run(full, reference);
    Path out = dir.resolve("out");
    run(half, out);

    Process driver = driver(full, out);
    Optional<Path> temp = Optional.empty();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (temp.isEmpty() && driver.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(50);
      temp = hiddenFiles(out).stream().findFirst();
    }
    assertTrue(temp.isPresent(), "the child driver started writing; see " + dir.resolve("driver.log"));
    driver.destroyForcibly();
    assertTrue(driver.waitFor(30, TimeUnit.SECONDS));
    assertNotEquals(0, driver.exitValue());
    assertTrue(Files.exists(out.resolve("manifest.jsonl")), "the first run's manifest is still there");

    // A file of the first run damaged in place, same size: a re-run must not take it as current.
    String damaged = "safetensors/org/" + MODELS.get(1).replace(".json", "") + "/rope-" + LENGTH + ".safetensors";
    byte[] bytes = Files.readAllBytes(out.resolve(damaged));
    bytes[bytes.length - 3] ^= 0x10;
    Files.write(out.resolve(damaged), bytes);

    // The killed driver's lease is seconds old: the operator who knows it is dead forces it.
    String err = run(full, out, WriteHooks.NONE, new LeaseOptions(LeaseOptions.TIMEOUT_DEFAULT, true));
    assertTrue(err.contains("WARNING took over the lease of run"), err);

    assertTrue(err.contains("manifest: 4 rows (3 ok, 1 skipped, 0 errors)"), err);
    assertEquals(rowsWithoutStatus(reference), rowsWithoutStatus(out));
    Map<String, String> expected = shas(reference);
    // The killed JVM could not clean up its temporary files; the run that took its lease removed them.
    assertEquals(List.of(), hiddenFiles(out));
    Map<String, String> actual = shas(out);
    for (String status : List.of(OutputPaths.COMPLETE_MARKER, OutputPaths.MANIFEST)) {
      // Both say which rows this run skipped; the rows themselves are compared above.
      expected.remove(status);
      actual.remove(status);
    }
    assertEquals(expected, actual);
    VerifyTest.Result verify = VerifyTest.verify(new Configuration(), "--out", out.toString());
    assertEquals(0, verify.exit(), verify.out());
  }

  private static List<Path> hiddenFiles(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      return all.filter(p -> p.getFileName().toString().startsWith(".") && Files.isRegularFile(p)).toList();
    } catch (java.io.UncheckedIOException e) {
      return List.of(); // a temporary file renamed while the walk passed it
    }
  }

  /** The job in a child JVM, as spark-submit's local mode would run it, slowed so that it is mid-write a while. */
  private Process driver(Path catalog, Path out) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(StandaloneCluster.jvmFlags());
    command.addAll(List.of("-Xmx1g", "-D" + FaultHooks.CHUNK_DELAY_MS + "=500",
        "-cp", System.getProperty("java.class.path"), FaultyPrecomputeMain.class.getName(),
        "--master", "local[2]", "--conf", "spark.ui.enabled=false",
        "--catalog", catalog.toString(), "--out", out.toString(), "--formats", "safetensors"));
    return new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve("driver.log").toFile()).start();
  }
}
